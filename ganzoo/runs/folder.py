"""A training run's folder read back: its ``config.json`` and the model of one of its checkpoints.

A run directory holds ``config.json`` (everything needed to rebuild the model and resume),
``checkpoints/``, ``samples/``, ``progress.gif`` and ``metrics.jsonl``. :func:`load_run` is the
one way back from such a folder to a model, used by ``ganzoo sample``, ``ganzoo eval``,
``ganzoo translate`` and ``ganzoo export``; the engine (:mod:`ganzoo.train`) writes the folder.

    >>> model, config = load_run("runs/vanilla-fashion-mnist")   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.errors import CheckpointError, UnknownNameError
from ganzoo.folders import RUN_FORMAT
from ganzoo.io import read_json
from ganzoo.runs.checkpoints import CHECKPOINTS, read_checkpoint, resolve_checkpoint

if TYPE_CHECKING:
    import torch

RUN_FORMAT_VERSION = 1
#: What a run directory may contain; ``--overwrite`` removes only these.
RUN_ENTRIES = ("config.json", CHECKPOINTS, "samples", "progress.gif", "metrics.jsonl", "tensorboard")


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
    from ganzoo.models import build_model, sampling_module
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
    ema_state = saved.ema if ema is not False else None
    used_ema = ema_state is not None
    found = {"model": entries_of(saved.model), "ema": entries_of(ema_state) if ema_state is not None else {}}
    skeleton = build_skeleton(lambda: build_model(name, **kwargs))
    if skeleton is not None:
        check_entries(skeleton.state_dict(), found["model"], path / "model.safetensors", "model", _MISMATCH)
        if used_ema:
            check_entries(sampling_module(skeleton).state_dict(), found["ema"], path / "ema.safetensors",
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
    if ema_state is not None:
        _load_strict(sampling_module(model), ema_state, path / "ema.safetensors", what="EMA generator")
    model.to(device).eval()
    config = dict(config)
    config["loaded"] = {"checkpoint": str(path), "step": saved.step, "ema": used_ema}
    if with_state:
        return model, config, {**saved.state, "ema_loaded": used_ema, "checkpoint": str(path)}
    return model, config


#: What to do about a checkpoint that does not fit the model its run's config.json describes.
_MISMATCH = ("the run's config.json or weights were changed, or the plugin version differs: restore them, "
             "or install the plugin version the run was trained with")


def _load_strict(module: "torch.nn.Module", state: dict[str, torch.Tensor], path: Path, *, what: str = "model") -> None:
    """``load_state_dict(strict=True)`` with key, shape, dtype and NaN problems as one clear error."""
    from ganzoo.weights import check_entries, check_finite, entries_of

    check_entries(module.state_dict(), entries_of(state), path, what, _MISMATCH)
    check_finite(state, path, "pick an earlier checkpoint with --checkpoint (training may have diverged)")
    module.load_state_dict(state, strict=True)
