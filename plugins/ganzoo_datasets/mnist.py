"""Fashion-MNIST and MNIST: 28x28 grayscale digits and clothes, read from IDX files.

Where the files are looked for, in order: ``root=`` (a folder with the four files, or
torchvision's ``root/FashionMNIST/raw`` layout), ``$GANZOO_DATA_DIR/<name>``, the system
folders in :data:`SYSTEM_DIRS` (Debian's ``dataset-fashion-mnist`` package), and ganzoo's
download folder. Only when none holds the split does torchvision download it (into ``root``
when given, else :func:`ganzoo.data.data_home`); ``download=False`` forbids that.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from ganzoo.plugin import (
    ClassSelection,
    DatasetInfo,
    DataUnavailableError,
    InMemoryImages,
    check_split,
    option_bool,
    option_int,
    resolve_classes,
    run_download,
    search_roots,
)
from ganzoo_datasets.idx import find_split, load_split

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot")
DIGIT_CLASSES = tuple(str(d) for d in range(10))
SPLITS = ("train", "test")

#: Folders a distribution installs the files into, looked at after GANZOO_DATA_DIR.
#: Tests replace these to simulate a machine without the data.
SYSTEM_DIRS: dict[str, tuple[str, ...]] = {
    "fashion-mnist": ("/usr/share/datasets/fashion-mnist",),
    "mnist": (),
}


@dataclass(frozen=True)
class _Source:
    name: str
    title: str
    torchvision_class: str
    classes: tuple[str, ...]
    license: str
    source: str
    install_hint: str


_FASHION = _Source(
    "fashion-mnist", "Fashion-MNIST", "FashionMNIST", FASHION_CLASSES, "MIT",
    "https://github.com/zalandoresearch/fashion-mnist",
    "install it with 'apt-get install dataset-fashion-mnist', or put the four IDX files in a "
    "folder and pass root=FOLDER (or set GANZOO_DATA_DIR so that $GANZOO_DATA_DIR/fashion-mnist holds them)",
)
_MNIST = _Source(
    "mnist", "MNIST", "MNIST", DIGIT_CLASSES, "CC BY-SA 3.0 (as commonly cited; the authors state none)",
    "http://yann.lecun.com/exdb/mnist/",
    "put the four IDX files (train-images-idx3-ubyte.gz ...) in a folder and pass root=FOLDER "
    "(or set GANZOO_DATA_DIR so that $GANZOO_DATA_DIR/mnist holds them), or run once with internet access",
)


def _layouts(folder: Path, source: _Source) -> list[Path]:
    """A root may hold the files itself or in torchvision's ``<Class>/raw`` folder."""
    return [folder, folder / source.torchvision_class / "raw"]


def _locate(source: _Source, split: str, roots: list[Path]) -> tuple[Path, Path] | None:
    for root in roots:
        for folder in _layouts(root, source):
            found = find_split(folder, split)
            if found is not None:
                return found
    return None


def _download(source: _Source, target: Path) -> None:
    """Let torchvision fetch (and md5-check) the files into ``target/<Class>/raw``."""
    import torchvision.datasets

    dataset_class = getattr(torchvision.datasets, source.torchvision_class)
    target.mkdir(parents=True, exist_ok=True)
    dataset_class(root=str(target), train=True, download=True)


def _files(source: _Source, split: str, root: str | os.PathLike[str] | None, download: bool) -> tuple[Path, Path]:
    roots = search_roots(source.name, root, SYSTEM_DIRS.get(source.name, ()))
    found = _locate(source, split, roots)
    if found is not None:
        return found
    looked = ", ".join(str(r) for r in roots)
    if not download:
        raise DataUnavailableError(
            f"{source.title} ({split}) is not in {looked} and download=False: {source.install_hint}"
        )
    target = roots[0] if root is not None else roots[-1]
    run_download(lambda: _download(source, target), what=source.title, looked=roots, hint=source.install_hint)
    found = _locate(source, split, [target])
    if found is None:
        raise DataUnavailableError(f"{source.title} was downloaded to {target} but its files are missing: "
                                   f"{source.install_hint}")
    return found


def _build(source: _Source, split: str, root: str | os.PathLike[str] | None, download: bool,
           classes: ClassSelection, size: int, limit: int | None) -> InMemoryImages:
    check_split(source.name, split, SPLITS)
    size = option_int(source.name, "size", size)
    limit = None if limit is None else option_int(source.name, "limit", limit)
    download = option_bool(source.name, "download", download)
    keep = resolve_classes(source.name, source.classes, classes)
    images_path, labels_path = _files(source, split, root, download)
    images, labels = load_split(images_path, labels_path, len(source.classes))
    info = DatasetInfo(name=source.name, split=split, channels=1, size=images.shape[-1],
                       classes=list(source.classes), license=source.license, source=source.source)
    dataset = InMemoryImages(torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels), info)
    return dataset.select(keep, limit).resized(size)


def fashion_mnist(split: str = "train", *, root: str | os.PathLike[str] | None = None, download: bool = True,
                  classes: ClassSelection = None, size: int = 28, limit: int | None = None) -> InMemoryImages:
    """Fashion-MNIST (Zalando): 60,000 train / 10,000 test 28x28 grayscale images of 10 clothes.

    ``classes`` keeps some classes (names or indices, relabelled 0..k-1), ``size`` resizes,
    ``limit`` keeps the first N items after filtering.

    >>> fashion_mnist("test", classes=["Sneaker", "Bag"], limit=100)   # doctest: +SKIP
    """
    return _build(_FASHION, split, root, download, classes, size, limit)


def mnist(split: str = "train", *, root: str | os.PathLike[str] | None = None, download: bool = True,
          classes: ClassSelection = None, size: int = 28, limit: int | None = None) -> InMemoryImages:
    """MNIST handwritten digits: 60,000 train / 10,000 test 28x28 grayscale images, classes '0'-'9'.

    >>> mnist("train", classes=[3], size=32)   # doctest: +SKIP
    """
    return _build(_MNIST, split, root, download, classes, size, limit)
