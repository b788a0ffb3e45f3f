"""The evaluation cache: real-vs-real baselines and features of dataset splits, on disk.

A baseline (the train split scored against the reference) is the same on every run with the
same settings, and reference features are the same for every model evaluated against them, so
both are computed once. Entries live in ``$GANZOO_HOME/cache/eval`` (else
``$XDG_CACHE_HOME/ganzoo/eval``, i.e. ``~/.cache/ganzoo/eval``) and are named by a hash of
*everything* that could change them: the extractor's weights sha256, the data, the number of
samples, the seed, the precision and the metric settings. A corrupt entry is recomputed, never
trusted; deleting the folder is always safe.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Bump when what an entry means changes, so old entries are never read as new ones.
CACHE_VERSION = 1


def cache_dir() -> Path:
    """``$GANZOO_HOME/cache/eval``, else ``$XDG_CACHE_HOME/ganzoo/eval`` (``~/.cache/ganzoo/eval``)."""
    home = os.environ.get("GANZOO_HOME")
    if home:
        return Path(home).expanduser() / "cache" / "eval"
    cache = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(cache).expanduser() / "ganzoo" / "eval"


def cache_key(parts: Mapping[str, Any]) -> str:
    """A short, stable hash of ``parts`` (JSON with sorted keys)."""
    text = json.dumps({"cache_version": CACHE_VERSION, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def load_json(kind: str, key: str) -> dict[str, Any] | None:
    """The cached entry ``kind-key.json``, or ``None`` when absent or unreadable."""
    path = cache_dir() / f"{kind}-{key}.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def save_json(kind: str, key: str, data: Mapping[str, Any]) -> None:
    """Write ``kind-key.json`` atomically; a read-only cache only costs recomputation."""
    from ganzoo.io import write_json

    try:
        write_json(cache_dir() / f"{kind}-{key}.json", dict(data))
    except OSError as exc:
        warnings.warn(f"cannot write the evaluation cache in {cache_dir()} ({exc}); results are not cached",
                      stacklevel=2)


def _corrupt(path: Path, reason: str) -> None:
    """The note for a cache entry that is not used: it is recomputed (and rewritten) instead."""
    warnings.warn(f"the cached evaluation entry {path.name} in {path.parent} {reason}; recomputing it", stacklevel=3)


def baseline_values(key: str) -> dict[str, float] | None:
    """The cached real-vs-real values ``{output: number}`` of ``key``, or ``None`` (with a note when corrupt).

    Every value must be a finite number: a string, ``null`` or ``1e400`` (infinite once read)
    is a corrupt entry, recomputed rather than reported as a baseline.
    """
    path = cache_dir() / f"baseline-{key}.json"
    entry = load_json("baseline", key)
    if entry is None:
        if path.is_file():
            _corrupt(path, "is not a JSON object")
        return None
    values = entry.get("values")
    if not isinstance(values, dict) or not values:
        _corrupt(path, "holds no values")
        return None
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            _corrupt(path, f"holds {value!r} for {name}, not a finite number")
            return None
    return {str(name): float(value) for name, value in values.items()}


def _features_problem(tensor: Any, what: str, rows: int | None, width: int | None) -> str | None:
    """Why ``tensor`` cannot be the ``what`` of ``rows`` images, ``width`` numbers each (``None``: it can)."""
    import torch

    if not isinstance(tensor, torch.Tensor) or tensor.dim() != 2:
        return f"has {what} of shape {list(getattr(tensor, 'shape', []))}, not a table of one row per image"
    if not tensor.is_floating_point():
        return f"has {what} of type {str(tensor.dtype).removeprefix('torch.')}, not floating-point numbers"
    if rows is not None and tensor.shape[0] != rows:
        return f"has {what} of {tensor.shape[0]} images, not {rows}"
    if width is not None and tensor.shape[1] != width:
        return f"has {what} of {tensor.shape[1]} numbers per image, not {width}"
    if tensor.numel() and not bool(torch.isfinite(tensor).all()):
        return f"has {what} holding NaN or infinite values"
    return None


def load_features(key: str, *, rows: int | None = None, width: int | None = None,
                  classes: int | None = None) -> Any:
    """Cached :class:`~ganzoo.eval.features.Features`, or ``None`` (with a note when the file is corrupt).

    The file is checked, never trusted: a 2-D floating-point table of ``rows`` x ``width``
    finite numbers (and logits of ``rows`` x ``classes``, when present), else it is recomputed.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from ganzoo.eval.features import Features

    path = cache_dir() / f"features-{key}.safetensors"
    if not path.is_file():
        return None
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        _corrupt(path, f"cannot be read ({' '.join(str(exc).split())[:200]})")
        return None
    if "features" not in tensors:
        _corrupt(path, "holds no features")
        return None
    logits = tensors.get("logits")
    problem = _features_problem(tensors["features"], "features", rows, width)
    if problem is None and logits is not None:
        problem = _features_problem(logits, "logits", rows, classes)
    if problem is not None:
        _corrupt(path, problem)
        return None
    return Features(tensors["features"], logits)


def save_features(key: str, features: Any, description: Mapping[str, Any]) -> None:
    """Write features (and logits) as safetensors, atomically, with what they are in the metadata."""
    from safetensors.torch import save_file

    from ganzoo.io import atomic_path

    tensors = {"features": features.features.contiguous()}
    if features.logits is not None:
        tensors["logits"] = features.logits.contiguous()
    try:
        with atomic_path(cache_dir() / f"features-{key}.safetensors") as tmp:
            save_file(tensors, str(tmp), metadata={"description": json.dumps(dict(description), default=str)})
    except OSError as exc:
        warnings.warn(f"cannot write the evaluation cache in {cache_dir()} ({exc}); features are not cached",
                      stacklevel=2)
