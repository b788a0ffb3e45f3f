"""Checkpoint folders: written atomically, read strictly, pruned, and never pickled.

Layout of ``checkpoints/step_00000200/``::

    model.safetensors        the whole GAN's state dict (generator + discriminator)
    ema.safetensors          the averaged generator, when EMA is on
    optimizers.safetensors   optimiser state tensors; their non-tensor parts are in state.json
    rng.safetensors          torch CPU (and CUDA) generator states as uint8 tensors
    state.json               step, epoch, data position, python/numpy RNG, optimiser groups ...

A checkpoint is written into ``checkpoints/.tmp-step_00000200/`` (every file and the folder
fsynced), renamed to its final name, and only then does ``checkpoints/latest`` point at it. A
failed write (a full disk, say) removes its ``.tmp-`` folder and leaves the previous checkpoint and
pointer intact. Saving a step that already has a folder renames the old one to
``.step_00000200.old`` before the new one moves in; a crash between those two renames leaves both
copies, and :func:`recover_checkpoints` -- run by the next ``train`` and by readers that find such
leftovers -- finishes the save from a complete ``.tmp-`` folder or puts the ``.old`` one back. Only
``.tmp-`` folders that fail :func:`checkpoint_problem` are deleted. With evaluation during
training, ``checkpoints/best`` names the checkpoint with the best score, and pruning never deletes it.

A run killed after writing ``step_N`` but before updating ``latest`` leaves a complete checkpoint
that ``latest`` does not name (:func:`unpointed_checkpoints`; ``--resume`` takes it), and perhaps a
``.latest.*.tmp`` file, deleted by the next writer. Resuming from an older checkpoint moves the
later ones into ``checkpoints/abandoned-TIME/`` (:func:`set_aside_later`), so the next resume
continues the branch trained last.
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
from ganzoo.io import aside_name, atomic_write, fsync_dir, read_json, replace_dir

CHECKPOINTS = "checkpoints"
LATEST = "latest"
BEST = "best"
FORMAT = "ganzoo-train-checkpoint"
_STEP_RE = re.compile(r"^step_(\d+)$")
_LEFTOVER_RE = re.compile(r"^\.(?:tmp-(step_\d+)|(step_\d+)\.old)$")
#: The temporary files :func:`_write_pointer` writes (``.latest.x1y2.tmp``) before renaming them
#: into place; one is left behind only when its writer was killed between the two.
_POINTER_TMP_RE = re.compile(r"^\.(?:latest|best)\..+\.tmp$")
#: Prefix of the folders that hold the checkpoints a resume from an older one set aside.
ABANDONED = "abandoned-"
#: The files every training checkpoint has (``ema.safetensors`` only with EMA).
REQUIRED_FILES = ("model.safetensors", "optimizers.safetensors", "rng.safetensors", "state.json")


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
    try:
        save_file(plain_tensors(tensors), str(path), metadata=metadata)
    except SafetensorError as exc:  # its I/O errors ("... (os error 28)") as the OSError they are
        found = re.search(r"os error (\d+)", str(exc))
        if found is None:
            raise
        code = int(found.group(1))
        raise OSError(code, os.strerror(code), str(path)) from exc
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def save_checkpoint(run_dir: str | Path, step: int, *, model: dict[str, Tensor], ema: dict[str, Tensor] | None,
                    optimizers: dict[str, Tensor], rng: dict[str, Tensor], state: dict[str, Any]) -> Path:
    """Write ``checkpoints/step_N`` atomically and point ``checkpoints/latest`` at it."""
    root = Path(run_dir) / CHECKPOINTS
    root.mkdir(parents=True, exist_ok=True)
    name = step_name(step)
    tmp, final = root / f".tmp-{name}", root / name
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        meta = {"format": FORMAT, "step": str(step)}
        _write_tensors(model, tmp / "model.safetensors", meta)
        if ema is not None:
            _write_tensors(ema, tmp / "ema.safetensors", meta)
        _write_tensors(optimizers, tmp / "optimizers.safetensors", meta)
        _write_tensors(rng, tmp / "rng.safetensors", meta)
        with atomic_write(tmp / "state.json", "w") as handle:  # last: its presence means complete
            json.dump({"format": FORMAT, **state, "step": step}, handle, indent=2)
            handle.write("\n")
        fsync_dir(tmp)
    except BaseException:  # a full disk, say: leave no partial copy behind, the previous one stays
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_dir(tmp, final)  # the same step may be saved again (say, after a resume); fsyncs root
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
    """Make the file ``root/pointer`` (``latest``, ``best``) name checkpoint ``name``, atomically and durably."""
    with atomic_write(root / pointer, "w") as handle:
        handle.write(name + "\n")
    fsync_dir(root)


def _read_pointer(root: Path, pointer: str) -> Path | None:
    """The complete checkpoint that ``root/pointer`` names, or ``None``."""
    with contextlib.suppress(OSError):
        name = (root / pointer).read_text(encoding="utf-8").strip()
        if _STEP_RE.match(name) and (root / name / "state.json").is_file():
            return root / name
    return None


def resolve_checkpoint(run_dir: str | Path, checkpoint: str | None = None) -> Path:
    """The folder of ``checkpoint`` (``step_N``, ``N``, ``latest``, ``best`` or a path); latest by default.

    What a crash left half-saved is recovered first (see :func:`recover_checkpoints`), when no
    other process is writing the run.
    """
    run_dir = Path(run_dir)
    recover_if_free(run_dir)
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
    """Delete all but the newest ``keep`` checkpoints (0 keeps all), the ``protect``-ed ones and the best.

    Checkpoints with a later step than ``latest`` (one a run killed before updating ``latest``
    left, or a branch left by a resume made before :func:`set_aside_later`) are not counted and
    not deleted: training replaces each as it reaches that step.
    """
    found = list_checkpoints(run_dir)
    latest = latest_checkpoint(run_dir)
    if latest is not None:
        found = [p for p in found if step_of(p) <= step_of(latest)]
    if keep <= 0 or len(found) <= keep:
        return []
    best = best_checkpoint(run_dir)
    removed = []
    for path in found[:-keep]:
        if path.name in protect or path in (latest, best):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def step_of(path: Path) -> int:
    """The step of checkpoint folder ``path`` (``step_00000200`` -> 200); -1 for other names."""
    found = _STEP_RE.match(path.name)
    return int(found.group(1)) if found else -1


# -- telling complete checkpoints from partial ones, and recovering after a crash ----------------
def checkpoint_problem(path: str | Path) -> str | None:
    """Why folder ``path`` is not a complete training checkpoint, or ``None`` when it is.

    Cheap: reads ``state.json`` and every safetensors header, and checks each file's length
    against its header, which catches a truncated or half-written file without loading tensors.
    """
    path = Path(path)
    for name in REQUIRED_FILES:
        if not (path / name).is_file():
            return f"{name} is missing"
    try:
        state = read_json(path / "state.json")
    except (OSError, ValueError) as exc:
        return f"state.json is unreadable ({exc})"
    if not isinstance(state, dict) or not isinstance(state.get("step"), int):
        return "state.json names no step"
    for file in sorted(path.glob("*.safetensors")):
        problem = _safetensors_problem(file)
        if problem:
            return f"{file.name} {problem}"
    return None


def _safetensors_problem(path: Path) -> str | None:
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(8)
            length = int.from_bytes(head, "little") if len(head) == 8 else size
            if length > size - 8:
                return f"is truncated ({size} bytes)"
            header = json.loads(handle.read(length))
    except (OSError, ValueError) as exc:
        return f"is unreadable ({exc})"
    if not isinstance(header, dict):
        return "has no tensor table"
    end = 0
    for key, entry in header.items():
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if key == "__metadata__":
            continue
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
            return f"has a malformed entry {key!r}"
        end = max(end, offsets[1])
    if size != 8 + length + end:
        return f"is truncated ({size} of {8 + length + end} bytes)"
    return None


def _leftovers(root: Path) -> list[str]:
    """Names of the checkpoints with a ``.tmp-NAME`` or ``.NAME.old`` folder in ``root``."""
    if not root.is_dir():
        return []
    return sorted({m.group(1) or m.group(2) for p in root.iterdir() if (m := _LEFTOVER_RE.match(p.name))})


def recover_checkpoints(run_dir: str | Path) -> list[str]:
    """Finish or undo the checkpoint saves a crash interrupted; returns lines saying what was done.

    A complete ``.tmp-step_N`` is moved into place (the save it belongs to had written everything);
    otherwise a ``.step_N.old`` with no ``step_N`` is renamed back; incomplete ``.tmp-`` folders are
    deleted, and ``.old`` copies once ``step_N`` is whole. ``latest`` then names the newest
    recovered checkpoint if it named an older or missing one. The temporary files of pointer
    updates (``.latest.*.tmp``) a killed writer left are deleted. The caller must hold the run's
    lock (:mod:`ganzoo.runs.lock`): a live trainer's ``.tmp-`` folder looks just like a dead one's.
    """
    root = Path(run_dir) / CHECKPOINTS
    notes: list[str] = []
    recovered: list[str] = []
    _remove_pointer_leftovers(root)
    names = _leftovers(root)
    for name in names:
        final, tmp, old = root / name, root / f".tmp-{name}", aside_name(root / name)
        final_ok = final.is_dir() and checkpoint_problem(final) is None
        if tmp.is_dir() and checkpoint_problem(tmp) is None:  # complete: the newest copy of this step
            replace_dir(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
            notes.append(f"finished saving checkpoint {name}, which an interrupted run had written in full")
            recovered.append(name)
            continue
        if tmp.exists():  # half-written: its save never finished
            shutil.rmtree(tmp)
        if old.is_dir():
            if final_ok:
                shutil.rmtree(old)
            elif not final.exists() and checkpoint_problem(old) is None:
                os.replace(old, final)
                notes.append(f"restored checkpoint {name} from {old.name}, left by a run interrupted while "
                             f"saving that step again")
                recovered.append(name)
    if names:
        fsync_dir(root)
    if recovered:
        named = _read_pointer(root, LATEST)
        newest = max(recovered, key=lambda name: step_of(Path(name)))
        if named is None or step_of(named) < step_of(Path(newest)):
            _write_pointer(root, LATEST, newest)
    return notes


def _remove_pointer_leftovers(root: Path) -> None:
    """Delete the ``.latest.*.tmp`` and ``.best.*.tmp`` files of pointer updates that never finished."""
    if not root.is_dir():
        return
    for path in root.iterdir():
        if _POINTER_TMP_RE.match(path.name) and path.is_file():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def unpointed_checkpoints(run_dir: str | Path) -> list[Path]:
    """Complete checkpoints saved after the one ``latest`` names but never pointed at, newest first.

    A run killed between writing ``step_N`` and updating ``latest`` leaves one. A checkpoint with
    a later step but written *before* the named one (``state.json`` older) is not one of them:
    it belongs to a branch a resume from an older checkpoint left (runs made before such
    checkpoints were set aside, see :func:`set_aside_later`).
    """
    named = _read_pointer(Path(run_dir) / CHECKPOINTS, LATEST)
    if named is None:
        return []  # no pointer to trust: latest_checkpoint already takes the newest one
    with contextlib.suppress(OSError):
        written = (named / "state.json").stat().st_mtime
        found = [p for p in list_checkpoints(run_dir) if step_of(p) > step_of(named)
                 and (p / "state.json").stat().st_mtime >= written and checkpoint_problem(p) is None]
        return found[::-1]
    return []


def set_aside_later(run_dir: str | Path, step: int) -> Path | None:
    """Move the checkpoints after ``step`` into ``checkpoints/abandoned-TIME/``; point ``latest`` at ``step``.

    Called when training resumes from an older checkpoint: what comes after it is a branch that
    is no longer trained, so a later ``--resume`` must continue from the new branch, not from the
    old one's newest checkpoint. Nothing is deleted: the folder keeps the moved checkpoints, the
    ``best`` pointer when it named one of them, and a copy of ``metrics.jsonl`` as it was.
    Returns the folder, or ``None`` when there was nothing after ``step``. The caller holds the lock.
    """
    import time

    run_dir = Path(run_dir)
    root = run_dir / CHECKPOINTS
    later = [p for p in list_checkpoints(run_dir) if step_of(p) > step]
    if not later:
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = root / f"{ABANDONED}{stamp}"
    number = 1
    while aside.exists():
        number += 1
        aside = root / f"{ABANDONED}{stamp}-{number}"
    aside.mkdir()
    metrics = run_dir / "metrics.jsonl"
    if metrics.is_file():
        shutil.copy2(metrics, aside / metrics.name)
    best = _read_pointer(root, BEST)
    for path in later:
        os.replace(path, aside / path.name)
    if best is not None and step_of(best) > step:
        os.replace(root / BEST, aside / BEST)
    fsync_dir(aside)
    fsync_dir(root)
    _write_pointer(root, LATEST, step_name(step))
    return aside


def recover_if_free(run_dir: str | Path) -> None:
    """:func:`recover_checkpoints` when a crash left something and no other process writes the run."""
    run_dir = Path(run_dir)
    if not _leftovers(run_dir / CHECKPOINTS):
        return
    from ganzoo.errors import warn
    from ganzoo.runs.lock import maybe_locked

    with maybe_locked(run_dir) as free:
        if free:
            for note in recover_checkpoints(run_dir):
                warn(f"{run_dir}: {note}")
