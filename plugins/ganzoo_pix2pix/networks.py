"""The two networks of pix2pix: a U-Net generator and a PatchGAN discriminator, for any image size.

Both follow section 6.1 of Isola et al. (arXiv:1611.07004): 4x4 convolutions of stride 2,
LeakyReLU(0.2) going down and ReLU coming up, normalisation everywhere except the first layer
and the 1x1 bottleneck, dropout 0.5 in the deepest decoder blocks, widths
``base * 1, 2, 4, 8, 8, ...`` (capped at 8x).

**Depth of the U-Net.** The paper's 256x256 encoder halves the image eight times, to a 1x1
bottleneck, so that every output pixel can see the whole input. ganzoo keeps that rule for
every size: halve (rounding down) until the map is 1x1, at most eight times. That gives 4
levels at 28 (28 -> 14 -> 7 -> 3 -> 1), 5 at 32, 6 at 64, 8 at 256 (the paper's network), and
8 at 512 with a 2x2 bottleneck. The decoder's transposed convolutions are told the size of the
skip they meet, so odd sizes (7, 3) come back exactly.

**Receptive field of the PatchGAN.** The paper's default discriminator judges 70x70 patches of
a 256x256 image (three stride-2 layers); it also tried 16x16 (one) and 34x34 (two). ganzoo
picks the largest of those that covers at most ~60% of the image side: 16x16 below 64 pixels
(28x28 Fashion-MNIST: a 12x12 map of 16x16 patches), 34x34 from 64, 70x70 from 128 up.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from ganzoo.plugin_blocks import FastDropout

NORMS = ("batch", "instance", "none")
MAX_DEPTH = 8  # the paper's 256x256 U-Net
#: Patch side of a PatchGAN with 1, 2, 3 ... stride-2 layers (4x4 kernels, then two stride-1 layers).
PATCH_SIZES = {1: 16, 2: 34, 3: 70, 4: 142, 5: 286}


def unet_depth(image_size: int) -> int:
    """How many times the U-Net halves an image of side ``image_size``: down to 1x1, at most 8."""
    depth, side = 0, image_size
    while side > 1 and depth < MAX_DEPTH:
        side //= 2
        depth += 1
    return depth


def level_sizes(image_size: int, depth: int) -> list[int]:
    """The side of the map after each encoder level (4x4 kernel, stride 2, padding 1 halves, rounding down)."""
    sizes, side = [], image_size
    for _ in range(depth):
        side //= 2
        sizes.append(side)
    return sizes


def patch_layers(image_size: int) -> int:
    """Stride-2 layers of the PatchGAN: the largest paper patch (16, 34, 70) within ~60% of the side."""
    fitting = [n for n in (1, 2, 3) if PATCH_SIZES[n] <= 0.6 * image_size]
    return max(fitting, default=1)


def patch_map_size(image_size: int, layers: int) -> int:
    """Side of the discriminator's map of patch scores for ``image_size`` inputs."""
    side = image_size
    for _ in range(layers):
        side //= 2
    return side - 2  # two 4x4 stride-1 convolutions with padding 1 each take one pixel off


def dropout_levels(depth: int) -> int:
    """Decoder blocks with dropout, counted from the bottleneck up.

    The paper puts dropout in the first three of its seven inner decoder blocks. A shallow net
    (28x28: four levels) gets it in all but the two outermost, which draw the image's details.
    """
    return max(0, min(3, depth - 2))


def _norm_layer(norm: str) -> Callable[[int], nn.Module]:
    if norm == "batch":
        return nn.BatchNorm2d
    if norm == "instance":  # the pix2pix/CycleGAN code's instance norm: no affine, no running stats
        return lambda channels: nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    return lambda channels: nn.Identity()


class _Up(nn.Module):
    """ReLU, a 4x4 stride-2 transposed convolution to the skip's exact size, then norm/dropout or tanh."""

    def __init__(self, in_channels: int, out_channels: int, *, norm: str, dropout: float, outermost: bool) -> None:
        super().__init__()
        self.act = nn.ReLU(inplace=False)  # the input is the concatenated skip, which the encoder still owns
        self.conv = nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1,
                                       bias=outermost or norm != "batch")
        tail: list[nn.Module] = []
        if outermost:
            tail.append(nn.Tanh())
        else:
            tail.append(_norm_layer(norm)(out_channels))
            if dropout:
                tail.append(FastDropout(dropout))  # nn.Dropout's maths, a cheaper mask on CPUs
        self.tail = nn.Sequential(*tail)

    def forward(self, x: Tensor, size: tuple[int, int]) -> Tensor:
        out: Tensor = self.tail(self.conv(self.act(x), output_size=size))
        return out


class UNetGenerator(nn.Module):
    """Encoder-decoder with a skip from every encoder level to its mirror (Isola et al., figure 3).

    Args:
        in_channels, out_channels: channels of the input and the output image.
        image_size: side of the square images; sets the depth (:func:`unet_depth`) unless given.
        base_channels: width of the first layer (ngf, 64 in the paper).
        depth: how many times to halve; default: down to a 1x1 bottleneck, at most 8.
        norm: ``"batch"`` (the paper), ``"instance"`` or ``"none"``.
        dropout: dropout probability in the deepest decoder blocks (:func:`dropout_levels`).
    """

    def __init__(self, in_channels: int, out_channels: int, image_size: int, base_channels: int = 64,
                 depth: int | None = None, norm: str = "batch", dropout: float = 0.5) -> None:
        super().__init__()
        depth = unet_depth(image_size) if depth is None else depth
        widths = [base_channels * min(2**i, 8) for i in range(depth)]
        make_norm = _norm_layer(norm)
        self.down = nn.ModuleList()
        for level, width in enumerate(widths):
            inner = level == depth - 1
            outer = level == 0
            with_norm = not (outer or inner)
            layers: list[nn.Module] = [] if outer else [nn.LeakyReLU(0.2, inplace=False)]
            layers.append(nn.Conv2d(in_channels if outer else widths[level - 1], width, 4, stride=2, padding=1,
                                    bias=not (with_norm and norm == "batch")))
            if with_norm:
                layers.append(make_norm(width))
            self.down.append(nn.Sequential(*layers))
        # up[level] undoes down[level]; it reads the bottleneck (level depth-1) or [decoder, skip].
        drop_from = depth - dropout_levels(depth)
        self.up = nn.ModuleList()
        for level, width in enumerate(widths):
            inner, outer = level == depth - 1, level == 0
            self.up.append(_Up(width if inner else 2 * width, out_channels if outer else widths[level - 1],
                               norm=norm, dropout=dropout if level >= drop_from and not outer else 0.0,
                               outermost=outer))
        self.depth = depth

    def forward(self, x: Tensor) -> Tensor:
        sizes = [tuple(x.shape[-2:])]
        skips = []
        h: Tensor = x
        for block in self.down:
            h = block(h)
            skips.append(h)
            sizes.append(tuple(h.shape[-2:]))
        h = self.up[-1](skips[-1], sizes[-2])
        for level in range(self.depth - 2, -1, -1):
            h = self.up[level](torch.cat([h, skips[level]], dim=1), sizes[level])
        return h


def patch_discriminator(in_channels: int, base_channels: int = 64, layers: int = 3,
                        norm: str = "batch") -> nn.Sequential:
    """PatchGAN: one score per overlapping patch (70x70 with ``layers=3``), as a map ``[N, 1, h, w]``.

    ``in_channels`` counts the input and the output image together: the discriminator judges
    the pair, so it can tell a plausible garment that does not match its edges from one that does.
    """
    make_norm = _norm_layer(norm)
    batch = norm == "batch"
    blocks: list[nn.Module] = [nn.Conv2d(in_channels, base_channels, 4, stride=2, padding=1),
                               nn.LeakyReLU(0.2, inplace=True)]
    width = base_channels
    for n in range(1, layers + 1):
        out = base_channels * min(2**n, 8)
        stride = 2 if n < layers else 1  # the last of these keeps the size, as in the paper's C512
        blocks += [nn.Conv2d(width, out, 4, stride=stride, padding=1, bias=not batch), make_norm(out),
                   nn.LeakyReLU(0.2, inplace=True)]
        width = out
    blocks.append(nn.Conv2d(width, 1, 4, stride=1, padding=1))
    return nn.Sequential(*blocks)
