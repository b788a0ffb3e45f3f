"""Reading IDX files, the format of MNIST and Fashion-MNIST, with numpy alone.

An IDX file is a 4-byte magic (two zero bytes, a type code, the number of dimensions), one
big-endian uint32 per dimension, then the values. Plain and gzip-compressed files are read
whole (one decompression, one ``frombuffer``), so the 60,000-image training set loads in a
fraction of a second; anything that does not match its header is a
:class:`~ganzoo.errors.DataUnavailableError` naming the file, never a bare traceback.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from ganzoo.plugin import DataUnavailableError

_UBYTE = 0x08

#: The file-name stem of each split's images and labels, as published.
SPLIT_FILES: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _corrupt(path: Path, why: str) -> DataUnavailableError:
    return DataUnavailableError(
        f"{path} is not a valid IDX file ({why}); delete it and fetch the dataset again"
    )


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """The uint8 array stored in the IDX file ``path`` (``.gz`` or plain), which must have ``ndim`` axes."""
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise _corrupt(path, f"{type(exc).__name__}: {exc}") from exc
    if len(raw) < 4:
        raise _corrupt(path, "shorter than its header")
    zero1, zero2, code, dims = raw[0], raw[1], raw[2], raw[3]
    if zero1 or zero2:
        raise _corrupt(path, f"bad magic number {raw[:4].hex()}")
    if code != _UBYTE:
        raise _corrupt(path, f"type code 0x{code:02x}, expected unsigned bytes 0x08")
    if dims != ndim:
        raise _corrupt(path, f"{dims} dimensions, expected {ndim}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise _corrupt(path, "shorter than its header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape, dtype=np.int64))
    if len(raw) - header != expected:
        raise _corrupt(path, f"header says {'x'.join(map(str, shape))} = {expected} bytes "
                             f"but {len(raw) - header} follow")
    array: np.ndarray = np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()
    return array


def find_split(folder: Path, split: str) -> tuple[Path, Path] | None:
    """The (images, labels) files of ``split`` in ``folder``, plain preferred over ``.gz``; else None."""
    found = []
    for stem in SPLIT_FILES[split]:
        for candidate in (folder / stem, folder / f"{stem}.gz"):
            if candidate.is_file():
                found.append(candidate)
                break
        else:
            return None
    return found[0], found[1]


def load_split(images_path: Path, labels_path: Path, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Images ``[N, H, W]`` and labels ``[N]`` from one split's pair of files, checked against each other."""
    images = read_idx(images_path, 3)
    labels = read_idx(labels_path, 1)
    if images.shape[0] != labels.shape[0]:
        raise DataUnavailableError(
            f"{images_path} holds {images.shape[0]} images but {labels_path} holds {labels.shape[0]} "
            f"labels; the files do not belong together, fetch the dataset again"
        )
    if labels.size and int(labels.max()) >= num_classes:
        raise _corrupt(labels_path, f"label {int(labels.max())} out of range 0-{num_classes - 1}")
    return images, labels
