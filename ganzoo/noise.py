"""Seeded latents and labels drawn with numpy, so every backend samples the same images for a seed.

``ganzoo sample TARGET`` runs its generator through PyTorch (a training run, a checkpoint
folder, a zoo or Hub model) or through ONNX Runtime (:mod:`ganzoo.hub.fast`). All of them feed
it the inputs drawn here: numpy's ``PCG64`` generator gives the same numbers on every machine
and needs no torch, so the fast path stays torch-free and ``--seed 3`` means the same garments
whichever backend ran, and the same for a run as for the folder exported from it.
:func:`class_indices` is the one reading of ``--class`` (a name in any case, or an index).

    >>> z, labels = draw_inputs(16, 100, seed=3)          # z: float32 [16, 100], labels: None
    >>> class_indices(["sneaker", "3"], FASHION_CLASSES, 10)   # doctest: +SKIP
    [7, 3]
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ganzoo.errors import UsageError

if TYPE_CHECKING:
    import numpy as np


#: The truncation bounds ``--truncation`` and ``--truncations`` accept (latents redrawn until inside ``[-T, T]``).
TRUNCATION_RANGE = (0.05, 10.0)


def check_truncation_bound(truncation: object) -> float:
    """``truncation`` as a float inside :data:`TRUNCATION_RANGE`, else a one-line usage error (torch-free)."""
    try:
        value = float(truncation)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise UsageError(f"--truncation must be a number such as 0.5, got {truncation!r}") from None
    low, high = TRUNCATION_RANGE
    if not low <= value <= high:
        raise UsageError(f"--truncation must be between {low:g} and {high:g} (values are redrawn until inside "
                         f"[-T, T]), got {value:g}")
    return value


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


def class_indices(wanted: Sequence[str | int], names: Sequence[str] | None, num_classes: int, *,
                  option: str = "--class") -> list[int]:
    """Class indices for class names (any case) or indices, as every sampling command reads ``--class``.

    ``names`` are the model's class names (ignored unless there is one per class); an unknown
    name is a one-line :class:`~ganzoo.errors.UsageError` with the closest name and the known
    ones, and a model without classes refuses ``option`` altogether.

    >>> class_indices(["bag", "7"], ["T-shirt/top", "Trouser", ..., "Bag", "Ankle boot"], 10)  # doctest: +SKIP
    [8, 7]
    """
    if not num_classes:
        raise UsageError(f"{option} is for class-conditional models; this model takes no labels, so drop {option}")
    named = bool(names) and len(names or ()) == num_classes
    known = [str(n) for n in names or ()] if named else [str(i) for i in range(num_classes)]
    lowered = {n.lower(): i for i, n in enumerate(known)}
    choices = f"{', '.join(known)} (or an index from 0 to {num_classes - 1})" if named else \
        f"indices from 0 to {num_classes - 1} (its classes have no names)"
    indices = []
    for item in wanted:
        text = str(item).strip()
        if text.isdigit() and int(text) < num_classes:
            indices.append(int(text))
        elif text.lower() in lowered:
            indices.append(lowered[text.lower()])
        else:
            close = difflib.get_close_matches(text.lower(), list(lowered), n=1, cutoff=0.6)
            hint = f" (did you mean '{known[lowered[close[0]]]}'?)" if close else ""
            raise UsageError(f"unknown class '{item}'{hint}; this model knows: {choices}")
    return indices
