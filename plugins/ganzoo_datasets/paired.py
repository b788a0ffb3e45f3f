"""Paired image-to-image datasets: each item is an input image and the output that belongs to it.

An item is ``{"source": input [C_in, H, W], "image": target [C, H, W]}`` in [-1, 1] (plus
``label``/``source_label`` when the data has classes), the layout pix2pix trains on.

* :class:`InMemoryPairs` holds both sides as uint8 tensors and hands out whole batches with
  ``get_batch``, like :class:`ganzoo.data.InMemoryImages` (``edges2fashion`` uses it).
* ``paired-folder`` reads the original pix2pix datasets (facades, edges2shoes, maps ...) as
  they ship: ``ROOT/train``, ``ROOT/val``, ``ROOT/test``, each image holding A and B side by
  side, one file per item.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import Dataset

from ganzoo.plugin import DatasetInfo, DataUnavailableError, UsageError, check_split, option_int, to_unit_range
from ganzoo_datasets.folder import _images_under

FOLDER_SPLITS = ("train", "val", "test")
DIRECTIONS = {"atob": "AtoB", "btoa": "BtoA"}


class InMemoryPairs(Dataset[dict[str, Any]]):
    """Paired images held as two uint8 tensors, batched in one indexing operation.

    ``sources`` is uint8 ``[N, C_in, H, W]``, ``images`` uint8 ``[N, C, H, W]``; ``labels`` and
    ``source_labels`` are int64 ``[N]`` or ``None``.
    """

    paired = True

    def __init__(self, sources: Tensor, images: Tensor, info: DatasetInfo, *, labels: Tensor | None = None,
                 source_labels: Tensor | None = None) -> None:
        for name, tensor in (("sources", sources), ("images", images)):
            if tensor.dtype != torch.uint8 or tensor.dim() != 4:
                raise ValueError(f"{name} must be uint8 [N, C, H, W], got {tensor.dtype} {list(tensor.shape)}")
        if sources.shape[0] != images.shape[0]:
            raise ValueError(f"{sources.shape[0]} sources but {images.shape[0]} images")
        self.sources, self.images, self.info = sources, images, info
        self.labels = None if labels is None else labels.to(torch.int64)
        self.source_labels = None if source_labels is None else source_labels.to(torch.int64)

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index: int) -> dict[str, Any]:
        item: dict[str, Any] = {"source": to_unit_range(self.sources[index]),
                                "image": to_unit_range(self.images[index])}
        if self.labels is not None:
            item["label"] = int(self.labels[index])
        if self.source_labels is not None:
            item["source_label"] = int(self.source_labels[index])
        return item

    def get_batch(self, indices: Tensor) -> dict[str, Tensor]:
        """The items at ``indices`` as one batch of float images in [-1, 1] (and int64 labels)."""
        index = torch.as_tensor(indices, dtype=torch.long).reshape(-1)
        batch = {"source": to_unit_range(self.sources.index_select(0, index)),
                 "image": to_unit_range(self.images.index_select(0, index))}
        if self.labels is not None:
            batch["label"] = self.labels.index_select(0, index)
        if self.source_labels is not None:
            batch["source_label"] = self.source_labels.index_select(0, index)
        return batch

    def __repr__(self) -> str:
        shape = "x".join(str(d) for d in self.images.shape[1:])
        return f"InMemoryPairs({self.info.name!r}, split={self.info.split!r}, n={len(self)}, {shape})"


# -- the pix2pix folder format -------------------------------------------------------------------
class PairedFolder(Dataset[dict[str, Any]]):
    """A|B side-by-side images read from disk on each access, split into ``source`` and ``image``."""

    paired = True

    def __init__(self, files: list[Path], info: DatasetInfo, *, size: int, channels: int, reverse: bool) -> None:
        self.files, self.info = files, info
        self.size, self.channels, self.reverse = size, channels, reverse

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict[str, Any]:
        a, b = split_pair(self.files[index], self.size, self.channels)
        source, image = (b, a) if self.reverse else (a, b)
        return {"source": source, "image": image}

    def __repr__(self) -> str:
        return f"PairedFolder({self.info.source!r}, split={self.info.split!r}, n={len(self)})"


def split_pair(path: Path, size: int, channels: int) -> tuple[Tensor, Tensor]:
    """The left (A) and right (B) halves of one A|B image, each resized to ``size`` x ``size``, in [-1, 1]."""
    from PIL import Image

    from ganzoo.plugin_blocks import image_to_tensor, open_image

    picture = open_image(path, channels=channels)
    width, height = picture.size
    if width != 2 * height:
        raise UsageError(f"{path} is {width}x{height}, but paired-folder images hold A and B side by side, so their "
                         f"width must be twice their height; fix or remove that file")
    halves = (picture.crop((0, 0, height, height)), picture.crop((height, 0, width, height)))
    resized = [half if half.size == (size, size) else half.resize((size, size), Image.Resampling.BICUBIC)
               for half in halves]
    return image_to_tensor(resized[0]), image_to_tensor(resized[1])


def _direction(value: Any) -> bool:
    """Whether ``direction`` asks for B -> A (the images' right half as the input)."""
    key = str(value).strip().lower().replace("_", "").replace("-", "").replace("2", "to")
    if key not in DIRECTIONS:
        raise UsageError(f"option direction={value!r} of dataset 'paired-folder' must be AtoB (left half in, "
                         f"right half out) or BtoA")
    return key == "btoa"


def _domain_names(value: Any) -> tuple[str, str]:
    """Names of the left (A) and right (B) halves from ``"labels,photo"`` (or a two-item list)."""
    parts = [p.strip() for p in value.split(",")] if isinstance(value, str) else [str(p).strip() for p in value]
    if len(parts) != 2 or not all(parts):
        raise UsageError(f"option domains={value!r} of dataset 'paired-folder' must name the left and right "
                         f"halves, like domains=labels,photo")
    return parts[0], parts[1]


def paired_folder(split: str = "train", *, root: str | os.PathLike[str] | None = None, direction: str = "AtoB",
                  size: int = 256, channels: int = 3, domains: Any = "A,B") -> PairedFolder:
    """The pix2pix datasets' format: ``root/<split>/`` holds images with A on the left, B on the right.

    ``direction`` ``AtoB`` (default) translates the left half into the right one, ``BtoA`` the
    other way (facades: ``BtoA`` turns label maps into photos). Each half is resized to
    ``size`` x ``size``; ``channels`` is 3 (RGB) or 1 (gray); ``domains`` names the halves
    (``labels,photo``) for cards and sample grids. Files are checked when they are read.

    >>> paired_folder("train", root="~/data/facades", direction="BtoA")   # doctest: +SKIP
    """
    check_split("paired-folder", split, FOLDER_SPLITS)
    if root is None:
        raise UsageError("dataset 'paired-folder' needs root=FOLDER, a folder with train/, val/ and test/ "
                         "subfolders of A|B images (the pix2pix datasets' layout)")
    reverse = _direction(direction)
    size = option_int("paired-folder", "size", size, minimum=2)
    channels = option_int("paired-folder", "channels", channels)
    if channels not in (1, 3):
        raise UsageError(f"option channels={channels} of dataset 'paired-folder' must be 1 or 3")
    left, right = _domain_names(domains)
    base = Path(root).expanduser()
    if not base.is_dir():
        raise DataUnavailableError(f"paired-folder root {base} is not a folder; pass root= the dataset's folder "
                                   f"(the one holding train/, val/ and test/)")
    folder = base / split
    if not folder.is_dir():
        present = ", ".join(sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")))
        raise DataUnavailableError(f"paired-folder has no split folder {folder} (subfolders there: "
                                   f"{present or 'none'}); the pix2pix layout is ROOT/train, ROOT/val and ROOT/test")
    files = _images_under(folder)
    if not files:
        raise DataUnavailableError(f"no images (png, jpg ...) in {folder}; put the A|B images of the "
                                   f"'{split}' split there")
    source_name, target_name = (right, left) if reverse else (left, right)
    info = DatasetInfo(name="paired-folder", split=split, channels=channels, size=size,
                       license="that of your images", source=str(base), source_channels=channels,
                       domains={"a": source_name, "b": target_name})
    dataset = PairedFolder(files, info, size=size, channels=channels, reverse=reverse)
    split_pair(files[0], size, channels)  # a folder of wrong images fails now, not mid-training
    return dataset
