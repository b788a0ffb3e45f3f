"""The checkpoint folder: ``config.json`` + ``*.safetensors`` that describe and rebuild a model.

The same folder is a Hugging Face Hub repo. Loading is strict (every key, every shape) and never
unpickles anything; errors name the file and say what to do.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from ganzoo.errors import CheckpointError, GanzooError, PluginError, UnknownNameError
from ganzoo.hub.config import CONFIG_NAME, FORMAT, FORMAT_VERSION, WEIGHT_FILES, CheckpointConfig
from ganzoo.hub.record import sha256_file
from ganzoo.io import atomic_path, write_json
from ganzoo.models import GAN, build_model, sampling_module
from ganzoo.weights import (
    build_skeleton,
    check_entries,
    check_finite,
    check_size,
    confined_file,
    element_count,
    read_entries,
)

__all__ = ["CONFIG_NAME", "FORMAT", "FORMAT_VERSION", "WEIGHT_FILES", "CheckpointConfig", "build_from_config",
           "checkpoint_config", "load_checkpoint", "load_weights_strict", "read_config", "sha256_file",
           "write_checkpoint"]

#: What to do about weights that do not fit the model config.json describes.
_MISMATCH_ADVICE = "re-export the checkpoint, or install the plugin version it was made with"
#: The largest image side a checkpoint's model may make or take. Fully convolutional families
#: (pix2pix, CycleGAN) have the same weights at every size, so only this bounds the memory an
#: edited ``image_size`` asks for: 16384x16384 would take gigabytes for one 28x28 input.
MAX_IMAGE_SIDE = 4096


#: A family's ``latent_distribution`` as a record names it (``"normal"`` is the standard normal).
LATENT_DISTRIBUTIONS = {"normal": "standard-normal"}


def checkpoint_config(
    model: GAN,
    *,
    architecture: str,
    weights_dtype: str = "float32",
    ema: bool = False,
    classes: list[str] | None = None,
    training: Mapping[str, Any] | None = None,
    metrics: Sequence[Mapping[str, Any]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The self-describing ``config.json`` of a checkpoint folder for ``model``."""
    from ganzoo.plugins import get_manager, get_registry
    from ganzoo.version import __version__

    spec = get_registry("architectures").get(architecture)
    plugin = get_manager().plugins.get(spec.plugin)
    channels, height, width = model.image_shape
    config: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "architecture": {
            "name": architecture,
            "kwargs": dict(model.config),
            "plugin": spec.plugin,
            "distribution": plugin.distribution if plugin else None,
            "distribution_version": plugin.version if plugin else None,
        },
        "task": model.task,
        "latent": {"dim": model.latent_dim, "distribution": _latent_name(model)},
        "image": {"channels": channels, "height": height, "width": width, "value_range": [-1, 1]},
        "num_classes": model.num_classes,
        "classes": list(classes) if classes else None,
        "weights": {"generator": WEIGHT_FILES["generator"], "dtype": weights_dtype, "ema": ema},
        "training": dict(training or {}),
        "metrics": [dict(m) for m in (metrics or [])],
        "ganzoo_version": __version__,
        "torch_version": torch.__version__.split("+")[0],
    }
    if model.task == "image-to-image":
        config.update(translation_facts(model))
    config.update(extra or {})
    return config


def _latent_name(model: GAN) -> str:
    """The family's declared latent distribution, in the record's words."""
    declared = str(getattr(model, "latent_distribution", "normal"))
    return LATENT_DISTRIBUTIONS.get(declared, declared)


def translation_facts(model: GAN) -> dict[str, Any]:
    """What an image-to-image checkpoint adds to its config: input shape, directions, domain names.

    A loader checks the rebuilt model against these, and ``ganzoo translate`` reads them to
    size its inputs and offer ``--direction`` choices before any weights load.
    """
    input_shape = tuple(getattr(model, "input_shape", None) or model.image_shape)
    return {
        "input_shape": [int(d) for d in input_shape],
        "directions": list(getattr(model, "directions", None) or ("a2b",)),
        "domains": dict(getattr(model, "domains", None) or model.config.get("domains") or {}),
    }


def _cast(state: Mapping[str, torch.Tensor], dtype: torch.dtype) -> dict[str, torch.Tensor]:
    return {k: (v.to(dtype) if v.is_floating_point() else v).detach().cpu().contiguous() for k, v in state.items()}


def save_weights(module: nn.Module, path: str | Path, dtype: torch.dtype = torch.float32) -> None:
    """Write a module's state dict as safetensors, atomically."""
    with atomic_path(path) as tmp:
        _save_tensors(_cast(module.state_dict(), dtype), tmp)


def write_checkpoint(
    folder: str | Path,
    model: GAN,
    config: Mapping[str, Any],
    *,
    include_discriminator: bool = False,
    generator_state: Mapping[str, torch.Tensor] | None = None,
) -> None:
    """Write ``config.json`` and the weights of ``model`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    dtype = getattr(torch, config["weights"]["dtype"])
    state = generator_state if generator_state is not None else sampling_module(model).state_dict()
    with atomic_path(folder / WEIGHT_FILES["generator"]) as tmp:
        _save_tensors(_cast(state, dtype), tmp)
    config = dict(config)
    if include_discriminator:
        save_weights(model.discriminator, folder / WEIGHT_FILES["discriminator"], dtype)
        config["weights"] = {**config["weights"], "discriminator": WEIGHT_FILES["discriminator"]}
    write_json(folder / CONFIG_NAME, config)


def read_config(folder: str | Path) -> dict[str, Any]:
    """Read and validate a checkpoint folder's ``config.json`` (see :class:`CheckpointConfig`)."""
    return CheckpointConfig.read(folder).data


def build_from_config(config: Mapping[str, Any]) -> GAN:
    """Rebuild the (untrained) model a checkpoint config describes.

    Under ``with torch.device("meta"):`` this costs no memory: :func:`load_checkpoint` builds a
    skeleton that way first, to check the weights against it before building for real.
    """
    arch = config["architecture"]
    try:
        return build_model(arch["name"], **arch.get("kwargs", {}))
    except UnknownNameError as exc:
        dist = arch.get("distribution")
        hint = f"install its plugin: pip install {dist}" if dist and dist != "ganzoo" else "check 'ganzoo plugins'"
        raise CheckpointError(
            f"this checkpoint needs architecture '{arch['name']}', which no installed plugin provides; {hint}"
        ) from exc
    except PluginError:
        raise
    except GanzooError as exc:
        raise CheckpointError(f"cannot rebuild '{arch['name']}' from its config: {exc}") from exc
    except (TypeError, ValueError, RuntimeError, OverflowError, ZeroDivisionError) as exc:  # odd kwargs values
        raise CheckpointError(f"cannot rebuild '{arch['name']}' from the kwargs in its config.json "
                              f"({type(exc).__name__}: {exc}); {_MISMATCH_ADVICE}") from None


def load_weights_strict(module: nn.Module, path: str | Path, what: str) -> None:
    """Load safetensors into ``module``: every key present, none extra, every shape and dtype kind
    right (checked from the header, before the data is read), every value finite."""
    path = Path(path)
    check_entries(module.state_dict(), read_entries(path, what), path, what, _MISMATCH_ADVICE)
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"{path} is corrupt or not a safetensors file ({exc}); re-download or re-export it"
        ) from exc
    check_finite(state, path, "re-download or re-export the checkpoint (from an earlier training step)")
    expected = module.state_dict()
    cast = {k: v.to(expected[k].dtype) for k, v in state.items()}
    module.load_state_dict(cast, strict=True)


def load_checkpoint(folder: str | Path, *, discriminator: bool = False) -> tuple[GAN, dict[str, Any]]:
    """Rebuild the model in a checkpoint folder and load its weights strictly (eval mode).

    Nothing large is built until the weights are known to fit: the model is first built on the
    ``meta`` device and compared with the safetensors headers, so a ``config.json`` that asks
    for a huge model is refused in milliseconds instead of allocating gigabytes.
    """
    folder = Path(folder)
    parsed = CheckpointConfig.read(folder)
    config = parsed.data
    files = {"generator": confined_file(folder, parsed.weights.generator, "generator", config=parsed.path)}
    if discriminator:
        if parsed.weights.discriminator is None:
            raise CheckpointError(f"{folder} holds no discriminator weights (export with --discriminator)")
        files["discriminator"] = confined_file(folder, parsed.weights.discriminator, "discriminator",
                                               config=parsed.path)
    headers = {what: read_entries(path, what) for what, path in files.items()}
    skeleton = build_skeleton(lambda: build_from_config(config))
    if skeleton is not None:
        _check_rebuilt(skeleton, config, folder)
        for what, entries in headers.items():
            check_entries(_part(skeleton, what).state_dict(), entries, files[what], what, _MISMATCH_ADVICE)
        check_size(skeleton, sum(element_count(e) for e in headers.values()), parsed.path, _MISMATCH_ADVICE)
    model = build_from_config(config)
    if skeleton is None:
        _check_rebuilt(model, config, folder)
    for what, path in files.items():
        load_weights_strict(_part(model, what), path, what)
    model.eval()
    return model, config


def _save_tensors(state: Mapping[str, torch.Tensor], path: str | Path) -> None:
    """``save_file``, with its I/O errors ("... (os error 28)") raised as the OSError they are, so a
    full disk is one line naming the file, not an internal error."""
    try:
        save_file(dict(state), str(path), metadata={"format": "pt"})
    except SafetensorError as exc:
        found = re.search(r"os error (\d+)", str(exc))
        if found is None:
            raise
        code = int(found.group(1))
        raise OSError(code, os.strerror(code), str(path)) from exc


def _part(model: GAN, what: str) -> nn.Module:
    """The module a weight file fills: ``generator`` means everything sampling reads (see sampling_module)."""
    part: nn.Module = sampling_module(model) if what == "generator" else getattr(model, what)
    return part


def _check_rebuilt(model: GAN, config: Mapping[str, Any], folder: Path) -> None:
    """The rebuilt model must be the one ``config.json`` describes (task, shapes, directions)."""
    where = folder / CONFIG_NAME
    if config.get("task") and config["task"] != model.task:
        raise CheckpointError(f"{where} says task '{config['task']}' but its architecture builds a "
                              f"{model.task} model; the plugin version differs: re-export the checkpoint")
    shapes = {"images": tuple(getattr(model, "image_shape", ()) or ()),
              "inputs": tuple(getattr(model, "input_shape", ()) or ())}
    for what, shape in shapes.items():
        if len(shape) == 3 and max(shape[1:]) > MAX_IMAGE_SIDE:
            raise CheckpointError(f"{where} describes a model whose {what} are {shape[2]}x{shape[1]} pixels, more "
                                  f"than the {MAX_IMAGE_SIDE} a side a checkpoint may have (its weights do not "
                                  f"fix the size); it was not built: check image_size in its kwargs, or "
                                  f"re-export the checkpoint")
    image = config.get("image")
    if isinstance(image, Mapping) and len(shapes["images"]) == 3:
        recorded = tuple(image.get(k) for k in ("channels", "height", "width"))
        if all(isinstance(v, int) for v in recorded) and recorded != shapes["images"]:
            raise CheckpointError(f"{where} records images of {list(recorded)} (channels, height, width) but the "
                                  f"rebuilt model makes {list(shapes['images'])}; restore its config.json, or "
                                  f"re-export the checkpoint")
    if model.task != "image-to-image":
        return
    facts = translation_facts(model)
    for key in ("input_shape", "directions"):
        if key in config and list(config[key]) != facts[key]:
            raise CheckpointError(f"{where} records {key} {list(config[key])} but the rebuilt model has "
                                  f"{facts[key]}; the plugin version differs: re-export the checkpoint")
