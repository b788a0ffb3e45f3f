"""Run directories: creating one safely, describing it in ``config.json``, and loading it back.

A run directory holds ``config.json`` (everything needed to rebuild the model and resume:
architecture and kwargs, dataset and options, loss, optimiser, seed, versions, the command line),
``checkpoints/``, ``samples/``, ``progress.gif`` and ``metrics.jsonl``. :func:`load_run` is the
one way back from a folder to a model, used by ``ganzoo sample`` and ``ganzoo export``.

    >>> model, config = load_run("runs/vanilla-fashion-mnist")   # doctest: +SKIP
"""

from __future__ import annotations

import platform
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo import __version__
from ganzoo.errors import CheckpointError, UnknownNameError, UsageError
from ganzoo.io import read_json, write_json
from ganzoo.train.checkpoints import CHECKPOINTS, latest_checkpoint, read_checkpoint, resolve_checkpoint
from ganzoo.train.lock import LOCK_ENTRIES, RunLock

if TYPE_CHECKING:
    import torch

    from ganzoo.models import GAN
    from ganzoo.train.config import TrainConfig

RUN_FORMAT = "ganzoo-run"
RUN_FORMAT_VERSION = 1
#: What a run directory may contain; ``--overwrite`` removes only these.
RUN_ENTRIES = ("config.json", CHECKPOINTS, "samples", "progress.gif", "metrics.jsonl", "tensorboard")


def default_out(config: "TrainConfig") -> Path:
    return Path("runs") / f"{config.arch}-{config.dataset}"


def read_run_config(run_dir: str | Path) -> dict[str, Any]:
    """``config.json`` of a run directory, checked to be one."""
    path = Path(run_dir) / "config.json"
    if not Path(run_dir).is_dir():
        raise CheckpointError(f"no run directory at {run_dir}; pass the --out folder of a 'ganzoo train' run")
    try:
        data = read_json(path)
    except FileNotFoundError:
        raise CheckpointError(f"{run_dir} has no config.json, so it is not a ganzoo run directory") from None
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is unreadable ({exc}); restore it from a backup or retrain") from None
    if not isinstance(data, dict) or data.get("format") != RUN_FORMAT:
        raise CheckpointError(f"{path} is not a ganzoo run config (format {RUN_FORMAT!r} expected)")
    return data


def _nothing_to_resume(run_dir: Path) -> UsageError:
    return UsageError(f"nothing to resume in {run_dir} (no config.json); drop --resume to start a new run")


def open_run_dir(run_dir: Path, config: "TrainConfig") -> RunLock:
    """Create ``run_dir`` if need be and take its lock (held until released), before anything is written.

    An ``--out`` that cannot be a run directory (a file, a read-only or unwritable place) is one
    clear line here, and so is a folder another trainer is using
    (:class:`~ganzoo.train.lock.RunLockedError`).
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
    ``overwrite`` removes only what a run writes (:data:`RUN_ENTRIES`). The caller holds the
    folder's lock (:func:`open_run_dir`), so nobody else is writing it meanwhile.
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
    if config.overwrite:
        for entry in RUN_ENTRIES:
            target = run_dir / entry
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    run_dir.mkdir(parents=True, exist_ok=True)
    return None


def describe_run(config: "TrainConfig", model: "GAN", dataset: Any, *, world_size: int, precision: str,
                 device: str) -> dict[str, Any]:
    """The ``config.json`` of a new run."""
    import torch

    from ganzoo.registry import get_registry

    info = getattr(dataset, "info", None)
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


def load_run(run_dir: str | Path, *, ema: bool | None = None, checkpoint: str | None = None,
             device: "torch.device | str" = "cpu", with_state: bool = False) -> Any:
    """Rebuild a run's model from ``config.json`` and load a checkpoint's weights strictly.

    ``ema=None`` uses the averaged generator when the run kept one; ``True`` requires it;
    ``False`` uses the trained weights. ``checkpoint`` is ``step_N``, ``N`` or a folder (latest
    by default). Returns the model in eval mode and the run config, with ``"loaded"`` added
    (checkpoint path, step, whether EMA weights were used). With ``with_state=True`` a third item
    is the checkpoint's ``state.json`` plus ``ema_loaded`` and ``checkpoint``.

    The model is first built on the ``meta`` device (no memory) and checked against the
    checkpoint's tensors, so an edited ``config.json`` asking for a huge model fails at once.

    >>> model, config = load_run("runs/x", ema=False, checkpoint="step_00000200")   # doctest: +SKIP
    >>> model, config, state = load_run("runs/x", with_state=True)                  # doctest: +SKIP
    """
    from ganzoo.models import build_model
    from ganzoo.weights import build_skeleton, check_entries, check_size, element_count, entries_of

    run_dir = Path(run_dir)
    config = read_run_config(run_dir)
    arch = config.get("architecture")
    name = arch.get("name") if isinstance(arch, dict) else None
    kwargs = arch.get("kwargs") if isinstance(arch, dict) else None
    if not isinstance(name, str) or not name.strip() or not isinstance(kwargs, dict):
        raise CheckpointError(f"{run_dir / 'config.json'} does not name an architecture and its kwargs "
                              f"(\"architecture\": {{\"name\": ..., \"kwargs\": {{...}}}}); restore it from a backup")
    path = resolve_checkpoint(run_dir, checkpoint)
    saved = read_checkpoint(path, training_state=False, ema=ema is not False)
    if ema and saved.ema is None:
        raise CheckpointError(f"{path} has no EMA weights (the run used --ema-decay 0); sample with --no-ema")
    used_ema = saved.ema is not None and ema is not False
    found = {"model": entries_of(saved.model), "ema": entries_of(saved.ema) if used_ema else {}}
    skeleton = build_skeleton(lambda: build_model(name, **kwargs))
    if skeleton is not None:
        check_entries(skeleton.state_dict(), found["model"], path / "model.safetensors", "model", _MISMATCH)
        if used_ema:
            check_entries(skeleton.generator.state_dict(), found["ema"], path / "ema.safetensors",
                          "EMA generator", _MISMATCH)
        check_size(skeleton, element_count(found["model"]), run_dir / "config.json", _MISMATCH)
    try:
        model = build_model(name, **kwargs)
    except UnknownNameError as exc:
        raise CheckpointError(f"{run_dir} was trained with architecture '{name}', which is not installed "
                              f"({exc}); install the plugin that provides it") from None
    except (TypeError, ValueError, RuntimeError, OverflowError, ZeroDivisionError) as exc:  # odd kwargs values
        raise CheckpointError(f"cannot rebuild '{name}' from the kwargs in {run_dir / 'config.json'} "
                              f"({type(exc).__name__}: {exc}); {_MISMATCH}") from None
    _load_strict(model, saved.model, path / "model.safetensors")
    if used_ema:
        _load_strict(model.generator, saved.ema, path / "ema.safetensors", what="EMA generator")
    model.to(device).eval()
    config = dict(config)
    config["loaded"] = {"checkpoint": str(path), "step": saved.step, "ema": used_ema}
    if with_state:
        return model, config, {**saved.state, "ema_loaded": used_ema, "checkpoint": str(path)}
    return model, config


#: What to do about a checkpoint that does not fit the model its run's config.json describes.
_MISMATCH = ("the run's config.json or weights were changed, or the plugin version differs: restore them, "
             "or install the plugin version the run was trained with")


def _load_strict(module: "torch.nn.Module", state: dict[str, Any], path: Path, *, what: str = "model") -> None:
    """``load_state_dict(strict=True)`` with key, shape, dtype and NaN problems as one clear error."""
    from ganzoo.weights import check_entries, check_finite, entries_of

    check_entries(module.state_dict(), entries_of(state), path, what, _MISMATCH)
    check_finite(state, path, "pick an earlier checkpoint with --checkpoint (training may have diverged)")
    module.load_state_dict(state, strict=True)
