"""VGG19's convolutional layers up to ``relu5_1``: the feature extractor of Gatys et al.

Only the 13 convolutions that neural style reads are built (torchvision's ``vgg19().features``
indices 0 to 29); the rest of VGG19, 120M parameters of classifier among them, is never
allocated. Layer indices match torchvision's, so its ImageNet state dict loads as it is (see
:mod:`ganzoo_style.weights`). Inputs are RGB images in [0, 1]; the ImageNet mean and standard
deviation the weights were trained with are applied inside.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn

from ganzoo.plugin import UsageError

#: torchvision's VGG19 configuration "E", cut after the first convolution of block 5.
_BLOCKS = ((64, 64), (128, 128), (256, 256, 256, 256), (512, 512, 512, 512), (512,))
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: The layers of the paper: content at relu4_2, style at relu1_1 ... relu5_1.
CONTENT_LAYERS = ("relu4_2",)
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
POOLS = ("max", "avg")


def layer_names() -> dict[str, int]:
    """``{"conv1_1": 0, "relu1_1": 1, ..., "relu5_1": 29}``: torchvision's indices by name."""
    names: dict[str, int] = {}
    index = 0
    for block, widths in enumerate(_BLOCKS, 1):
        for layer in range(1, len(widths) + 1):
            names[f"conv{block}_{layer}"] = index
            names[f"relu{block}_{layer}"] = index + 1
            index += 2
        if block < len(_BLOCKS):
            names[f"pool{block}"] = index
            index += 1
    return names


LAYERS = layer_names()
#: Indices of the convolutions, whose ``weight``/``bias`` make up the state dict.
CONV_INDICES = tuple(i for name, i in LAYERS.items() if name.startswith("conv"))


def build_features(pool: str = "max") -> nn.Sequential:
    """The layers as an ``nn.Sequential`` with torchvision's indices (untrained weights).

    ``pool="avg"`` swaps max pooling for average pooling, which Gatys et al. found gives
    smoother images; the weights are the same either way.
    """
    if pool not in POOLS:
        raise UsageError(f"pool must be one of {', '.join(POOLS)}, not {pool!r}")
    layers: list[nn.Module] = []
    channels = 3
    for block, widths in enumerate(_BLOCKS, 1):
        for width in widths:
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(inplace=False)]
            channels = width
        if block < len(_BLOCKS):
            layers.append(nn.MaxPool2d(2, 2) if pool == "max" else nn.AvgPool2d(2, 2))
    return nn.Sequential(*layers)


def random_init(features: nn.Sequential, seed: int = 0) -> None:
    """Seeded He initialisation (fan-in), so random features keep their scale layer to layer.

    Random-weight VGG features still carry texture statistics (Ustyuzhaninov et al. 2017; He,
    Wang & Hopcroft 2016): enough to test the pipeline and to make weaker stylisations.
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in features:
            if isinstance(module, nn.Conv2d):
                fan_in = module.in_channels * module.kernel_size[0] * module.kernel_size[1]
                module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * (2.0 / fan_in) ** 0.5)
                if module.bias is not None:  # build_features' convolutions all have one
                    module.bias.zero_()


class VGGFeatures(nn.Module):
    """Frozen VGG19 layers returning the activations of the layers asked for, by name."""

    mean: Tensor  # registered buffers (declared here for type checkers)
    std: Tensor

    def __init__(self, pool: str = "max") -> None:
        super().__init__()
        self.features = build_features(pool)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        self.eval()

    def forward(self, images: Tensor, layers: Iterable[str]) -> dict[str, Tensor]:
        """Activations of ``layers`` for ``images`` ``[N, 3, H, W]`` in [0, 1]."""
        wanted = {LAYERS[name]: name for name in layers}
        last = max(wanted)
        x = (images - self.mean) / self.std
        found: dict[str, Tensor] = {}
        for index, module in enumerate(self.features):
            x = module(x)
            if index in wanted:
                found[wanted[index]] = x
            if index == last:
                break
        return found


def check_layers(layers: Iterable[str], what: str) -> tuple[str, ...]:
    """Validated layer names (``relu4_2`` or ``conv4_2``), as a tuple."""
    names = tuple(layers)
    unknown = [n for n in names if n not in LAYERS or n.startswith("pool")]
    if unknown or not names:
        choices = ", ".join(n for n in LAYERS if n.startswith("relu"))
        raise UsageError(f"unknown {what} layer(s) {', '.join(unknown) or '(none given)'}; choose from {choices}")
    return names
