"""CIFAR-10: 60,000 32x32 colour images of 10 classes, in CIFAR's pickled python batches.

Looked for, in order: ``root=``, ``$GANZOO_DATA_DIR/cifar10``, ganzoo's download folder. Each
may hold the extracted ``cifar-10-batches-py`` folder (or be it), or ``cifar-10-python.tar.gz``,
which is then extracted. Failing that, ``torchvision.datasets.CIFAR10`` downloads it.

The batches are pickles, so they are read with an unpickler that only rebuilds numpy arrays:
a doctored file can fail to load but cannot run code. Reading them here rather than through
torchvision also accepts copies whose md5 differs (re-packed archives, test fixtures) as long
as their shapes and labels check out.
"""

from __future__ import annotations

import os
import pickle
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganzoo.plugin import (
    ClassSelection,
    DatasetInfo,
    DataUnavailableError,
    InMemoryImages,
    check_split,
    data_home,
    option_bool,
    option_int,
    resolve_classes,
    run_download,
    search_roots,
)

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
SPLITS = ("train", "test")
FOLDER = "cifar-10-batches-py"
ARCHIVE = "cifar-10-python.tar.gz"
BATCHES = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}
_HINT = (f"put {ARCHIVE} or the extracted {FOLDER} folder in a folder and pass root=FOLDER "
         f"(or set GANZOO_DATA_DIR so that $GANZOO_DATA_DIR/cifar10 holds it)")


class _ArraysOnly(pickle.Unpickler):
    """Rebuilds numpy arrays and plain containers; refuses every other global."""

    _ALLOWED = {
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("_codecs", "encode"):  # how protocol 2 spells bytes when Python 3 wrote it
            return _latin1_bytes
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        if name in ("_reconstruct", "scalar"):
            return _numpy_core(name)
        return getattr(np, name)


def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    if encoding.replace("-", "").replace("_", "").lower() != "latin1":
        raise pickle.UnpicklingError(f"refusing to decode bytes with codec {encoding!r}")
    return text.encode("latin1")


def _numpy_core(name: str) -> Any:
    try:
        from numpy._core import multiarray  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray  # type: ignore[no-redef]
    return getattr(multiarray, name)


def _read_batch(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            entry = _ArraysOnly(handle, encoding="latin1").load()
    except Exception as exc:  # truncated, not a pickle, forbidden global ...
        raise DataUnavailableError(f"{path} is not a readable CIFAR-10 batch ({type(exc).__name__}: {exc}); "
                                   f"delete it and fetch the dataset again") from exc
    if not isinstance(entry, dict):
        raise DataUnavailableError(f"{path} is not a CIFAR-10 batch (no dict inside); fetch the dataset again")
    return {key.decode("latin1") if isinstance(key, bytes) else key: value for key, value in entry.items()}


def _load_split(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    images, labels = [], []
    for name in BATCHES[split]:
        path = folder / name
        entry = _read_batch(path)
        data, targets = entry.get("data"), entry.get("labels")
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
            raise DataUnavailableError(f"{path} has no uint8 'data' array of shape [N, 3072]; fetch the dataset again")
        targets = np.asarray(targets if targets is not None else [], dtype=np.int64)
        if targets.shape != (data.shape[0],) or (targets.size and (targets.min() < 0 or targets.max() > 9)):
            raise DataUnavailableError(f"{path} does not have one label in 0-9 per image; fetch the dataset again")
        images.append(data.reshape(-1, 3, 32, 32))
        labels.append(targets)
    return np.concatenate(images), np.concatenate(labels)


def _has_split(folder: Path, split: str) -> bool:
    return all((folder / name).is_file() for name in BATCHES[split])


def _extract(archive: Path) -> Path:
    """Extract the archive next to itself, or into ganzoo's data folder when that is read-only."""
    target = archive.parent if os.access(archive.parent, os.W_OK) else data_home() / "cifar10"
    target.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.name.startswith(FOLDER + "/") and m.isfile()]
            if hasattr(tarfile, "data_filter"):
                tar.extractall(target, members=members, filter="data")
            else:  # pragma: no cover - Python without extraction filters
                tar.extractall(target, members=[m for m in members if ".." not in m.name])
    except (OSError, EOFError, tarfile.TarError) as exc:
        raise DataUnavailableError(f"{archive} cannot be extracted ({type(exc).__name__}: {exc}); "
                                   f"delete it and fetch the dataset again") from exc
    return target / FOLDER


def _locate(split: str, roots: list[Path]) -> Path | None:
    for root in roots:
        for folder in (root / FOLDER, root):
            if _has_split(folder, split):
                return folder
        if (root / ARCHIVE).is_file():
            folder = _extract(root / ARCHIVE)
            if _has_split(folder, split):
                return folder
    return None


def _download(target: Path) -> None:
    """Let torchvision fetch, md5-check and extract the archive into ``target``."""
    import torchvision.datasets

    target.mkdir(parents=True, exist_ok=True)
    torchvision.datasets.CIFAR10(root=str(target), train=True, download=True)


def _folder(split: str, root: str | os.PathLike[str] | None, download: bool) -> Path:
    roots = search_roots("cifar10", root)
    found = _locate(split, roots)
    if found is not None:
        return found
    looked = ", ".join(str(r) for r in roots)
    if not download:
        raise DataUnavailableError(f"CIFAR-10 ({split}) is not in {looked} and download=False: {_HINT}")
    target = roots[0] if root is not None else roots[-1]
    run_download(lambda: _download(target), what="CIFAR-10", looked=roots, hint=_HINT)
    found = _locate(split, [target])
    if found is None:
        raise DataUnavailableError(f"CIFAR-10 was downloaded to {target} but its batches are missing: {_HINT}")
    return found


def _class_names(folder: Path) -> list[str]:
    """The names in ``batches.meta`` when present and sane, else the published ones."""
    meta = folder / "batches.meta"
    if meta.is_file():
        names = _read_batch(meta).get("label_names")
        if isinstance(names, list) and len(names) == len(CLASSES):
            return [n.decode() if isinstance(n, bytes) else str(n) for n in names]
    return list(CLASSES)


def cifar10(split: str = "train", *, root: str | os.PathLike[str] | None = None, download: bool = True,
            classes: ClassSelection = None, size: int = 32, limit: int | None = None) -> InMemoryImages:
    """CIFAR-10 (Krizhevsky 2009): 50,000 train / 10,000 test 32x32 RGB images of 10 classes.

    ``classes`` keeps some classes (names or indices, relabelled 0..k-1), ``size`` resizes,
    ``limit`` keeps the first N items after filtering.

    >>> cifar10("train", classes=["frog"], size=64)   # doctest: +SKIP
    """
    check_split("cifar10", split, SPLITS)
    size = option_int("cifar10", "size", size)
    limit = None if limit is None else option_int("cifar10", "limit", limit)
    download = option_bool("cifar10", "download", download)
    keep = resolve_classes("cifar10", CLASSES, classes)
    folder = _folder(split, root, download)
    images, labels = _load_split(folder, split)
    info = DatasetInfo(name="cifar10", split=split, channels=3, size=32, classes=_class_names(folder),
                       license="unknown (cite Krizhevsky, 2009)", source="https://www.cs.toronto.edu/~kriz/cifar.html")
    dataset = InMemoryImages(torch.from_numpy(images), torch.from_numpy(labels), info)
    return dataset.select(keep, limit).resized(size)
