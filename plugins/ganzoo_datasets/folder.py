"""Any folder of images, read lazily one file per item with Pillow.

Files are found recursively (png, jpg, jpeg, bmp, webp, gif; hidden files and folders are
skipped) and sorted, so item ``i`` is the same file on every run. When images sit in
first-level subfolders, those subfolders are the classes (sorted names, like torchvision's
``ImageFolder``) and loose files beside them are ignored with a warning; a folder without
subfolders gives unlabelled items.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageOps
from torch.utils.data import Dataset

from ganzoo.plugin import DatasetInfo, DataUnavailableError, UsageError, check_split, option_int
from ganzoo.plugin_blocks import open_image

EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif"})
SPLITS = ("train",)
#: The variable that sets ganzoo's image pixel limit, named by the errors of images over it.
LIMIT_ENV = "GANZOO_MAX_IMAGE_PIXELS"


def _images_under(folder: Path) -> list[Path]:
    found: list[Path] = []
    for directory, subdirs, files in os.walk(folder, followlinks=True):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        found.extend(Path(directory) / f for f in files
                     if not f.startswith(".") and Path(f).suffix.lower() in EXTENSIONS)
    return sorted(found)


def scan(root: Path) -> tuple[list[Path], list[int] | None, list[str] | None]:
    """Image files under ``root``, and their labels and class names when subfolders hold images."""
    loose = sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith(".")
                   and p.suffix.lower() in EXTENSIONS)
    class_files = {d.name: _images_under(d) for d in sorted(root.iterdir())
                   if d.is_dir() and not d.name.startswith(".")}
    class_files = {name: files for name, files in class_files.items() if files}
    if not class_files:
        return loose, None, None
    if loose:
        warnings.warn(f"image-folder: ignoring {len(loose)} image(s) directly in {root} because its "
                      f"subfolders are used as classes", stacklevel=3)
    names = sorted(class_files)
    files = [f for name in names for f in class_files[name]]
    labels = [i for i, name in enumerate(names) for _ in class_files[name]]
    return files, labels, names


def load_image(path: Path, size: int, channels: int) -> torch.Tensor:
    """One file as float32 ``[channels, size, size]`` in [-1, 1]: upright, alpha dropped, centre-cropped.

    Read through ganzoo's :func:`open_image`, so its pixel limit (``GANZOO_MAX_IMAGE_PIXELS``)
    holds here as for every other image input, from the header, before any pixel is decoded.
    """
    try:
        image = open_image(path, channels=None)
    except UsageError as exc:
        if LIMIT_ENV in str(exc):
            raise  # over the limit: the message says by how much and how to raise the limit
        reason = str(exc).removeprefix(f"{path}: ").split("; ")[0]  # "not an image Pillow can read", say
        raise DataUnavailableError(f"cannot read image {path} ({reason}); fix or remove that file") from None
    try:
        if image.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16/32-bit grayscale: keep the top 8 bits
            image = Image.fromarray((np.asarray(image, dtype=np.uint32) >> 8).clip(0, 255).astype(np.uint8))
        if image.mode in ("P", "LA", "PA", "RGBA", "La"):
            image = image.convert("RGBA")  # resolve palettes and transparency, then drop alpha
        image = image.convert("L" if channels == 1 else "RGB")
        image = ImageOps.fit(image, (size, size), method=Image.Resampling.BICUBIC)
        pixels = np.asarray(image, dtype=np.uint8)
    except (OSError, ValueError) as exc:
        raise DataUnavailableError(f"cannot read image {path} ({type(exc).__name__}: {exc}); "
                                   f"fix or remove that file") from exc
    tensor = torch.from_numpy(pixels.copy())
    tensor = tensor.unsqueeze(0) if tensor.dim() == 2 else tensor.permute(2, 0, 1)
    return tensor.to(torch.float32).div_(127.5).sub_(1.0)


class ImageFolder(Dataset[dict[str, Any]]):
    """Images read from disk on each access; ``files`` and ``labels`` say which is which."""

    def __init__(self, root: Path, files: list[Path], labels: list[int] | None, info: DatasetInfo) -> None:
        self.root = root
        self.files = files
        self.labels = labels
        self.info = info

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict[str, Any]:
        item: dict[str, Any] = {"image": load_image(self.files[index], self.info.size or 0, self.info.channels)}
        if self.labels is not None:
            item["label"] = self.labels[index]
        return item

    def __repr__(self) -> str:
        return f"ImageFolder({str(self.root)!r}, n={len(self)}, classes={self.info.num_classes})"


def image_folder(split: str = "train", *, root: str | os.PathLike[str] | None = None, size: int = 64,
                 channels: int = 3) -> ImageFolder:
    """Every image under ``root`` (recursive), resized and centre-cropped to ``size``x``size``.

    First-level subfolders become classes. ``channels`` is 3 (RGB) or 1 (grayscale).

    >>> image_folder(root="~/photos/cats", size=128)   # doctest: +SKIP
    """
    check_split("image-folder", split, SPLITS)
    if root is None:
        raise UsageError("dataset 'image-folder' needs root=FOLDER, the folder that holds the images")
    folder = Path(root).expanduser()
    if not folder.is_dir():
        raise DataUnavailableError(f"image-folder root {folder} is not a folder; pass root= a folder of images")
    size = option_int("image-folder", "size", size)
    channels = option_int("image-folder", "channels", channels)
    if channels not in (1, 3):
        raise UsageError(f"option channels={channels} of dataset 'image-folder' must be 1 or 3")
    files, labels, classes = scan(folder)
    if not files:
        kinds = ", ".join(sorted(EXTENSIONS))
        raise DataUnavailableError(f"no images ({kinds}) found under {folder}; put some there or pass another root=")
    info = DatasetInfo(name="image-folder", split=split, channels=channels, size=size, classes=classes,
                       license="that of your images", source=str(folder))
    return ImageFolder(folder, files, labels, info)
