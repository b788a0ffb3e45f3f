"""Unpaired image-to-image datasets: images of two domains, A and B, with no pairs between them.

An item is ``{"source": an A image, "image": a B image}`` (plus ``source_label``/``label`` when
the data has classes), the layout every image-to-image family trains on. Item ``i`` holds A
image ``i mod |A|`` and a B image picked through a fixed seeded permutation of B, so the length
is ``max(|A|, |B|)``, every image of the larger domain appears once per epoch, and the smaller
domain is cycled. Which B image sits beside which A image does not matter to an unpaired model:
no loss couples the two halves of an item, and the training stream reshuffles items every epoch.

* ``unpaired-folder``: a folder laid out as the CycleGAN datasets ship (``trainA/``,
  ``trainB/``, ``testA/``, ``testB/``), read one file per item.
* ``fashion-domains``: two Fashion-MNIST classes as the two domains (Sneaker -> Ankle boot by
  default), held in memory and batched in one indexing operation.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import Dataset

from ganzoo.plugin import (
    ClassSelection,
    DatasetInfo,
    DataUnavailableError,
    InMemoryImages,
    UsageError,
    build_dataset,
    check_split,
    option_int,
)
from ganzoo_datasets.folder import EXTENSIONS, _images_under
from ganzoo_datasets.mnist import FASHION_CLASSES

SPLITS = ("train", "test")
#: Seed of the permutation that picks the B image of each item.
PAIRING_SEED = 1703_10593


class UnpairedPairing(Dataset[dict[str, Any]]):
    """Maps item indices to (A index, B index); subclasses fetch the images."""

    info: DatasetInfo
    #: An item's ``source`` and ``image`` do not belong together (read by ``ganzoo.translation.is_paired``).
    paired = False

    def __init__(self, size_a: int, size_b: int, seed: int = PAIRING_SEED) -> None:
        self.size_a, self.size_b = size_a, size_b
        self.order_b = torch.randperm(size_b, generator=torch.Generator().manual_seed(seed))

    def __len__(self) -> int:
        return max(self.size_a, self.size_b)

    def pair(self, indices: Tensor) -> tuple[Tensor, Tensor]:
        """The A and B indices of items ``indices``."""
        indices = torch.as_tensor(indices, dtype=torch.long).reshape(-1)
        return indices % self.size_a, self.order_b.index_select(0, indices % self.size_b)

    def _checked(self, index: int) -> int:
        index = int(index)
        if not 0 <= index < len(self):
            raise IndexError(f"item {index} of a dataset of {len(self)}")
        return index


class UnpairedImages(UnpairedPairing):
    """Two in-memory image sets as domains A and B, batched with ``get_batch`` like :class:`InMemoryImages`."""

    def __init__(self, a: InMemoryImages, b: InMemoryImages, info: DatasetInfo, seed: int = PAIRING_SEED) -> None:
        super().__init__(len(a), len(b), seed)
        self.a, self.b, self.info = a, b, info

    def __getitem__(self, index: int) -> dict[str, Any]:
        ia, ib = self.pair(torch.tensor([self._checked(index)]))
        a, b = self.a[int(ia)], self.b[int(ib)]
        item: dict[str, Any] = {"source": a["image"], "image": b["image"]}
        if "label" in b:
            item["label"] = b["label"]
        if "label" in a:
            item["source_label"] = a["label"]
        return item

    def get_batch(self, indices: Tensor) -> dict[str, Tensor]:
        """Items ``indices`` as one batch: ``source``/``image`` float [B, C, H, W] (and labels)."""
        ia, ib = self.pair(indices)
        a, b = self.a.get_batch(ia), self.b.get_batch(ib)
        batch = {"source": a["image"], "image": b["image"]}
        if "label" in b:
            batch["label"] = b["label"]
        if "label" in a:
            batch["source_label"] = a["label"]
        return batch

    def __repr__(self) -> str:
        domains = self.info.domains or {"a": "a", "b": "b"}
        return (f"UnpairedImages({self.info.name!r}, split={self.info.split!r}, "
                f"A={domains['a']!r} x{len(self.a)}, B={domains['b']!r} x{len(self.b)})")


# -- fashion-domains -----------------------------------------------------------------------------
def _one_class(option: str, value: ClassSelection) -> int:
    from ganzoo.plugin import resolve_classes

    chosen = resolve_classes("fashion-domains", FASHION_CLASSES, value)
    if chosen is None or len(chosen) != 1:
        raise UsageError(f"option {option}= of dataset 'fashion-domains' names one Fashion-MNIST class "
                         f"(like {option}=Sneaker), got {value!r}")
    return chosen[0]


def _domain(images: InMemoryImages, label: int, limit: int | None, size: int) -> InMemoryImages:
    """The images of one class, keeping Fashion-MNIST's label (so the shipped classifier can check them)."""
    mask = images.labels == label
    kept = InMemoryImages(images.images[mask], images.labels[mask], images.info)  # type: ignore[index]
    return kept.select(limit=limit).resized(size)


def fashion_domains(split: str = "train", *, a: ClassSelection = "Sneaker", b: ClassSelection = "Ankle boot",
                    limit: int | None = None, size: int = 28, root: str | os.PathLike[str] | None = None,
                    download: bool = True) -> UnpairedImages:
    """Two Fashion-MNIST classes as unpaired domains: ``a`` images as sources, ``b`` images as targets.

    ``label`` and ``source_label`` are Fashion-MNIST class indices (Sneaker 7, Ankle boot 9), so
    ``fmnist-cnn`` can tell whether a translation landed in the other class. ``limit`` keeps the
    first N images of each domain; ``root``/``download`` are passed to ``fashion-mnist``. The
    train split has 6,000 images per class, the test split 1,000.

    >>> fashion_domains("test", a="Sandal", b="Sneaker", limit=100)   # doctest: +SKIP
    """
    check_split("fashion-domains", split, SPLITS)
    index_a, index_b = _one_class("a", a), _one_class("b", b)
    if index_a == index_b:
        raise UsageError(f"options a= and b= of dataset 'fashion-domains' name the same class "
                         f"({FASHION_CLASSES[index_a]!r}); pick two different classes")
    size = option_int("fashion-domains", "size", size)
    limit = None if limit is None else option_int("fashion-domains", "limit", limit)
    full = build_dataset("fashion-mnist", split, root=root, download=download)
    assert isinstance(full, InMemoryImages)
    domain_a = _domain(full, index_a, limit, size)
    domain_b = _domain(full, index_b, limit, size)
    names = {"a": FASHION_CLASSES[index_a], "b": FASHION_CLASSES[index_b]}
    info = DatasetInfo(name="fashion-domains", split=split, channels=1, size=size, classes=list(FASHION_CLASSES),
                       license=full.info.license, source=full.info.source, source_channels=1, domains=names)
    return UnpairedImages(domain_a, domain_b, info)


# -- unpaired-folder -----------------------------------------------------------------------------
def _load(path: Path, size: int, channels: int) -> Tensor:
    """One file as ``[channels, size, size]`` in [-1, 1]: upright, alpha on white, scaled and centre-cropped."""
    from PIL import Image, ImageOps

    from ganzoo.plugin_blocks import image_to_tensor, open_image

    image = ImageOps.fit(open_image(path, channels=channels), (size, size), method=Image.Resampling.BICUBIC)
    return image_to_tensor(image)


class UnpairedFolder(UnpairedPairing):
    """Domain A and B images read from their folders on each access."""

    def __init__(self, files_a: list[Path], files_b: list[Path], info: DatasetInfo,
                 seed: int = PAIRING_SEED) -> None:
        super().__init__(len(files_a), len(files_b), seed)
        self.files_a, self.files_b, self.info = files_a, files_b, info

    def __getitem__(self, index: int) -> dict[str, Any]:
        ia, ib = self.pair(torch.tensor([self._checked(index)]))
        size, channels = self.info.size or 0, self.info.channels
        return {"source": _load(self.files_a[int(ia)], size, channels),
                "image": _load(self.files_b[int(ib)], size, channels)}

    def __repr__(self) -> str:
        return (f"UnpairedFolder({self.info.source!r}, split={self.info.split!r}, "
                f"A x{len(self.files_a)}, B x{len(self.files_b)})")


def _domain_files(root: Path, split: str, domain: str) -> list[Path]:
    folder = root / f"{split}{domain}"
    if not folder.is_dir():
        raise DataUnavailableError(
            f"{root} has no {folder.name}/ folder; an unpaired dataset holds trainA/, trainB/, testA/ and "
            f"testB/ (as the CycleGAN datasets ship), so put the {split} images of domain {domain} there")
    files = _images_under(folder)
    if not files:
        kinds = ", ".join(sorted(EXTENSIONS))
        raise DataUnavailableError(f"no images ({kinds}) found under {folder}; put domain {domain}'s "
                                   f"{split} images there")
    return files


def unpaired_folder(split: str = "train", *, root: str | os.PathLike[str] | None = None, size: int = 256,
                    channels: int = 3, a: str = "A", b: str = "B") -> UnpairedFolder:
    """Unpaired domains from ``root/trainA`` and ``root/trainB`` (``testA``/``testB`` for the test split).

    Images are found recursively, sorted, scaled so the shorter side is ``size`` and centre-cropped;
    ``channels`` is 3 (RGB) or 1 (grayscale). ``a`` and ``b`` name the domains for cards and grids.

    >>> unpaired_folder(root="~/data/horse2zebra", a="horse", b="zebra")   # doctest: +SKIP
    """
    check_split("unpaired-folder", split, SPLITS)
    if root is None:
        raise UsageError("dataset 'unpaired-folder' needs root=FOLDER, a folder holding trainA/, trainB/, "
                         "testA/ and testB/")
    folder = Path(root).expanduser()
    if not folder.is_dir():
        raise DataUnavailableError(f"unpaired-folder root {folder} is not a folder; pass root= the folder that "
                                   f"holds trainA/ and trainB/")
    size = option_int("unpaired-folder", "size", size)
    channels = option_int("unpaired-folder", "channels", channels)
    if channels not in (1, 3):
        raise UsageError(f"option channels={channels} of dataset 'unpaired-folder' must be 1 or 3")
    files_a, files_b = _domain_files(folder, split, "A"), _domain_files(folder, split, "B")
    info = DatasetInfo(name="unpaired-folder", split=split, channels=channels, size=size,
                       license="that of your images", source=str(folder), source_channels=channels,
                       domains={"a": str(a), "b": str(b)})
    return UnpairedFolder(files_a, files_b, info)
