"""Writers of small dataset files for the dataset tests: IDX, CIFAR-10 batches, images with EXIF.

These produce the published on-disk formats byte for byte, so the loaders are tested against
what they will meet, not against a mock. Nothing here is collected as a test.
"""

from __future__ import annotations

import gzip
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image

CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def write_idx(path: Path, array: np.ndarray, *, compress: bool = False) -> Path:
    """Write a uint8 array as an IDX file (``.gz`` when ``compress``)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    data = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def write_mnist_split(folder: Path, split: str, images: np.ndarray, labels: np.ndarray, *,
                      compress: bool = False) -> None:
    """The images/labels pair of one split, named as published."""
    prefix = "train" if split == "train" else "t10k"
    suffix = ".gz" if compress else ""
    write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images, compress=compress)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels, compress=compress)


def cifar_images(n: int, first_label: int) -> tuple[np.ndarray, list[int]]:
    """``n`` rows of CIFAR's [N, 3072] layout (1024 red, 1024 green, 1024 blue bytes per image).

    Image ``i`` is filled with a single value per channel, (10*i, 100, 200 - i), so a test can
    check channel order; labels cycle from ``first_label``.
    """
    data = np.zeros((n, 3072), dtype=np.uint8)
    for i in range(n):
        data[i, :1024], data[i, 1024:2048], data[i, 2048:] = 10 * i, 100, 200 - i
    return data, [(first_label + i) % 10 for i in range(n)]


def write_cifar_folder(root: Path, per_batch: int = 4) -> Path:
    """A ``cifar-10-batches-py`` folder in CIFAR's pickled-dict format, ``per_batch`` images per batch."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for b, name in enumerate(names):
        data, labels = cifar_images(per_batch, first_label=b)
        entry = {b"batch_label": name.encode(), b"labels": labels, b"data": data,
                 b"filenames": [f"img_{b}_{i}.png".encode() for i in range(per_batch)]}
        (folder / name).write_bytes(pickle.dumps(entry, protocol=2))
    meta = {b"num_cases_per_batch": per_batch, b"label_names": [n.encode() for n in CIFAR_CLASSES],
            b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return folder


def write_cifar_archive(root: Path, per_batch: int = 4) -> Path:
    """``cifar-10-python.tar.gz`` holding a tiny batches folder, as the real download does."""
    staging = root / "staging"
    folder = write_cifar_folder(staging, per_batch)
    archive = root / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    return archive


def halves_image(width: int, height: int, left: tuple[int, int, int], right: tuple[int, int, int]) -> Image.Image:
    """An RGB image whose left half is one colour and right half another."""
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:, : width // 2] = left
    pixels[:, width // 2:] = right
    return Image.fromarray(pixels)


def save_jpeg_with_orientation(image: Image.Image, path: Path, orientation: int) -> Path:
    """Save a JPEG whose EXIF says how a viewer must rotate it (6 = rotate 90 degrees clockwise)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=95, exif=exif.tobytes())
    return path
