"""An endless stream of training batches whose order can be restored mid-epoch.

The order of epoch ``e`` is a pure function of ``(seed, e)``, and each process takes every
``world_size``-th index, so the stream's whole state is ``(epoch, position)``: a resumed run
sees exactly the batches the uninterrupted run would have seen. Datasets held in memory
(``get_batch(indices)``, see :class:`ganzoo.data.InMemoryImages`) are sliced directly, which is
far faster than a DataLoader collating items one by one; any other dataset goes through a
``DataLoader`` fed by the same indices.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, Sampler

from ganzoo.errors import UsageError
from ganzoo.runs.lock import close_inherited_locks

Batch = dict[str, Any]


class _OrderSampler(Sampler[int]):
    """Yields whatever index list the stream set for the current pass."""

    def __init__(self) -> None:
        self.order: list[int] = []

    def __iter__(self) -> Iterator[int]:
        return iter(self.order)

    def __len__(self) -> int:
        return len(self.order)


def _worker_init(worker_id: int) -> None:
    """Workers ignore Ctrl-C (the main process stops between steps and shuts them down itself) and
    drop their copy of the run lock, so a ``kill -9`` of the main process frees the run at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    close_inherited_locks()


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of epoch ``epoch``'s shuffle (distinct for every (seed, epoch) pair in practice)."""
    return (seed * 1_000_003 + epoch * 7_919 + 0x5EED) % (2**63 - 1)


class BatchStream:
    """Batches of ``batch_size`` for this rank, forever, moved to ``device``.

    Args:
        dataset: items ``{"image": [C,H,W], "label": int, ...}``; ``get_batch`` is used if present.
        batch_size: images per batch on this process (the last partial batch is dropped).
        seed: the data-order seed.
        rank, world_size: this process's share of each epoch.
        num_workers: DataLoader workers (only for datasets without ``get_batch``).
        device: where batches go; ``channels_last`` converts 4-d images.
    """

    def __init__(self, dataset: Dataset[Any], batch_size: int, *, seed: int = 0, rank: int = 0, world_size: int = 1,
                 num_workers: int = 0, device: torch.device | str = "cpu", channels_last: bool = False) -> None:
        self.dataset = dataset
        self.batch_size = batch_size
        self.seed = seed
        self.rank, self.world_size = rank, world_size
        self.device = torch.device(device)
        self.channels_last = channels_last
        self.length = len(dataset)  # type: ignore[arg-type]
        self.batches_per_epoch = (self.length // world_size) // batch_size
        if self.batches_per_epoch == 0:
            per = " per process" if world_size > 1 else ""
            raise UsageError(
                f"the dataset has {self.length} images, fewer than one batch of {batch_size}{per}; "
                f"lower --batch-size or use more data"
            )
        self.fast = callable(getattr(dataset, "get_batch", None))
        self.epoch = 0
        self.position = 0  # index of the next batch within the epoch
        self._order: Tensor | None = None
        self._iterator: Iterator[Batch] | None = None
        self._loader: DataLoader[Any] | None = None
        self._sampler = _OrderSampler()
        if not self.fast:
            self._loader = DataLoader(
                dataset, batch_size=batch_size, sampler=self._sampler, num_workers=num_workers, drop_last=True,
                pin_memory=self.device.type == "cuda", persistent_workers=num_workers > 0,
                worker_init_fn=_worker_init if num_workers > 0 else None,
                generator=torch.Generator().manual_seed(epoch_seed(seed, -1)),
            )

    # -- state -----------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position, "seed": self.seed,
                "batch_size": self.batch_size, "world_size": self.world_size, "length": self.length}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Continue at ``(epoch, position)``; a different data size or batch size cannot continue."""
        for key in ("batch_size", "world_size", "length"):
            if key in state and int(state[key]) != getattr(self, key):
                raise UsageError(
                    f"cannot resume: the run's {key.replace('_', ' ')} was {state[key]}, now it is "
                    f"{getattr(self, key)}; use the same data and options, or start a new run"
                )
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
        self._order, self._iterator = None, None

    # -- batches ---------------------------------------------------------------------------------
    def epoch_indices(self, epoch: int) -> Tensor:
        """This rank's indices for ``epoch``: a seeded permutation, strided over the ranks."""
        generator = torch.Generator().manual_seed(epoch_seed(self.seed, epoch))
        order = torch.randperm(self.length, generator=generator)
        order = order[self.rank::self.world_size]
        return order[: self.batches_per_epoch * self.batch_size]

    def next(self) -> tuple[Batch, bool]:
        """The next batch and whether it was the last of its epoch."""
        if self._order is None:
            self._order = self.epoch_indices(self.epoch)
        start = self.position * self.batch_size
        if self.fast:
            batch = self.dataset.get_batch(self._order[start:start + self.batch_size])  # type: ignore[attr-defined]
        else:
            if self._iterator is None:
                self._sampler.order = self._order[start:].tolist()
                self._iterator = iter(self._loader)  # type: ignore[arg-type]
            batch = next(self._iterator)
        self.position += 1
        ended = self.position == self.batches_per_epoch
        if ended:
            self.epoch, self.position = self.epoch + 1, 0
            self._order, self._iterator = None, None
        return self.to_device(batch), ended

    def to_device(self, batch: Batch) -> Batch:
        out: Batch = {}
        non_blocking = self.device.type == "cuda"
        for key, value in batch.items():
            if isinstance(value, Tensor):
                value = value.to(self.device, non_blocking=non_blocking)
                if self.channels_last and value.dim() == 4 and value.is_floating_point():
                    value = value.contiguous(memory_format=torch.channels_last)
            out[key] = value
        return out
