"""Seeded latents and labels drawn with numpy, so every backend samples the same images for a seed.

``ganzoo pretrained NAME sample`` runs its generator through PyTorch or through ONNX Runtime
(:mod:`ganzoo.hub.fast`). Both feed it the inputs drawn here: numpy's ``PCG64`` generator gives
the same numbers on every machine and needs no torch, so the fast path stays torch-free and
``--seed 3`` means the same garments whichever backend ran.

    >>> z, labels = draw_inputs(16, 100, seed=3)          # z: float32 [16, 100], labels: None
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganzoo.errors import UsageError

if TYPE_CHECKING:
    import numpy as np


def draw_inputs(n: int, latent_dim: int, *, seed: int | None, num_classes: int = 0,
                labels: "np.ndarray | None" = None,
                truncation: float | None = None) -> "tuple[np.ndarray, np.ndarray | None]":
    """``n`` standard-normal latents (float32 ``[n, latent_dim]``) and, for class-conditional models, labels.

    The order is fixed: all latents first (values outside ``[-T, T]`` redrawn, in row-major
    order, until none is left), then ``n`` uniform labels when ``labels`` is not given.
    ``labels`` (int64 ``[n]``) are used as they are. ``seed=None`` draws fresh entropy.
    """
    import numpy as np

    if n < 1:
        raise UsageError(f"the number of samples must be at least 1, got {n}")
    if seed is not None and not 0 <= seed < 2**63:
        raise UsageError(f"a seed is a whole number from 0 to 2**63 - 1, got {seed}")
    rng = np.random.Generator(np.random.PCG64(seed))
    z = rng.standard_normal((n, latent_dim), dtype=np.float32)
    if truncation is not None:
        bound = np.float32(truncation)
        outside = np.abs(z) > bound
        while outside.any():
            z[outside] = rng.standard_normal(int(outside.sum()), dtype=np.float32)
            outside = np.abs(z) > bound
    if labels is not None:
        labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    elif num_classes:
        labels = rng.integers(0, num_classes, size=n, dtype=np.int64)
    return z, labels
