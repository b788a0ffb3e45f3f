"""Checkpoint folders: written atomically, read strictly, pruned, and never pickled.

Layout of ``checkpoints/step_00000200/``::

    model.safetensors        the whole GAN's state dict (generator + discriminator)
    ema.safetensors          the averaged generator, when EMA is on
    optimizers.safetensors   optimiser state tensors; their non-tensor parts are in state.json
    rng.safetensors          torch CPU (and CUDA) generator states as uint8 tensors
    state.json               step, epoch, data position, python/numpy RNG, optimiser groups ...

A checkpoint is written into ``checkpoints/.tmp-step_00000200/`` (every file fsynced), renamed to
its final name in one step, and only then does ``checkpoints/latest`` point at it. A crash at any
moment leaves the previous checkpoint and pointer intact; leftover ``.tmp-*`` folders are removed
by the next run. With evaluation during training, ``checkpoints/best`` names the checkpoint with
the best score, and pruning never deletes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor

from ganzoo.errors import CheckpointError
from ganzoo.io import atomic_write, read_json, replace_dir

CHECKPOINTS = "checkpoints"
LATEST = "latest"
BEST = "best"
FORMAT = "ganzoo-train-checkpoint"
_STEP_RE = re.compile(r"^step_(\d+)$")


def step_name(step: int) -> str:
    return f"step_{step:08d}"


@dataclass
class Checkpoint:
    """What :func:`read_checkpoint` returns; ``optimizers``/``rng`` are empty for weights-only reads."""

    path: Path
    state: dict[str, Any]
    model: dict[str, Tensor]
    ema: dict[str, Tensor] | None
    optimizers: dict[str, Tensor]
    rng: dict[str, Tensor]

    @property
    def step(self) -> int:
        return int(self.state["step"])


def plain_tensors(state_dict: dict[str, Tensor]) -> dict[str, Tensor]:
    """CPU, contiguous, unshared tensors, as safetensors requires (channels_last included)."""
    out: dict[str, Tensor] = {}
    seen: set[int] = set()
    for key, value in state_dict.items():
        tensor = value.detach().cpu().contiguous()
        if tensor.numel() and tensor.data_ptr() in seen:
            tensor = tensor.clone()
        if tensor.numel():
            seen.add(tensor.data_ptr())
        out[key] = tensor
    return out


def _write_tensors(tensors: dict[str, Tensor], path: Path, metadata: dict[str, str]) -> None:
    save_file(plain_tensors(tensors), str(path), metadata=metadata)
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def save_checkpoint(run_dir: str | Path, step: int, *, model: dict[str, Tensor], ema: dict[str, Tensor] | None,
                    optimizers: dict[str, Tensor], rng: dict[str, Tensor], state: dict[str, Any]) -> Path:
    """Write ``checkpoints/step_N`` atomically and point ``checkpoints/latest`` at it."""
    root = Path(run_dir) / CHECKPOINTS
    root.mkdir(parents=True, exist_ok=True)
    name = step_name(step)
    tmp, final = root / f".tmp-{name}", root / name
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    meta = {"format": FORMAT, "step": str(step)}
    _write_tensors(model, tmp / "model.safetensors", meta)
    if ema is not None:
        _write_tensors(ema, tmp / "ema.safetensors", meta)
    _write_tensors(optimizers, tmp / "optimizers.safetensors", meta)
    _write_tensors(rng, tmp / "rng.safetensors", meta)
    with atomic_write(tmp / "state.json", "w") as handle:
        json.dump({"format": FORMAT, **state, "step": step}, handle, indent=2)
        handle.write("\n")
    _fsync_dir(tmp)
    replace_dir(tmp, final)  # the same step may be saved again (say, after a resume)
    _fsync_dir(root)
    _write_pointer(root, LATEST, name)
    return final


def list_checkpoints(run_dir: str | Path) -> list[Path]:
    """Complete checkpoint folders of a run, oldest first."""
    root = Path(run_dir) / CHECKPOINTS
    if not root.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in root.iterdir() if (m := _STEP_RE.match(p.name)) and p.is_dir()]
    return [p for _, p in sorted(found) if (p / "state.json").is_file()]


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    """The checkpoint ``latest`` names, else the newest complete one, else ``None``."""
    named = _read_pointer(Path(run_dir) / CHECKPOINTS, LATEST)
    if named is not None:
        return named
    found = list_checkpoints(run_dir)
    return found[-1] if found else None


def mark_best(run_dir: str | Path, step: int) -> None:
    """Point ``checkpoints/best`` (atomically) at the checkpoint of ``step``."""
    _write_pointer(Path(run_dir) / CHECKPOINTS, BEST, step_name(step))


def best_checkpoint(run_dir: str | Path) -> Path | None:
    """The complete checkpoint ``checkpoints/best`` names, else ``None``."""
    return _read_pointer(Path(run_dir) / CHECKPOINTS, BEST)


def _write_pointer(root: Path, pointer: str, name: str) -> None:
    """Make the file ``root/pointer`` (``latest``, ``best``) name checkpoint ``name``, atomically."""
    with atomic_write(root / pointer, "w") as handle:
        handle.write(name + "\n")


def _read_pointer(root: Path, pointer: str) -> Path | None:
    """The complete checkpoint that ``root/pointer`` names, or ``None``."""
    with contextlib.suppress(OSError):
        name = (root / pointer).read_text(encoding="utf-8").strip()
        if _STEP_RE.match(name) and (root / name / "state.json").is_file():
            return root / name
    return None


def resolve_checkpoint(run_dir: str | Path, checkpoint: str | None = None) -> Path:
    """The folder of ``checkpoint`` (``step_N``, ``N``, ``latest``, ``best`` or a path); latest by default."""
    run_dir = Path(run_dir)
    if checkpoint == BEST and not (run_dir / CHECKPOINTS / BEST).is_dir():
        path = best_checkpoint(run_dir)
        if path is None:
            raise CheckpointError(f"{run_dir} has no best checkpoint; train it with --eval-every N")
        return path
    if checkpoint in (None, "", LATEST):
        path = latest_checkpoint(run_dir)
        if path is None:
            raise CheckpointError(f"{run_dir} has no checkpoint yet; train it longer, or resume it with --resume")
        return path
    text = str(checkpoint)
    candidates = [run_dir / CHECKPOINTS / text, Path(text)]
    if text.isdigit():
        candidates.insert(0, run_dir / CHECKPOINTS / step_name(int(text)))
    for path in candidates:
        if path.is_dir() and ((path / "state.json").exists() or (path / "model.safetensors").exists()):
            return path
    names = ", ".join(p.name for p in list_checkpoints(run_dir)) or "none"
    raise CheckpointError(f"no checkpoint {text!r} in {run_dir}; available: {names}")


def _load(path: Path) -> dict[str, Tensor]:
    try:
        return load_file(str(path))
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint file {path} is missing; pick another checkpoint with --checkpoint") from None
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"checkpoint file {path} is corrupt ({exc}); pick another checkpoint with --checkpoint"
        ) from None


def read_checkpoint(path: str | Path, *, training_state: bool = True, ema: bool = True) -> Checkpoint:
    """Load a checkpoint folder; weights only unless ``training_state``."""
    path = Path(path)
    try:
        state = read_json(path / "state.json")
    except FileNotFoundError:
        raise CheckpointError(f"{path} is not a complete checkpoint (no state.json); use an older one") from None
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path / 'state.json'} is unreadable ({exc}); use an older checkpoint") from None
    if not isinstance(state, dict) or "step" not in state:
        raise CheckpointError(f"{path / 'state.json'} is not a ganzoo checkpoint state; use an older checkpoint")
    model = _load(path / "model.safetensors")
    ema_path = path / "ema.safetensors"
    ema_state = _load(ema_path) if ema and ema_path.exists() else None
    optimizers = _load(path / "optimizers.safetensors") if training_state else {}
    rng = _load(path / "rng.safetensors") if training_state else {}
    return Checkpoint(path, state, model, ema_state, optimizers, rng)


def prune_checkpoints(run_dir: str | Path, keep: int, *, protect: tuple[str, ...] = ()) -> list[Path]:
    """Delete all but the newest ``keep`` checkpoints (0 keeps all), the ``protect``-ed ones and the best."""
    found = list_checkpoints(run_dir)
    if keep <= 0 or len(found) <= keep:
        return []
    latest = latest_checkpoint(run_dir)
    best = best_checkpoint(run_dir)
    removed = []
    for path in found[:-keep]:
        if path.name in protect or path == latest or path == best:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def remove_partial(run_dir: str | Path) -> None:
    """Delete ``.tmp-*`` folders left by a run that died while writing a checkpoint."""
    root = Path(run_dir) / CHECKPOINTS
    if root.is_dir():
        for path in root.glob(".tmp-*"):
            shutil.rmtree(path, ignore_errors=True)
