"""``edges2fashion``: Fashion-MNIST garments paired with their edge maps, for pix2pix-style training.

The edge map of each garment is computed with kornia's Canny detector (Gaussian blur 5x5 with
sigma 1, Sobel gradients, non-maximum suppression, thresholds 0.1 and 0.2 on pixels in [0, 1],
hysteresis), drawn as black lines on white paper, as in the original edges2shoes. The
thresholds were picked by eye at 28x28: they keep the outline and the main seams and folds,
not the fabric's texture.

The hysteresis step is the one thing not done by ``kornia.filters.canny`` itself: its
edge-tracking loop convolves the whole batch once per round, which made 70,000 maps take
minutes. :func:`_hysteresis` does the same rounds (a weak pixel joins the edges when one of its
8 neighbours is an edge, until nothing changes) with shifted boolean ORs; a test checks that
it gives exactly kornia's maps. Computing all 70,000 maps takes about 10 seconds on one core.
"""

from __future__ import annotations

import os
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from ganzoo.plugin import ClassSelection, DatasetInfo
from ganzoo_datasets.mnist import fashion_mnist
from ganzoo_datasets.paired import InMemoryPairs

#: kornia.filters.canny settings, for images scaled to [0, 1].
CANNY: dict[str, Any] = {"low_threshold": 0.1, "high_threshold": 0.2, "kernel_size": (5, 5), "sigma": (1.0, 1.0)}
#: Images per kornia call; fixed, so every map comes from the same computation whatever the subset.
CHUNK = 256
DOMAINS = {"a": "edge map", "b": "garment"}
DESCRIPTION = ("Canny edges (kornia.filters.canny: 5x5 Gaussian, sigma 1, thresholds 0.1/0.2 on [0, 1] pixels, "
               "hysteresis) as black lines on white")


def _dilate(mask: Tensor) -> Tensor:
    """``mask`` OR its 8 neighbours (3x3 dilation), for a uint8 ``[N, 1, H, W]`` of 0s and 1s."""
    padded = F.pad(mask, (1, 1, 1, 1))
    rows = padded[..., :, :-2] | padded[..., :, 1:-1] | padded[..., :, 2:]
    return rows[..., :-2, :] | rows[..., 1:-1, :] | rows[..., 2:, :]


def _hysteresis(strong: Tensor, weak: Tensor) -> Tensor:
    """Canny's edge tracking: grow ``strong`` into 8-connected ``weak`` pixels until it stops changing."""
    edges, weak = strong.to(torch.uint8), weak.to(torch.uint8)
    while True:
        grown = edges | (_dilate(edges) & weak)
        if torch.equal(grown, edges):
            return edges.bool()
        edges = grown


def canny_edges(images: Tensor) -> Tensor:
    """Edge maps of uint8 grayscale ``[N, 1, H, W]`` images, as a bool tensor of the same shape.

    >>> canny_edges(dataset.images[:16]).float().mean()   # doctest: +SKIP
    tensor(0.15)
    """
    import kornia

    if images.dtype != torch.uint8 or images.dim() != 4 or images.shape[1] != 1:
        raise ValueError(f"expected uint8 [N, 1, H, W] images, got {images.dtype} {list(images.shape)}")
    low, high = CANNY["low_threshold"], CANNY["high_threshold"]
    out = torch.empty(images.shape, dtype=torch.bool)
    with torch.no_grad():
        for start in range(0, images.shape[0], CHUNK):
            pixels = images[start:start + CHUNK].to(torch.float32).div_(255.0)
            magnitude, _ = kornia.filters.canny(pixels, **CANNY, hysteresis=False)  # thinned, not yet tracked
            out[start:start + CHUNK] = _hysteresis(magnitude > high, magnitude > low)
    return out


def edge_images(images: Tensor) -> Tensor:
    """uint8 edge maps of uint8 garments: 0 (black) on edges, 255 (white) elsewhere."""
    return torch.where(canny_edges(images), 0, 255).to(torch.uint8)


def edges2fashion(split: str = "train", *, root: str | os.PathLike[str] | None = None, download: bool = True,
                  classes: ClassSelection = None, limit: int | None = None) -> InMemoryPairs:
    """Fashion-MNIST garments (``image``) and their Canny edge maps (``source``), 28x28, in memory.

    ``root``, ``download``, ``classes`` and ``limit`` mean what they mean for ``fashion-mnist``;
    the edges are computed after the selection, so ``limit=64`` costs milliseconds.
    Items also hold ``label`` (the garment's class) and ``source_label`` (the same class).

    >>> edges2fashion("test", classes=["Sneaker"], limit=100)[0]["source"].shape   # doctest: +SKIP
    torch.Size([1, 28, 28])
    """
    garments = fashion_mnist(split, root=root, download=download, classes=classes, limit=limit)
    info = DatasetInfo(name="edges2fashion", split=split, channels=1, size=28, classes=garments.info.classes,
                       license="MIT", source=f"{garments.info.source}; edges: {DESCRIPTION}",
                       source_channels=1, domains=dict(DOMAINS))
    return InMemoryPairs(edge_images(garments.images), garments.images, info, labels=garments.labels,
                         source_labels=garments.labels)
