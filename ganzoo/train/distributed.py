"""Data-parallel training under ``torchrun``: detecting ranks, the process group, and DDP.

The family contract computes losses in ``model.d_loss``/``model.g_loss``, which may touch any
submodule (CycleGAN keeps two generators in a ``ModuleDict``). So DDP wraps the *whole* GAN in
:class:`LossDispatch`, whose ``forward`` calls one of those two methods: every parameter a loss
uses is seen by DDP, whatever the family's layout. Each step uses only some parameters (the
generator runs without gradients in the discriminator step, and the engine freezes the
discriminator in the generator step), hence ``find_unused_parameters=True``.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

import torch
import torch.distributed as dist
from torch import nn

from ganzoo.errors import UsageError


@dataclass(frozen=True)
class DistInfo:
    """This process's place in the job (all zeros and ones when not under torchrun)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int = 1

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def detect() -> DistInfo:
    """Read ``WORLD_SIZE``/``RANK``/``LOCAL_RANK``/``LOCAL_WORLD_SIZE`` as torchrun sets them."""
    def env_int(name: str, default: int) -> int:
        try:
            return int(os.environ.get(name, default))
        except ValueError:
            raise UsageError(f"environment variable {name} must be an integer") from None

    world = env_int("WORLD_SIZE", 1)
    return DistInfo(
        rank=env_int("RANK", 0),
        world_size=world,
        local_rank=env_int("LOCAL_RANK", 0),
        local_world_size=env_int("LOCAL_WORLD_SIZE", world),
    )


def init_process_group(info: DistInfo, device: torch.device) -> bool:
    """Join the job's process group (NCCL on CUDA, gloo otherwise); ``True`` if we created it."""
    if not info.enabled or dist.is_initialized():
        return False
    if not dist.is_available():
        raise UsageError("this torch build has no torch.distributed; run without torchrun")
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend, init_method="env://", rank=info.rank, world_size=info.world_size,
                            timeout=datetime.timedelta(minutes=30))
    return True


def shutdown(created: bool) -> None:
    if created and dist.is_initialized():
        dist.destroy_process_group()


class _Losses(Protocol):
    """The part of the family contract :class:`LossDispatch` calls."""

    def d_loss(self, batch: dict[str, torch.Tensor], objective: Any) -> Any: ...

    def g_loss(self, batch: dict[str, torch.Tensor], objective: Any) -> Any: ...


class LossDispatch(nn.Module):
    """What DDP wraps: ``forward("d"|"g", batch, objective)`` runs the family's loss."""

    def __init__(self, gan: nn.Module) -> None:
        super().__init__()
        self.gan = gan

    def forward(self, which: str, batch: dict[str, torch.Tensor], objective: Any) -> Any:
        from ganzoo.plugins import plugin_code

        # A third-party family's bug is reported as that plugin's, not as ganzoo's own internal error.
        with plugin_code(self.gan, what="d_loss" if which == "d" else "g_loss"):
            family = cast(_Losses, self.gan)
            if which == "d":
                return family.d_loss(batch, objective)
            return family.g_loss(batch, objective)


def wrap(gan: nn.Module, info: DistInfo, device: torch.device, *, sync_bn: bool = False) -> nn.Module:
    """``LossDispatch(gan)``, inside DDP when the job has several processes.

    ``sync_bn`` converts BatchNorm layers to SyncBatchNorm first (CUDA only, as in torch).
    """
    if sync_bn:
        if not info.enabled:
            raise UsageError("--sync-bn only makes sense under torchrun with several processes")
        if device.type != "cuda":
            raise UsageError("--sync-bn needs CUDA (torch's SyncBatchNorm runs on GPUs only); drop it on CPU")
        nn.SyncBatchNorm.convert_sync_batchnorm(gan)  # type: ignore[no-untyped-call]  # unannotated in torch
    module = LossDispatch(gan)
    if not info.enabled:
        return module
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(
        module,
        device_ids=[device.index] if device.type == "cuda" else None,
        find_unused_parameters=True,  # buffers (BatchNorm statistics) follow rank 0 by default
    )


def any_true(flags: Sequence[bool], device: torch.device) -> list[bool]:
    """For each flag, whether it is set on any rank (one collective for all of them)."""
    if not dist.is_initialized():
        return list(flags)
    values = torch.tensor([1.0 if f else 0.0 for f in flags], device=device)
    dist.all_reduce(values, op=dist.ReduceOp.MAX)
    return [bool(v) for v in values.tolist()]


def mean_over_ranks(values: dict[str, float], device: torch.device) -> dict[str, float]:
    """Average the logged numbers of every rank (keys in sorted order on all ranks)."""
    if not dist.is_initialized() or not values:
        return values
    keys = sorted(values)
    tensor = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    tensor /= dist.get_world_size()
    return dict(zip(keys, tensor.tolist()))


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def broadcast_flag(ok: bool, device: torch.device) -> bool:
    """Rank 0's ``ok`` on every rank (so one rank's setup failure stops all of them)."""
    if not dist.is_initialized():
        return ok
    value = torch.tensor([1.0 if ok else 0.0], device=device)
    dist.broadcast(value, src=0)
    return bool(value.item())
