"""The residual blocks of SNGAN (Miyato et al. 2018, appendix B), for both players.

* :class:`UpBlock` -- generator: BN, ReLU, 2x nearest up-sampling, 3x3 conv, BN, ReLU, 3x3
  conv, plus a 1x1-conv shortcut of the up-sampled input. With ``num_classes`` the batch norms
  are *conditional* (:class:`ClassBatchNorm`, a gain and a bias per class, as in BigGAN and
  SNGAN-projection).
* :class:`DownBlock` -- discriminator: ReLU, 3x3 conv, ReLU, 3x3 conv, optional 2x average
  pooling, plus a 1x1-conv shortcut; the first block of a discriminator (``first=True``) starts
  with a convolution instead of a ReLU, since its input is an image.

The shortcut's 1x1 convolution runs before the up-sampling (and after the pooling): for
nearest up-sampling and average pooling the result is the same, on a quarter of the pixels.
"""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn


class ClassBatchNorm(nn.Module):
    """Batch norm whose gain and bias are looked up per class; plain affine batch norm without classes."""

    def __init__(self, channels: int, num_classes: int = 0) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.norm = nn.BatchNorm2d(channels, affine=not num_classes)
        if num_classes:
            self.gain = nn.Embedding(num_classes, channels)
            self.bias = nn.Embedding(num_classes, channels)
            nn.init.ones_(self.gain.weight)
            nn.init.zeros_(self.bias.weight)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        x = self.norm(x)
        if not self.num_classes:
            return x
        if labels is None:
            raise ValueError("a class-conditional batch norm needs labels")
        gain: Tensor = self.gain(labels).to(x.dtype)[:, :, None, None]
        bias: Tensor = self.bias(labels).to(x.dtype)[:, :, None, None]
        return x * gain + bias


class UpBlock(nn.Module):
    """A generator block that doubles the image side; see the module docstring."""

    def __init__(self, in_channels: int, out_channels: int, num_classes: int = 0) -> None:
        super().__init__()
        self.norm1 = ClassBatchNorm(in_channels, num_classes)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.norm2 = ClassBatchNorm(out_channels, num_classes)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.shortcut = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        h: Tensor = F.relu(self.norm1(x, labels))
        h = self.conv1(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.conv2(F.relu(self.norm2(h, labels)))
        skip: Tensor = self.shortcut(x)
        return h + F.interpolate(skip, scale_factor=2.0, mode="nearest")


class DownBlock(nn.Module):
    """A discriminator block, halving the image side when ``down``; see the module docstring."""

    def __init__(self, in_channels: int, out_channels: int, *, down: bool, first: bool = False) -> None:
        super().__init__()
        self.down, self.first = down, first
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.shortcut = nn.Conv2d(in_channels, out_channels, 1) if (down or in_channels != out_channels) else None

    def forward(self, x: Tensor) -> Tensor:
        h = x if self.first else F.relu(x)
        h = self.conv2(F.relu(self.conv1(h)))
        if self.down:
            h = F.avg_pool2d(h, 2)
        if self.shortcut is None:
            return h + x
        if self.first:  # pool the image, then project it (the paper's "optimized" first block)
            projected: Tensor = self.shortcut(F.avg_pool2d(x, 2) if self.down else x)
            return h + projected
        skip: Tensor = self.shortcut(x)
        return h + (F.avg_pool2d(skip, 2) if self.down else skip)


def init_like_sngan(module: nn.Module) -> None:
    """Xavier-uniform weights (gain sqrt 2 in the residual paths, 1 in shortcuts and heads), zero biases."""
    for name, child in module.named_modules():
        if isinstance(child, (nn.Conv2d, nn.Linear)):
            residual = isinstance(child, nn.Conv2d) and child.kernel_size == (3, 3) and "to_image" not in name
            nn.init.xavier_uniform_(child.weight, gain=math.sqrt(2.0) if residual else 1.0)
            if child.bias is not None:
                nn.init.zeros_(child.bias)
