"""Small data sets in the Hugging Face Hub's own formats, made by the tests that read them.

``cifar_schema_set`` writes parquet files with CIFAR-10's exact schema on the Hub
(``uoft-cs/cifar10``: an ``img`` Image column and a ``label`` ClassLabel with CIFAR-10's ten
names, under ``plain_text/``); ``imagefolder_set`` writes the imagefolder layout (class
subfolders of PNG files with a ``metadata.csv`` beside them). Each image's pixels are known,
so tests can compare what they read with what was written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
CARD = """---
license: mit
pretty_name: Tiny CIFAR-10 schema
task_categories:
- image-classification
---
# A tiny set in CIFAR-10's schema, made by ganzoo's tests
"""


def pixels(index: int, size: int = 32, channels: int = 3) -> np.ndarray:
    """A distinct, smooth picture for row ``index`` (uint8 HxWxC, or HxW for one channel)."""
    ramp = np.linspace(0, 255, size, dtype=np.float64)
    red = np.add.outer(ramp, ramp) / 2
    image = np.stack([red, np.full_like(red, (index * 37) % 256), ramp[None, :].repeat(size, 0)], axis=-1)
    image = image.astype(np.uint8)
    return image[..., 0] if channels == 1 else image


def cifar_schema_set(folder: Path, train: int = 20, test: int = 10, *, card: bool = True,
                     broken_row: int | None = None, image_size: int = 32) -> Path:
    """Parquet files with CIFAR-10's schema in ``folder/plain_text``; row ``broken_row`` holds no image."""
    import datasets

    features = datasets.Features({"img": datasets.Image(), "label": datasets.ClassLabel(names=CIFAR10_NAMES)})
    (folder / "plain_text").mkdir(parents=True, exist_ok=True)
    for split, count in (("train", train), ("test", test)):
        images: list[object] = [Image.fromarray(pixels(i, image_size)) for i in range(count)]
        if split == "train" and broken_row is not None:
            images[broken_row] = {"bytes": b"not an image at all", "path": None}
        table = datasets.Dataset.from_dict({"img": images, "label": [i % 10 for i in range(count)]}, features=features)
        table.to_parquet(str(folder / "plain_text" / f"{split}-00000-of-00001.parquet"))
    if card:
        (folder / "README.md").write_text(CARD)
    return folder


def imagefolder_set(folder: Path, classes: tuple[str, ...] = ("cat", "dog"), per_class: int = 6) -> Path:
    """The imagefolder layout: ``train/<class>/<n>.png`` with ``train/metadata.csv`` (file_name, caption)."""
    split = folder / "train"
    rows = ["file_name,caption"]
    for c, name in enumerate(classes):
        (split / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.fromarray(pixels(c * per_class + i, 24)).save(split / name / f"{i}.png")
            rows.append(f"{name}/{i}.png,a {name} number {i}")
    (split / "metadata.csv").write_text("\n".join(rows) + "\n")
    return folder
