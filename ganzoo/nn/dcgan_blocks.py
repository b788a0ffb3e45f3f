"""The two DCGAN layouts that dcgan, cgan and wgan-gp build on, as plain layer stacks.

* **TensorFlow tutorial (28x28)**: a dense layer to a 7x7 map, then 5x5 transposed
  convolutions with batch norm and LeakyReLU; the discriminator is two 5x5 stride-2
  convolutions with LeakyReLU.
* **PyTorch example (32x32, 64x64)**: 4x4 transposed convolutions from 1x1 up, each doubling
  the size, with batch norm and ReLU; the discriminator mirrors them with LeakyReLU(0.2).

The functions return ``nn.Sequential`` stacks (or lists of layers, for discriminators, whose
last layers differ from family to family) in which a layer's index is its state-dict key, so
a family that builds on them keeps the layout of checkpoints. Options that tell the families
apart -- the discriminator's normalisation, its dropout, whether convolutions carry biases --
are arguments. Dense features are ordered (height, width, channel) on both sides, as in
TensorFlow, which makes them free to read and write for channels_last maps.

    >>> generator = tutorial_generator(100, channels=1, width=64)   # doctest: +SKIP
    >>> layers, depth = tutorial_convs(1, width=64, dropout=lambda: nn.Dropout(0.3))   # doctest: +SKIP
    >>> discriminator = nn.Sequential(*layers, FlattenHWC(), nn.Linear(depth * 7 * 7, 1))   # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Callable

from torch import Tensor, nn

from ganzoo.errors import UsageError

#: The image sides the two layouts produce.
IMAGE_SIZES = (28, 32, 64)

#: A layer factory without arguments (dropout) or taking a channel count (normalisation).
LayerFactory = Callable[[], nn.Module]
NormFactory = Callable[[int], nn.Module]


class ToImageHWC(nn.Module):
    """Dense features ordered (height, width, channel), viewed as an ``[N, C, H, W]`` map.

    Reading the features in that order gives a channels_last tensor without copying, and the
    permuted view is an ``[N, C, H, W]`` tensor like any other.
    """

    def __init__(self, channels: int, size: int) -> None:
        super().__init__()
        self.channels, self.size = channels, size

    def forward(self, x: Tensor) -> Tensor:
        return x.view(-1, self.size, self.size, self.channels).permute(0, 3, 1, 2)


class FlattenHWC(nn.Module):
    """Flatten ``[N, C, H, W]`` in (height, width, channel) order: free for channels_last maps.

    Keeping the flattened view in the memory order of channels_last activations means the
    gradient flowing back into the last convolution is channels_last too, instead of a copy in
    another layout that sends oneDNN down a slower backward kernel.
    """

    def forward(self, x: Tensor) -> Tensor:
        return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)


def check_image_size(family: str, image_size: int) -> None:
    """A one-line usage error unless ``image_size`` is one the layouts make (28, 32 or 64)."""
    if image_size not in IMAGE_SIZES:
        raise UsageError(f"{family} supports image_size {', '.join(map(str, IMAGE_SIZES))}, not "
                         f"{image_size}; resize the data (e.g. --data size=32) or pick one of those")


# -- the TensorFlow tutorial (28x28) ------------------------------------------------------------------
def tutorial_generator(in_dim: int, channels: int, width: int, slope: float = 0.3) -> nn.Sequential:
    """``in_dim`` -> dense 7x7x4w -> 5x5 transposed convs to 7x7x2w, 14x14xw, 28x28 ``channels`` -> tanh."""
    return nn.Sequential(
        nn.Linear(in_dim, 7 * 7 * 4 * width, bias=False),
        nn.BatchNorm1d(7 * 7 * 4 * width),
        nn.LeakyReLU(slope, inplace=True),
        ToImageHWC(4 * width, 7),
        nn.ConvTranspose2d(4 * width, 2 * width, 5, stride=1, padding=2, bias=False),
        nn.BatchNorm2d(2 * width),
        nn.LeakyReLU(slope, inplace=True),
        nn.ConvTranspose2d(2 * width, width, 5, stride=2, padding=2, output_padding=1, bias=False),
        nn.BatchNorm2d(width),
        nn.LeakyReLU(slope, inplace=True),
        nn.ConvTranspose2d(width, channels, 5, stride=2, padding=2, output_padding=1, bias=False),
        nn.Tanh(),
    )


def tutorial_convs(channels: int, width: int, *, slope: float = 0.3, norm: NormFactory | None = None,
                   dropout: LayerFactory | None = None) -> tuple[list[nn.Module], int]:
    """The tutorial discriminator's two 5x5 stride-2 convolutions (with biases), 28x28 -> 7x7.

    Returns the layers and the channels of the 7x7 map they end with (``2 * width``).
    ``norm(channels)`` follows the second convolution, ``dropout()`` each activation.
    """
    layers: list[nn.Module] = []
    for index, (w_in, w_out) in enumerate(((channels, width), (width, 2 * width))):
        layers.append(nn.Conv2d(w_in, w_out, 5, stride=2, padding=2))
        if norm is not None and index:
            layers.append(norm(w_out))
        layers.append(nn.LeakyReLU(slope, inplace=True))
        if dropout is not None:
            layers.append(dropout())
    return layers, 2 * width


# -- the PyTorch example (32x32, 64x64) ---------------------------------------------------------------
def example_widths(image_size: int, width: int) -> list[int]:
    """The discriminator's widths, one per halving from ``image_size`` down to 4x4: ``width`` doubling.

    The generator runs through the same widths in reverse.
    """
    stages = int(math.log2(image_size // 4))
    return [width * 2**i for i in range(stages)]


def example_generator(image_size: int, in_dim: int, channels: int, width: int) -> nn.Sequential:
    """``in_dim`` as a 1x1 map -> 4x4 transposed convs with batch norm and ReLU, to ``image_size`` -> tanh."""
    widths = example_widths(image_size, width)[::-1]
    layers: list[nn.Module] = [
        nn.Unflatten(1, (in_dim, 1, 1)),
        nn.ConvTranspose2d(in_dim, widths[0], 4, stride=1, padding=0, bias=False),
        nn.BatchNorm2d(widths[0]),
        nn.ReLU(inplace=True),
    ]
    for w_in, w_out in zip(widths, widths[1:]):
        layers += [nn.ConvTranspose2d(w_in, w_out, 4, stride=2, padding=1, bias=False),
                   nn.BatchNorm2d(w_out), nn.ReLU(inplace=True)]
    layers += [nn.ConvTranspose2d(widths[-1], channels, 4, stride=2, padding=1, bias=False), nn.Tanh()]
    return nn.Sequential(*layers)


def example_convs(image_size: int, channels: int, width: int, *, norm: NormFactory | None = nn.BatchNorm2d,
                  dropout: LayerFactory | None = None, bias: bool = False) -> tuple[list[nn.Module], int]:
    """The example discriminator's 4x4 stride-2 convolutions with LeakyReLU(0.2), ``image_size`` -> 4x4.

    Returns the layers and the channels of the 4x4 map they end with. ``norm(channels)``
    follows every convolution but the first (batch norm in the example), ``dropout()`` each
    activation. Convolutions carry a bias when ``bias`` is true and no norm follows them (the
    example has none at all).
    """
    widths = example_widths(image_size, width)
    layers: list[nn.Module] = [nn.Conv2d(channels, widths[0], 4, stride=2, padding=1, bias=bias),
                               nn.LeakyReLU(0.2, inplace=True)]
    if dropout is not None:
        layers.append(dropout())
    for w_in, w_out in zip(widths, widths[1:]):
        layers.append(nn.Conv2d(w_in, w_out, 4, stride=2, padding=1, bias=bias and norm is None))
        if norm is not None:
            layers.append(norm(w_out))
        layers.append(nn.LeakyReLU(0.2, inplace=True))
        if dropout is not None:
            layers.append(dropout())
    return layers, widths[-1]
