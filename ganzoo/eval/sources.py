"""Where images come from: a generator, a dataset split, a folder of images, or a tensor.

``ganzoo eval TARGET`` accepts a zoo name, an ``hf:`` name, a checkpoint folder, a training run
directory, a folder of images or ``DATASET:SPLIT``; :func:`load_target` opens the models among
them through :func:`ganzoo.hub.resolve.open_model` and :func:`resolve_target` turns each into an
:class:`ImageSource`. ``--reference`` is parsed by :func:`ganzoo.eval.names.parse_reference`
(no torch), then becomes a source through :func:`reference_source`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sized
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import torch
from torch import Tensor, nn

from ganzoo.errors import UsageError
from ganzoo.eval.names import ReferenceSpec
from ganzoo.models import check_truncation, truncate_normal

if TYPE_CHECKING:
    from ganzoo.models import GAN


@dataclass
class ImageSource:
    """Yields up to ``n`` images in [-1, 1], ``batch_size`` at a time, the same ones for the same seed.

    ``length`` is ``None`` for generators (as many as asked for). ``cache_id`` is set for sources
    whose images never change (dataset splits), so their features may be cached on disk.
    ``make_labels(n, seed)`` gives the class of each of those images (the class a conditional
    generator was asked for, or a labelled dataset's label), and ``num_classes`` how many there
    are; class-fidelity metrics need them. Both are unset for images without classes.
    """

    description: dict[str, Any]
    length: int | None
    make_batches: Callable[[int, int, int], Iterator[Tensor]]
    cache_id: dict[str, Any] | None = None
    make_labels: Callable[[int, int], Tensor] | None = None
    num_classes: int = 0

    def count(self, n: int) -> int:
        """How many images ``batches(n, ...)`` yields."""
        return n if self.length is None else min(n, self.length)

    def batches(self, n: int, batch_size: int, seed: int) -> Iterator[Tensor]:
        return self.make_batches(self.count(n), batch_size, seed)

    def labels(self, n: int, seed: int) -> Tensor | None:
        """The classes of the images ``batches(n, ..., seed)`` yields, in order (``None``: no classes)."""
        return None if self.make_labels is None else self.make_labels(self.count(n), seed)


# -- generators -----------------------------------------------------------------------------------
def generator_source(model: GAN, description: dict[str, Any], *, truncation: float | None = None) -> ImageSource:
    """Images sampled from a GAN: latents (and class labels) are drawn up front from ``seed``, so the
    images do not depend on the batch size; a class-conditional model gets uniformly random classes.
    ``truncation=T`` redraws latent values outside ``[-T, T]`` (refused for non-Gaussian latents)."""
    task = getattr(model, "task", "unconditional")
    if task not in ("unconditional", "class-conditional"):
        raise UsageError(f"a {task} model makes images from inputs, so it cannot be sampled on its own; "
                         f"save its outputs to a folder and evaluate that folder")

    latent_dim = int(getattr(model, "latent_dim", 0) or 0)
    num_classes = int(getattr(model, "num_classes", 0) or 0)
    bound = None if truncation is None else check_truncation(model, truncation)
    if bound is not None:
        description = {**description, "truncation": bound}

    def draws(n: int, seed: int) -> tuple[torch.Generator, Tensor | None, Tensor | None]:
        generator = torch.Generator().manual_seed(seed)
        z = torch.randn(n, latent_dim, generator=generator) if latent_dim else None
        if z is not None and bound is not None:
            z = truncate_normal(z, bound, generator=generator)
        labels = torch.randint(0, num_classes, (n,), generator=generator) if num_classes else None
        return generator, z, labels

    def batches(n: int, batch_size: int, seed: int) -> Iterator[Tensor]:
        generator, z, labels = draws(n, seed)
        device = next(model.parameters()).device
        for start in range(0, n, batch_size):
            stop = min(n, start + batch_size)
            batch_labels = None if labels is None else labels[start:stop].to(device)
            with torch.no_grad():
                if z is not None:
                    images = model.sample(z=z[start:stop].to(device), labels=batch_labels)
                else:  # a family without latents in the contract: its own sampling, seeded
                    images = model.sample(stop - start, labels=batch_labels, generator=generator)
            yield images.float().clamp(-1, 1)

    def make_labels(n: int, seed: int) -> Tensor:
        labels = draws(n, seed)[2]
        assert labels is not None  # drawn whenever num_classes > 0
        return labels

    return ImageSource(description, None, batches, make_labels=make_labels if num_classes else None,
                       num_classes=num_classes)


# -- datasets and folders --------------------------------------------------------------------------
def sample_indices(total: int, n: int, seed: int) -> Tensor:
    """All ``total`` indices when ``n`` covers them, else ``n`` drawn at random from ``seed``, in order.

    >>> sample_indices(10, 3, seed=0)     # doctest: +SKIP
    tensor([1, 4, 7])
    """
    if n >= total:
        return torch.arange(total)
    # sorted, so in-memory sets are read in order and folders file by file
    return torch.randperm(total, generator=torch.Generator().manual_seed(seed))[:n].sort().values


def dataset_source(dataset: Any, description: dict[str, Any], *, cacheable: bool) -> ImageSource:
    """Images of a dataset: all of them in order when ``n`` covers it, else a seeded random subset."""

    def batches(n: int, batch_size: int, seed: int) -> Iterator[Tensor]:
        index = sample_indices(len(dataset), n, seed)
        get_batch = getattr(dataset, "get_batch", None)
        for start in range(0, len(index), batch_size):
            chunk = index[start:start + batch_size]
            if get_batch is not None:
                images = get_batch(chunk)["image"]
            else:
                images = torch.stack([dataset[int(i)]["image"] for i in chunk])
            yield images.float()

    def labels(n: int, seed: int) -> Tensor:
        return torch.as_tensor(all_labels, dtype=torch.long).reshape(-1)[sample_indices(len(dataset), n, seed)]

    cache_id = {**description, "length": len(dataset)} if cacheable else None
    num_classes = int(getattr(getattr(dataset, "info", None), "num_classes", 0) or 0)
    all_labels = getattr(dataset, "labels", None) if num_classes else None
    return ImageSource(description, len(dataset), batches, cache_id,
                       make_labels=labels if all_labels is not None else None,
                       num_classes=num_classes if all_labels is not None else 0)


def folder_source(folder: Path, *, size: int, channels: int) -> ImageSource:
    """Every image under ``folder`` (recursive), read at the feature extractor's size and channels."""
    from ganzoo.data import build_dataset

    dataset = build_dataset("image-folder", "train", root=str(folder), size=size, channels=channels)
    files = len(cast(Sized, dataset))  # torch's Dataset declares no __len__; image folders have one
    return dataset_source(dataset, {"kind": "folder", "path": str(folder), "files": files}, cacheable=False)


def tensor_source(images: Tensor) -> ImageSource:
    """Images already in memory (``evaluate(tensor)`` from Python)."""
    if images.dim() != 4:
        raise UsageError(f"images must be a tensor [N, C, H, W] in [-1, 1], got shape {list(images.shape)}")
    return dataset_source(_TensorImages(images), {"kind": "tensor", "shape": list(images.shape)}, cacheable=False)


class _TensorImages:
    def __init__(self, images: Tensor) -> None:
        self.images = images

    def __len__(self) -> int:
        return self.images.shape[0]

    def get_batch(self, index: Tensor) -> dict[str, Tensor]:
        return {"image": self.images[index]}


# -- reference specs --------------------------------------------------------------------------------
def reference_source(spec: ReferenceSpec, *, size: int, channels: int) -> ImageSource:
    """The images of a parsed ``--reference`` (folders are read at ``size`` and ``channels``)."""
    if spec.folder is not None:
        return folder_source(spec.folder, size=size, channels=channels)
    dataset = _built_dataset(str(spec.dataset), str(spec.split))
    return dataset_source(dataset, spec.describe(), cacheable=True)


@functools.lru_cache(maxsize=4)
def _built_dataset(name: str, split: str) -> Any:
    """Dataset splits, kept for the process: evaluating several models reads Fashion-MNIST once."""
    from ganzoo.data import build_dataset

    return build_dataset(name, split)


# -- what ``ganzoo eval TARGET`` evaluates -------------------------------------------------------
@dataclass
class LoadedTarget:
    """A model among ``ganzoo eval`` targets, loaded once: the model, its provenance, its config.

    ``dataset`` and ``dataset_options`` are what it was trained on, when its config records them.
    """

    model: Any
    description: dict[str, Any]
    config: dict[str, Any]

    @property
    def dataset(self) -> str | None:
        return _recorded_dataset(self.config)[0]

    @property
    def dataset_options(self) -> dict[str, Any]:
        return _recorded_dataset(self.config)[1]


def _recorded_dataset(config: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The training dataset a checkpoint config (``training.dataset``) or a run config (``dataset``) records."""
    recorded = config.get("dataset") if "dataset" in config else (config.get("training") or {}).get("dataset")
    recorded = recorded if isinstance(recorded, dict) else {"name": recorded}
    name = recorded.get("name")
    return (str(name) if name else None), dict(recorded.get("options") or {})


def load_target(target: Any, *, device: "torch.device | str | None" = None,
                offline: bool = False) -> LoadedTarget | None:
    """The model ``target`` is or names, loaded through :func:`ganzoo.hub.resolve.open_model`;
    ``None`` for images (a tensor, a folder of images, ``DATASET:SPLIT``).

    Which names are models (zoo, ``hf:``, checkpoint and run folders) is the resolver's decision;
    a folder that is neither a checkpoint nor a run holds images.
    """
    if isinstance(target, Tensor):
        return None
    if isinstance(target, nn.Module):
        return LoadedTarget(target, {"kind": "model", "class": type(target).__name__}, {})
    if hasattr(target, "model") and hasattr(target, "config"):  # a PretrainedGAN
        return LoadedTarget(target.model, describe_pretrained(target), dict(target.config or {}))
    if not isinstance(target, (str, Path)):
        raise UsageError(f"cannot evaluate a {type(target).__name__}; pass a model, images or a name")
    from ganzoo.folders import folder_kind
    from ganzoo.hub.resolve import open_model

    text = str(target)
    path = Path(text).expanduser()
    if path.is_dir():
        if folder_kind(path, strict=True) == "other":
            return None  # a folder of images
    elif not text.startswith("hf:") and ":" in text:
        from ganzoo.eval.names import parse_dataset_split

        if parse_dataset_split(text, what="target") is not None:
            return None  # DATASET:SPLIT
    opened = open_model(str(path) if path.is_dir() else text, device=device, offline=offline)
    return LoadedTarget(opened.model, dict(opened.provenance), dict(opened.config))


def resolve_target(target: Any, *, size: int, channels: int, device: torch.device, offline: bool = False,
                   loaded: LoadedTarget | None = None, truncation: float | None = None) -> ImageSource:
    """An :class:`ImageSource` for a model object, image tensor, or any name ``ganzoo eval`` accepts.

    ``loaded`` is the model :func:`load_target` already loaded from ``target``, if any;
    ``truncation`` applies to models only (images have no latents to truncate).
    """
    if loaded is None:
        loaded = load_target(target, device=device, offline=offline)  # None for images, tensors included
    if loaded is not None:
        return generator_source(loaded.model.to(device), loaded.description, truncation=truncation)
    if truncation is not None:
        raise UsageError("--truncation applies to models, which sample latents; images have none to truncate")
    if isinstance(target, Tensor):
        return tensor_source(target)
    text = str(target)
    path = Path(text).expanduser()
    if path.is_dir():
        return folder_source(path, size=size, channels=channels)
    from ganzoo.eval.names import parse_dataset_split

    spec = parse_dataset_split(text, what="target")
    assert spec is not None  # load_target returns None for names only when they are DATASET:SPLIT
    return reference_source(spec, size=size, channels=channels)


def describe_pretrained(pretrained: Any) -> dict[str, Any]:
    """The provenance of a ``load_pretrained`` result passed in as an object (names get
    :attr:`ganzoo.hub.resolve.OpenedModel.provenance`, the same fields)."""
    config = getattr(pretrained, "config", {}) or {}
    return {"kind": "pretrained", "name": getattr(pretrained, "name", None),
            "source": getattr(pretrained, "source", None),
            "architecture": (config.get("architecture") or {}).get("name")}
