"""Colour preservation by luminance-only transfer (Gatys, Bethge, Hertzmann & Shechtman 2016).

The style is transferred on luminance alone: the style's luminance is shifted and scaled to
the content's mean and standard deviation, the optimisation runs on a one-channel image, and
the result's luminance is recombined with the content's chrominance (the I and Q channels of
YIQ). The output keeps the content's colours exactly, up to clipping to the RGB cube.
"""

from __future__ import annotations

import torch
from torch import Tensor

_RGB_TO_YIQ = torch.tensor([[0.299, 0.587, 0.114],
                            [0.596, -0.274, -0.322],
                            [0.211, -0.523, 0.312]])


def rgb_to_yiq(images: Tensor) -> Tensor:
    """``[N, 3, H, W]`` RGB in [0, 1] to YIQ (Y in [0, 1])."""
    matrix = _RGB_TO_YIQ.to(images)
    return torch.einsum("ij,njhw->nihw", matrix, images)


def yiq_to_rgb(images: Tensor) -> Tensor:
    """Inverse of :func:`rgb_to_yiq`, clipped to [0, 1]."""
    matrix = torch.linalg.inv(_RGB_TO_YIQ.double()).to(images)
    return torch.einsum("ij,njhw->nihw", matrix, images).clamp(0, 1)


def luminance(images: Tensor) -> Tensor:
    """The Y channel, ``[N, 1, H, W]``."""
    return rgb_to_yiq(images)[:, :1]


def match_luminance(style_y: Tensor, content_y: Tensor) -> Tensor:
    """``style_y`` shifted and scaled to the mean and standard deviation of ``content_y``."""
    scale = content_y.std() / style_y.std().clamp_min(1e-6)
    return ((style_y - style_y.mean()) * scale + content_y.mean()).clamp(0, 1)


def with_chroma(y: Tensor, colour_source: Tensor) -> Tensor:
    """RGB from luminance ``y`` ``[N, 1, H, W]`` and the I, Q channels of ``colour_source``."""
    iq = rgb_to_yiq(colour_source)[:, 1:]
    return yiq_to_rgb(torch.cat([y, iq], dim=1))
