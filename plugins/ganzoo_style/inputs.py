"""Turning what a caller passes (a path, a Pillow image, a tensor) into a resized RGB batch.

Paths go through :func:`ganzoo.images.open_image` (any format Pillow reads, EXIF orientation
applied, transparency onto white, one-line errors). Tensors follow ganzoo's convention: values
in [-1, 1], ``[C, H, W]`` or ``[1, C, H, W]`` with 1 or 3 channels. Inside neural style images
are ``[1, 3, H, W]`` in [0, 1], the range the VGG normalisation expects.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Union

import torch.nn.functional as F
from torch import Tensor

from ganzoo.plugin import UsageError

if TYPE_CHECKING:
    from PIL import Image

ImageLike = Union[Tensor, "Image.Image", str, "os.PathLike[str]"]
#: VGG19 halves the image four times before relu5_1: smaller images have nothing left to match.
MIN_SIDE = 16
#: The output's longer side when no size is given and the content is larger. Memory and time grow
#: with the pixel count (VGG19 keeps 64 float channels per pixel and more): a 12000x12000 photo at
#: its own size needs tens of GB, at 512 a few hundred MB.
DEFAULT_SIDE = 512
#: The largest longer side a size may ask for.
MAX_SIDE = 8192
#: ``(height, width)`` of an image -> the ``(height, width)`` to work at.
Sizer = Callable[[int, int], "tuple[int, int]"]


def _rgb(image: "Image.Image") -> "Image.Image":
    """A Pillow image as RGB, transparency composited onto white."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return image.convert("RGB")


def _is_picture(image: object) -> bool:
    return not isinstance(image, Tensor) and hasattr(image, "convert") and hasattr(image, "mode")


def to_unit_batch(image: ImageLike, what: str = "image", size: Sizer | None = None) -> Tensor:
    """``[1, 3, H, W]`` in [0, 1] on the CPU, from a path, a Pillow image or a [-1, 1] tensor.

    ``size`` maps the image's ``(height, width)`` to the size wanted, and the result has that
    size. A picture (path or Pillow image) is shrunk by Pillow before it becomes floats, so a
    large photo costs its own bytes once, never 12 bytes per pixel of it.
    """
    from ganzoo.plugin_blocks import image_to_tensor

    if isinstance(image, (str, os.PathLike)):
        from ganzoo.plugin_blocks import open_image

        image = open_image(image, channels=3)
    if _is_picture(image):
        picture = _rgb(image)  # type: ignore[arg-type]
        target = size(picture.height, picture.width) if size is not None else None
        if target is not None:
            picture = _shrink(picture, target)
        tensor = image_to_tensor(picture)
    elif isinstance(image, Tensor):
        tensor = image.detach().float().cpu()
        if tensor.dim() == 4 and tensor.shape[0] == 1:
            tensor = tensor[0]
        if tensor.dim() != 3 or tensor.shape[0] not in (1, 3):
            raise UsageError(f"the {what} must be one image [1 or 3, H, W] in [-1, 1], got {list(image.shape)}")
        if tensor.shape[0] == 1:
            tensor = tensor.expand(3, -1, -1)
        target = size(*tensor.shape[-2:]) if size is not None else None
    else:
        raise UsageError(f"the {what} must be a file path, a Pillow image or a tensor, not {type(image).__name__}")
    batch = ((tensor.clamp(-1, 1) + 1) / 2).unsqueeze(0).contiguous()
    return batch if target is None else resize(batch, target, what)


def _shrink(image: "Image.Image", target: tuple[int, int]) -> "Image.Image":
    """``image`` made smaller to ``target`` (height, width); unchanged unless that is smaller in both.

    Enlarging, and the error for a target too small for VGG, are left to :func:`resize`.
    """
    from PIL import Image

    height, width = target
    if min(height, width) < MIN_SIDE or height > image.height or width > image.width:
        return image
    if (height, width) == (image.height, image.width):
        return image
    return image.resize((width, height), Image.Resampling.BICUBIC)


def working_size(height: int, width: int, long_side: int | None) -> tuple[int, int]:
    """The output's ``(height, width)``: the longer side ``long_side``, or without one the content's
    own size shrunk to :data:`DEFAULT_SIDE` when larger; never above :data:`MAX_SIDE`."""
    if long_side is None:
        if max(height, width) <= DEFAULT_SIDE:
            return height, width
        long_side = DEFAULT_SIDE
    if long_side > MAX_SIDE:
        raise UsageError(f"the size must be at most {MAX_SIDE} pixels, got {long_side}")
    return scaled_size(height, width, long_side)


def scaled_size(height: int, width: int, long_side: int | None) -> tuple[int, int]:
    """``(height, width)`` scaled so the longer side is ``long_side`` (unchanged when None)."""
    if long_side is None:
        return height, width
    if long_side < MIN_SIDE:
        raise UsageError(f"the size must be at least {MIN_SIDE} pixels, got {long_side}")
    scale = long_side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def style_size(height: int, width: int, long_side: float) -> tuple[int, int]:
    """A style image's size for a longer side of ``long_side``, enlarged to keep the shorter side usable.

    A style only enters through Gram matrices, which do not depend on the image size, so a
    small or elongated style is scaled up rather than refused.
    """
    scale = max(long_side / max(height, width), MIN_SIDE / min(height, width))
    return max(MIN_SIDE, round(height * scale)), max(MIN_SIDE, round(width * scale))


def resize(batch: Tensor, size: tuple[int, int], what: str = "image") -> Tensor:
    """Bicubic (antialiased) resize of a [0, 1] batch; refuses images VGG cannot see."""
    if min(size) < MIN_SIDE:
        raise UsageError(f"the {what} would be {size[1]}x{size[0]} pixels; its shorter side must be at least "
                         f"{MIN_SIDE}: give a larger --size or a less elongated image")
    if tuple(batch.shape[-2:]) == tuple(size):
        return batch
    return F.interpolate(batch, size=size, mode="bicubic", antialias=True, align_corners=False).clamp(0, 1)


def to_signed(batch: Tensor) -> Tensor:
    """``[1, 3, H, W]`` in [0, 1] to one image ``[3, H, W]`` in [-1, 1] on the CPU."""
    return (batch[0].detach().float().cpu() * 2 - 1).clamp(-1, 1)
