"""Weight files from untrusted folders, checked before they cost memory or reach a model.

A checkpoint's ``config.json`` says which model to build and a safetensors file holds its
weights; either may have been edited, truncated or crafted. Everything here runs before (or
instead of) building the real model, so a bad folder fails with one line and little memory:

* :func:`confined_file` -- a weight path named in ``config.json`` stays inside the folder;
* :func:`read_entries` -- the safetensors header (names, dtypes, shapes) without the data;
* :func:`build_skeleton` -- the model on the ``meta`` device: its state dict's shapes, no storage;
* :func:`mismatch` / :func:`check_entries` -- keys, shapes and dtype kinds against the model's;
* :func:`check_size` -- a model far larger than the weights that were checked is refused;
* :func:`check_finite` -- NaN or infinite weights are refused after loading.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, TypeVar

from ganzoo.errors import CheckpointError

if TYPE_CHECKING:
    import torch

FLOAT_DTYPES = ("F16", "BF16", "F32", "F64")
INT_DTYPES = ("I8", "I16", "I32", "I64", "U8", "U16", "U32", "U64")
_NAMES = {"F16": "float16", "BF16": "bfloat16", "F32": "float32", "F64": "float64", "BOOL": "bool",
          "I8": "int8", "I16": "int16", "I32": "int32", "I64": "int64",
          "U8": "uint8", "U16": "uint16", "U32": "uint32", "U64": "uint64"}
#: Parameters and buffers a model may have beyond those its weight files were checked for:
#: this many elements, or 4x the checked ones if more (a discriminator that is not loaded, say).
UNCHECKED_ELEMENTS = 1 << 26

M = TypeVar("M")


@dataclass(frozen=True)
class Entry:
    """One tensor of a safetensors file as its header (or a loaded tensor) describes it."""

    dtype: str  # safetensors' names: "F32", "I64", ...
    shape: tuple[int, ...]

    @property
    def dtype_name(self) -> str:
        return _NAMES.get(self.dtype, self.dtype.lower())


def dtype_code(dtype: "torch.dtype") -> str:
    """safetensors' name of a torch dtype (``torch.float32`` -> ``"F32"``)."""
    text = str(dtype).removeprefix("torch.")
    for code, name in _NAMES.items():
        if name == text:
            return code
    return text.upper()


def entries_of(state: Mapping[str, "torch.Tensor"]) -> dict[str, Entry]:
    """The :class:`Entry` of every tensor of a loaded state dict."""
    return {key: Entry(dtype_code(t.dtype), tuple(int(d) for d in t.shape)) for key, t in state.items()}


def confined_file(folder: str | Path, name: object, what: str, *, config: str | Path | None = None) -> Path:
    """The weight file ``name`` (from ``config.json``) inside ``folder``, or a one-line refusal.

    ``name`` must be a relative path ending in ``.safetensors`` with no ``..``; where the file is
    a symlink, its target must lie inside the folder too -- except in a Hugging Face cache
    snapshot (``.../snapshots/REV/``), whose files are symlinks to the repo's ``blobs/`` folder.
    """
    folder = Path(folder)
    where = Path(config) if config else folder / "config.json"
    if not isinstance(name, str) or not name.strip():
        raise CheckpointError(f"{where}: weights.{what} must be a file name such as '{what}.safetensors'; "
                              f"re-export the checkpoint")
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute() or PureWindowsPath(name).drive:
        raise CheckpointError(f"{where}: weights.{what} is the absolute path {name!r}; weight files must be inside "
                              f"the checkpoint folder: name them relative to it (e.g. '{what}.safetensors')")
    if ".." in parts:
        raise CheckpointError(f"{where}: weights.{what} {name!r} points outside the checkpoint folder; weight "
                              f"files must be inside it: name them relative to it (e.g. '{what}.safetensors')")
    if not name.endswith(".safetensors"):
        raise CheckpointError(f"{where}: weights.{what} {name!r} is not a .safetensors file; ganzoo loads weights "
                              f"only from safetensors files: re-export the checkpoint")
    path = folder / name
    try:
        real, roots = path.resolve(), [folder.resolve()]
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise CheckpointError(f"{path} cannot be resolved ({exc}); re-download or re-export the checkpoint") from None
    if folder.resolve().parent.name == "snapshots":  # the Hugging Face cache layout
        roots.append(folder.resolve().parent.parent / "blobs")
    if not any(real == root or root in real.parents for root in roots):
        raise CheckpointError(f"{path} is a link to {real}, outside the checkpoint folder; weight files must be "
                              f"inside it: copy the file into {folder} instead of linking it")
    return path


def read_entries(path: str | Path, what: str) -> dict[str, Entry]:
    """The tensors a safetensors file holds (header only: nothing of the data is read)."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path.parent} is missing its {what} weights ({path.name}); re-download or re-export it")
    try:
        with safe_open(str(path), framework="pt") as handle:
            entries = {}
            for key in handle.keys():  # noqa: SIM118 - safe_open handles are not iterable
                piece = handle.get_slice(key)
                entries[key] = Entry(str(piece.get_dtype()), tuple(int(d) for d in piece.get_shape()))
    except (SafetensorError, OSError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{path} is corrupt or not a safetensors file ({exc}); "
                              f"re-download or re-export it") from None
    return entries


def build_skeleton(build: Callable[[], M]) -> M | None:
    """``build()`` on the ``meta`` device (shapes, no storage), or ``None`` if it fails there.

    On ``None`` the caller builds for real, which reports a bad config in its own words (and
    still works for model code that needs real numbers while it is built, ``.item()`` say).
    """
    import torch

    try:
        with torch.device("meta"):
            return build()
    except Exception:  # noqa: BLE001 - the real build reports (or survives) it
        return None


def mismatch(expected: Mapping[str, "torch.Tensor"], found: Mapping[str, Entry]) -> str | None:
    """How ``found`` differs from the state dict ``expected`` (keys, shapes, dtype kinds), or ``None``.

    Floating point tensors may be stored in any float dtype (they are cast on loading); integer
    buffers (BatchNorm's ``num_batches_tracked``) in any integer dtype, booleans as booleans.
    """
    import torch

    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} key(s) e.g. {missing[0]!r}")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected key(s) e.g. {unexpected[0]!r}")
        return ", ".join(parts)
    for key, tensor in expected.items():
        entry = found[key]
        if entry.shape != tuple(tensor.shape):
            return f"{key!r} has shape {entry.shape}, the model expects {tuple(tensor.shape)}"
        if tensor.is_floating_point():
            if entry.dtype not in FLOAT_DTYPES:
                return (f"{key!r} is stored as {entry.dtype_name}, but the model needs floating point weights "
                        f"there (float16, bfloat16, float32 or float64)")
        elif tensor.dtype == torch.bool or tensor.dtype.is_complex:
            if entry.dtype != dtype_code(tensor.dtype):
                return f"{key!r} is stored as {entry.dtype_name}, the model expects {str(tensor.dtype)[6:]}"
        elif entry.dtype not in INT_DTYPES:
            return (f"{key!r} is stored as {entry.dtype_name}, but the model needs integers there "
                    f"({str(tensor.dtype)[6:]})")
    return None


def check_entries(expected: Mapping[str, "torch.Tensor"], found: Mapping[str, Entry], path: str | Path,
                  what: str, advice: str) -> None:
    """Refuse (one line naming ``path`` and the first difference) unless ``found`` fits ``expected``."""
    problem = mismatch(expected, found)
    if problem:
        raise CheckpointError(f"{path} does not match the {what} in config.json: {problem}; {advice}")


def check_size(model: "torch.nn.Module", checked: int, where: str | Path, advice: str) -> None:
    """Refuse a model whose parameters and buffers far exceed the ``checked`` elements.

    The weights that were compared with the model bound its size; what was not compared (a
    discriminator that is not loaded, buffers outside the state dict) may add at most
    :data:`UNCHECKED_ELEMENTS` elements or four times the checked ones.
    """
    total = sum(t.numel() for t in model.parameters()) + sum(t.numel() for t in model.buffers())
    if total - checked > max(UNCHECKED_ELEMENTS, 4 * checked):
        gigabytes = total * 4 / 1e9
        raise CheckpointError(f"{where} describes a model of {total:,} parameters (about {gigabytes:.1f} GB), far "
                              f"more than the {checked:,} in its weight files; it was not built: {advice}")


def check_finite(state: Mapping[str, "torch.Tensor"], path: str | Path, advice: str) -> None:
    """Refuse weights with NaN or infinite values, and batch-norm statistics no data could give.

    Either kind samples black or noise images at best; a negative ``running_var`` turns into NaN
    in batch norm's square root, and NaN features once crashed LAPACK inside FID (issue 22).
    """
    import torch

    for key, tensor in state.items():
        if tensor.is_floating_point() and tensor.numel() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(f"{path}: tensor {key!r} holds NaN or infinite values, so the model cannot "
                                  f"produce images; {advice}")
        if key.rsplit(".", 1)[-1] == "running_var" and tensor.numel() and bool((tensor < 0).any()):
            raise CheckpointError(f"{path}: tensor {key!r} holds negative batch-norm variances, which no data can "
                                  f"give, so the model cannot produce images; {advice}")


def element_count(entries: Mapping[str, Entry]) -> int:
    """How many numbers the tensors of ``entries`` hold."""
    return sum(math.prod(e.shape) for e in entries.values())
