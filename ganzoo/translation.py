"""What every image-to-image model shares: directions, which dataset keys feed them, batched translation.

An image-to-image model (``task = "image-to-image"``, contract in docs/plugins.md) translates
images of domain A into domain B (``a2b``) and, for CycleGAN-like models, back (``b2a``). Its
datasets hold ``{"source": A image, "image": B image}``; paired datasets match each source with
its target, unpaired ones draw them independently. ``ganzoo translate``, checkpoint samples,
training grids and evaluation all read the data and call the model through this module.

    >>> outputs = translate(model, images, "a2b")        # any size; resized to the model's and back  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from ganzoo.errors import UsageError

#: direction -> (input key, target key, key of the target's class label) in dataset items.
DATA_KEYS = {"a2b": ("source", "image", "label"), "b2a": ("image", "source", "source_label")}


def is_translator(model: Any) -> bool:
    """Whether ``model`` (a GAN, or an object with a ``model`` attribute) is image-to-image."""
    model = getattr(model, "model", model)
    return getattr(model, "task", None) == "image-to-image"


def directions_of(model: Any) -> tuple[str, ...]:
    """The directions ``model`` translates, first one being its default (``("a2b",)`` if unsaid)."""
    model = getattr(model, "model", model)
    return tuple(getattr(model, "directions", None) or ("a2b",))


def domains_of(model: Any) -> dict[str, str]:
    """Human names of the A and B domains (``{"a": "edge map", "b": "garment"}``), possibly empty."""
    model = getattr(model, "model", model)
    domains = getattr(model, "domains", None) or getattr(model, "config", {}).get("domains") or {}
    return {str(k): str(v) for k, v in dict(domains).items()}


def describe_direction(direction: str, domains: Mapping[str, str]) -> str:
    """``a2b (edge map -> garment)``, or just ``a2b`` when the domains have no names."""
    source, _, target = direction.partition("2")
    if source in domains and target in domains:
        return f"{direction} ({domains[source]} -> {domains[target]})"
    return direction


def check_direction(model: Any, direction: str | None) -> str:
    """``direction``, or the model's first when ``None``; anything else is a one-line usage error."""
    valid = directions_of(model)
    if direction is None:
        return valid[0]
    if direction not in valid:
        domains = domains_of(model)
        choices = ", ".join(describe_direction(d, domains) for d in valid)
        raise UsageError(f"unknown direction '{direction}'; this model translates: {choices}")
    return direction


def data_keys(direction: str) -> tuple[str, str, str]:
    """The item keys of the input, the target and the target's label for ``direction``."""
    if direction not in DATA_KEYS:
        raise UsageError(f"no dataset keys for direction '{direction}'; ganzoo knows: {', '.join(DATA_KEYS)}")
    return DATA_KEYS[direction]


def is_paired(dataset: Any, model: Any = None) -> bool:
    """Whether each item's ``source`` and ``image`` belong together (so outputs can be compared pixel by pixel).

    A dataset says so with a ``paired`` attribute (on itself or its ``info``) or ``"paired"`` in
    its registry metadata. When none does, a one-direction model is taken to train on pairs
    (pix2pix) and a two-direction one on unpaired sets (CycleGAN).
    """
    for holder in (dataset, getattr(dataset, "info", None)):
        flag = getattr(holder, "paired", None)
        if isinstance(flag, bool):
            return flag
    name = getattr(getattr(dataset, "info", None), "name", None)
    if name:
        from ganzoo.plugins import get_registry

        registry = get_registry("datasets")
        if name in registry and isinstance(registry.get(name).metadata.get("paired"), bool):
            return bool(registry.get(name).metadata["paired"])
    return len(directions_of(model)) == 1 if model is not None else True


def take(dataset: Any, index: Sequence[int] | Tensor, keys: Sequence[str]) -> dict[str, Tensor]:
    """The items at ``index`` as one batch of ``keys`` (missing keys left out); ``get_batch`` when there is one."""
    index = torch.as_tensor(index, dtype=torch.long).reshape(-1)
    get_batch = getattr(dataset, "get_batch", None)
    if callable(get_batch):
        batch = get_batch(index)
        return {k: torch.as_tensor(batch[k]) for k in keys if k in batch}
    items = [dataset[int(i)] for i in index]
    out: dict[str, Tensor] = {}
    for key in keys:
        if items and key in items[0]:
            values = [item[key] for item in items]
            out[key] = torch.stack(values) if isinstance(values[0], Tensor) else torch.as_tensor(values)
    return out


def resize(images: Tensor, size: tuple[int, int]) -> Tensor:
    """Bilinear resize of ``[N, C, H, W]`` to ``size``, antialiased when shrinking; a no-op when equal."""
    if tuple(images.shape[-2:]) == tuple(size):
        return images
    shrinking = images.shape[-2] > size[0] or images.shape[-1] > size[1]
    return F.interpolate(images.float(), size=tuple(size), mode="bilinear", align_corners=False,
                         antialias=shrinking).clamp(-1, 1)


def match_channels(images: Tensor, channels: int) -> Tensor:
    """Gray to RGB (repeated) or RGB to gray (ITU-R BT.601 luma); other mismatches are usage errors."""
    have = images.shape[1]
    if have == channels:
        return images
    if have == 1 and channels == 3:
        return images.expand(-1, 3, -1, -1)
    if have == 3 and channels == 1:
        weights = torch.tensor((0.299, 0.587, 0.114), dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
        return (images * weights).sum(dim=1, keepdim=True)
    raise UsageError(f"cannot turn {have}-channel images into {channels}-channel ones")


@torch.no_grad()
def translate(model: Any, inputs: Tensor, direction: str | None = None, *, batch_size: int = 64,
              keep_size: bool = True) -> Tensor:
    """Translate ``inputs`` ``[N, C, H, W]`` in [-1, 1] with ``model`` in ``direction`` (its first by default).

    Inputs are converted to the model's input channels and resized (antialiased) to its input
    size; with ``keep_size`` the outputs are resized back to the inputs' size (upsampled from the
    model's resolution when the inputs were larger). Runs in eval mode without autograd, batch by
    batch on the model's device, and returns float images on the CPU.
    """
    model = getattr(model, "model", model)
    if not is_translator(model):
        raise UsageError(f"{type(model).__name__} is a {getattr(model, 'task', 'unknown')} model, not "
                         f"image-to-image; it makes images from noise: sample it instead")
    direction = check_direction(model, direction)
    if inputs.dim() == 3:
        inputs = inputs.unsqueeze(0)
    if inputs.dim() != 4:
        raise UsageError(f"inputs must be images [N, C, H, W] in [-1, 1], got shape {list(inputs.shape)}")
    shape_for = getattr(model, "input_shape_for", None)  # each direction reads its own domain's shape
    shape = shape_for(direction) if callable(shape_for) else (getattr(model, "input_shape", None) or model.image_shape)
    in_channels, in_height, in_width = (int(d) for d in shape)
    size = (int(inputs.shape[-2]), int(inputs.shape[-1]))
    device = next(model.parameters()).device
    outputs = []
    was_training = model.training
    model.eval()
    try:
        for chunk in torch.split(inputs, max(1, int(batch_size))):
            prepared = resize(match_channels(chunk.float(), in_channels), (in_height, in_width)).to(device)
            if hasattr(model, "translate"):
                result = model.translate(prepared, direction)
            else:  # an image-to-image family that only implements sample(inputs=...)
                result = model.sample(inputs=prepared)
            result = result.float().clamp(-1, 1).cpu()
            outputs.append(resize(result, size) if keep_size else result)
    finally:
        model.train(was_training)
    if not outputs:
        raise UsageError("no images to translate")
    return torch.cat(outputs)
