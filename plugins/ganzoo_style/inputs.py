"""Turning what a caller passes (a path, a Pillow image, a tensor) into a resized RGB batch.

Paths go through :func:`ganzoo.images.open_image` (any format Pillow reads, EXIF orientation
applied, transparency onto white, one-line errors). Tensors follow ganzoo's convention: values
in [-1, 1], ``[C, H, W]`` or ``[1, C, H, W]`` with 1 or 3 channels. Inside neural style images
are ``[1, 3, H, W]`` in [0, 1], the range the VGG normalisation expects.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Union

import torch.nn.functional as F
from torch import Tensor

from ganzoo.errors import UsageError

if TYPE_CHECKING:
    from PIL import Image

ImageLike = Union[Tensor, "Image.Image", str, os.PathLike]
#: VGG19 halves the image four times before relu5_1: smaller images have nothing left to match.
MIN_SIDE = 16


def _from_pil(image: "Image.Image") -> Tensor:
    from PIL import Image

    from ganzoo.images import image_to_tensor

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return image_to_tensor(image.convert("RGB"))


def to_unit_batch(image: ImageLike, what: str = "image") -> Tensor:
    """``[1, 3, H, W]`` in [0, 1] on the CPU, from a path, a Pillow image or a [-1, 1] tensor."""
    if isinstance(image, (str, os.PathLike)):
        from ganzoo.images import open_image

        tensor = _from_pil(open_image(image, channels=3))
    elif isinstance(image, Tensor):
        tensor = image.detach().float().cpu()
        if tensor.dim() == 4 and tensor.shape[0] == 1:
            tensor = tensor[0]
        if tensor.dim() != 3 or tensor.shape[0] not in (1, 3):
            raise UsageError(f"the {what} must be one image [1 or 3, H, W] in [-1, 1], got {list(image.shape)}")
        if tensor.shape[0] == 1:
            tensor = tensor.expand(3, -1, -1)
    elif hasattr(image, "convert") and hasattr(image, "mode"):
        tensor = _from_pil(image)
    else:
        raise UsageError(f"the {what} must be a file path, a Pillow image or a tensor, not {type(image).__name__}")
    return ((tensor.clamp(-1, 1) + 1) / 2).unsqueeze(0).contiguous()


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
