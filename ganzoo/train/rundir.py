"""Run directories from the engine's side: creating one safely and describing the run in ``config.json``.

``config.json`` holds everything needed to rebuild the model and resume: architecture and
kwargs, dataset and options, loss, optimiser, seed, versions, the command line. Reading a run
back is :mod:`ganzoo.runs.folder`'s job.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.errors import CheckpointError, UsageError
from ganzoo.folders import RUN_FORMAT
from ganzoo.io import write_json
from ganzoo.runs.checkpoints import latest_checkpoint
from ganzoo.runs.folder import RUN_ENTRIES, RUN_FORMAT_VERSION, read_run_config
from ganzoo.runs.lock import LOCK_ENTRIES, RunLock
from ganzoo.version import __version__

if TYPE_CHECKING:
    from ganzoo.models import GAN
    from ganzoo.train.config import TrainConfig


#: Where ``--overwrite`` keeps the old run until the new one has a checkpoint of its own.
REPLACED = ".ganzoo.replaced"


def default_out(config: "TrainConfig") -> Path:
    return Path("runs") / f"{config.arch}-{config.dataset}"


def _nothing_to_resume(run_dir: Path) -> UsageError:
    return UsageError(f"nothing to resume in {run_dir} (no config.json); drop --resume to start a new run")


def open_run_dir(run_dir: Path, config: "TrainConfig") -> RunLock:
    """Create ``run_dir`` if need be and take its lock (held until released), before anything is written.

    An ``--out`` that cannot be a run directory (a file, a read-only or unwritable place) is one
    clear line here, and so is a folder another trainer is using
    (:class:`~ganzoo.runs.lock.RunLockedError`).
    """
    if run_dir.exists() and not run_dir.is_dir():
        raise UsageError(f"--out {run_dir} is a file, not a folder; choose another --out")
    if config.resume and not (run_dir / "config.json").is_file():
        raise _nothing_to_resume(run_dir)
    try:
        existed = run_dir.exists()
        run_dir.mkdir(parents=True, exist_ok=True)
        lock = RunLock(run_dir)
        lock.remove_if_empty = not existed
        return lock.acquire()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if isinstance(exc, (NotADirectoryError, FileExistsError)):
            reason = f"{reason}: part of the path is a file"
        raise UsageError(f"cannot write the run directory {run_dir} ({reason}); choose another --out "
                         f"where you can write") from None


def prepare_run_dir(run_dir: Path, config: "TrainConfig") -> dict[str, Any] | None:
    """Make ``run_dir`` ready; returns the saved config when resuming, else ``None``.

    A folder that already holds a run is never reused without ``resume`` or ``overwrite``;
    ``overwrite`` deletes nothing here: the old run is set aside by :func:`set_aside_run` only once
    every option, the data and the model have been checked, and dropped once the new run stops with
    a checkpoint of its own (:func:`finish_replacing`). The caller holds the folder's lock
    (:func:`open_run_dir`), so nobody else is writing it meanwhile.
    """
    has_run = (run_dir / "config.json").exists()
    if config.resume:
        if not has_run:
            raise _nothing_to_resume(run_dir)
        return read_run_config(run_dir)
    if has_run and not config.overwrite:
        try:
            saved = read_run_config(run_dir)
            what = f"{saved['architecture']['name']} on {saved['dataset']['name']}"
        except (CheckpointError, KeyError, TypeError):
            what = "another run"
        latest = latest_checkpoint(run_dir)
        where = f", checkpoint {latest.name}" if latest else ""
        raise UsageError(
            f"{run_dir} already holds a run ({what}{where}); pass --resume to continue it, "
            f"--overwrite to replace it, or choose another --out"
        )
    if (not has_run and run_dir.is_dir() and any(p.name not in LOCK_ENTRIES for p in run_dir.iterdir())
            and not config.overwrite):
        raise UsageError(f"{run_dir} exists and is not empty; choose another --out, or pass --overwrite")
    run_dir.mkdir(parents=True, exist_ok=True)
    return None


def set_aside_run(run_dir: Path) -> Path | None:
    """Move what a run wrote (:data:`RUN_ENTRIES`) into ``RUN/.ganzoo.replaced``; ``None`` if there was nothing.

    Called by ``--overwrite`` once the new run is fully built, so a bad option never costs the
    old run: renames within the folder are instant and undone by :func:`finish_replacing` when
    the new run fails before its first checkpoint. A folder set aside by a killed earlier
    ``--overwrite`` is the run the user asked to replace, so it is deleted first.
    """
    stash = run_dir / REPLACED
    if stash.exists():
        shutil.rmtree(stash)
    present = [run_dir / entry for entry in RUN_ENTRIES if (run_dir / entry).exists() or (run_dir / entry).is_symlink()]
    if not present:
        return None
    stash.mkdir()
    for path in present:
        os.replace(path, stash / path.name)
    return stash


def finish_replacing(run_dir: Path, stash: Path, *, keep_new: bool) -> None:
    """Delete the old run set aside by :func:`set_aside_run`, or (``keep_new`` false) put it back.

    Putting it back removes what the failed new run wrote first, so old and new never mix.
    """
    if keep_new:
        shutil.rmtree(stash, ignore_errors=True)
        return
    for entry in RUN_ENTRIES:
        target = run_dir / entry
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
    for path in stash.iterdir():
        os.replace(path, run_dir / path.name)
    stash.rmdir()


def describe_run(config: "TrainConfig", model: "GAN", dataset: Any, *, world_size: int, precision: str,
                 device: str) -> dict[str, Any]:
    """The ``config.json`` of a new run."""
    import torch

    from ganzoo.plugins import get_registry

    info: Any = getattr(dataset, "info", None)  # a DatasetInfo, a plain dict or nothing
    info_dict = info.to_dict() if hasattr(info, "to_dict") else (dict(info) if isinstance(info, dict) else {})
    arch = config.arch or getattr(model, "registry_name", "") or type(model).__name__
    dataset_name = config.dataset or str(info_dict.get("name", ""))
    architectures = get_registry("architectures")
    spec = architectures.get(arch) if arch in architectures else None
    return {
        "format": RUN_FORMAT,
        "format_version": RUN_FORMAT_VERSION,
        "ganzoo_version": __version__,
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "argv": list(config.argv) or list(sys.argv),
        "architecture": {
            "name": arch,
            "kwargs": dict(model.config),
            "plugin": spec.plugin if spec else None,
            "task": getattr(model, "task", None),
            "latent_dim": getattr(model, "latent_dim", None),
            "image_shape": list(getattr(model, "image_shape", ())),
            "num_classes": getattr(model, "num_classes", 0),
        },
        "dataset": {"name": dataset_name, "split": config.split, "options": dict(config.data_options),
                    "info": info_dict, "length": len(dataset)},
        "loss": {"name": config.loss, "regularisers": dict(config.regularisers),
                 "label_smoothing": config.label_smoothing, "label_noise": config.label_noise,
                 "instance_noise": config.instance_noise},
        "optimizer": {"name": config.optimizer, "lr_g": config.lr_g, "lr_d": config.lr_d,
                      "betas": list(config.betas), "clip_grad": config.clip_grad, "lr_schedule": config.lr_schedule},
        "seed": config.seed,
        "batch_size": config.batch_size,
        "world_size": world_size,
        "precision": precision,
        "device": device,
        "train": config.run_dict(),
    }


def write_run_config(run_dir: Path, description: dict[str, Any]) -> None:
    write_json(run_dir / "config.json", description)


