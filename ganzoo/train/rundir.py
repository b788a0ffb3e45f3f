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


def prepare_run_dir(run_dir: Path, config: "TrainConfig") -> dict[str, Any] | None:
    """Make ``run_dir`` ready; returns the saved config when resuming, else ``None``.

    A folder that already holds a run is never reused without ``resume`` or ``overwrite``;
    ``overwrite`` removes only what a run writes (:data:`RUN_ENTRIES`).
    """
    has_run = (run_dir / "config.json").exists()
    if config.resume:
        if not has_run:
            raise UsageError(f"nothing to resume in {run_dir} (no config.json); drop --resume to start a new run")
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
    if not has_run and run_dir.is_dir() and any(run_dir.iterdir()) and not config.overwrite:
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
        "train": config.to_dict(),
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

    >>> model, config = load_run("runs/x", ema=False, checkpoint="step_00000200")   # doctest: +SKIP
    >>> model, config, state = load_run("runs/x", with_state=True)                  # doctest: +SKIP
    """
    from ganzoo.models import build_model

    run_dir = Path(run_dir)
    config = read_run_config(run_dir)
    try:
        name, kwargs = config["architecture"]["name"], dict(config["architecture"]["kwargs"])
    except (KeyError, TypeError):
        raise CheckpointError(f"{run_dir / 'config.json'} does not name an architecture and its kwargs") from None
    path = resolve_checkpoint(run_dir, checkpoint)
    saved = read_checkpoint(path, training_state=False, ema=ema is not False)
    if ema and saved.ema is None:
        raise CheckpointError(f"{path} has no EMA weights (the run used --ema-decay 0); sample with --no-ema")
    try:
        model = build_model(name, **kwargs)
    except UnknownNameError as exc:
        raise CheckpointError(f"{run_dir} was trained with architecture '{name}', which is not installed "
                              f"({exc}); install the plugin that provides it") from None
    _load_strict(model, saved.model, path / "model.safetensors")
    used_ema = saved.ema is not None and ema is not False
    if used_ema:
        _load_strict(model.generator, saved.ema, path / "ema.safetensors")
    model.to(device).eval()
    config = dict(config)
    config["loaded"] = {"checkpoint": str(path), "step": saved.step, "ema": used_ema}
    if with_state:
        return model, config, {**saved.state, "ema_loaded": used_ema, "checkpoint": str(path)}
    return model, config


def _load_strict(module: "torch.nn.Module", state: dict[str, Any], path: Path) -> None:
    """``load_state_dict(strict=True)`` with shape and key mismatches as one clear error."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    wrong = [k for k in expected if k in state and tuple(expected[k].shape) != tuple(state[k].shape)]
    if missing or unexpected or wrong:
        parts = []
        for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong)):
            if keys:
                parts.append(f"{label}: {', '.join(keys[:3])}{' ...' if len(keys) > 3 else ''}")
        raise CheckpointError(f"{path} does not match the model in config.json ({'; '.join(parts)}); "
                              f"the run's config.json or weights were changed, or the plugin version differs")
    module.load_state_dict(state, strict=True)
