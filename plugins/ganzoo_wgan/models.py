"""WGAN-GP (Gulrajani et al. 2017): a DCGAN-like generator and a critic without batch norm.

The gradient penalty constrains each image's own gradient ``dD(x_i)/dx_i``. Batch norm makes a
score depend on the rest of the batch, so the critic has none: it uses layer norm (the paper's
recommended replacement, section 4) or no normalisation at all (``norm="none"``, as in the
authors' MNIST model). There is no dropout either: a critic that changes at random from one call
to the next has no well-defined gradient norm to penalise, and the penalty already regularises it.

* 28x28: the TensorFlow DCGAN tutorial's layout (as ``dcgan`` at 28x28), so the two families are
  comparable on Fashion-MNIST: dense to 7x7, 5x5 transposed convolutions; the critic is the
  tutorial's two 5x5 stride-2 convolutions with layer norm on the second, then a linear score.
* 32x32 and 64x64: the PyTorch DCGAN example's generator (4x4 transposed convolutions, batch norm,
  ReLU) and its discriminator with layer norm in place of batch norm, ending in a raw score.

The loss is not part of the model: ``ganzoo train wgan-gp`` brings the family's training defaults
(Wasserstein loss, gradient penalty 10, five critic updates per generator update, Adam 1e-4 with
betas 0.5/0.9), and any other registered loss or penalty works too.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ganzoo.errors import UsageError
from ganzoo.losses import Objective
from ganzoo.models import GAN, Logs, discriminator_objective

IMAGE_SIZES = (28, 32, 64)
NORMS = ("layer", "none")


class _ToImage(nn.Module):
    """Dense features ordered (height, width, channel), viewed as an ``[N, C, H, W]`` map.

    That order makes the map channels_last without a copy, which the convolutions prefer on CPUs.
    """

    def __init__(self, channels: int, size: int) -> None:
        super().__init__()
        self.channels, self.size = channels, size

    def forward(self, x: Tensor) -> Tensor:
        return x.view(-1, self.size, self.size, self.channels).permute(0, 3, 1, 2)


class _FlattenHWC(nn.Module):
    """Flatten in (height, width, channel) order: free for channels_last maps."""

    def forward(self, x: Tensor) -> Tensor:
        return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)


def _norm(kind: str, channels: int) -> list[nn.Module]:
    """Layer norm over (C, H, W) with a scale and shift per channel, as in the authors' code."""
    return [nn.GroupNorm(1, channels)] if kind == "layer" else []


def _tutorial_generator(latent_dim: int, channels: int, width: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(latent_dim, 7 * 7 * 4 * width, bias=False),
        nn.BatchNorm1d(7 * 7 * 4 * width),
        nn.LeakyReLU(0.3, inplace=True),
        _ToImage(4 * width, 7),
        nn.ConvTranspose2d(4 * width, 2 * width, 5, stride=1, padding=2, bias=False),
        nn.BatchNorm2d(2 * width),
        nn.LeakyReLU(0.3, inplace=True),
        nn.ConvTranspose2d(2 * width, width, 5, stride=2, padding=2, output_padding=1, bias=False),
        nn.BatchNorm2d(width),
        nn.LeakyReLU(0.3, inplace=True),
        nn.ConvTranspose2d(width, channels, 5, stride=2, padding=2, output_padding=1, bias=False),
        nn.Tanh(),
    )


def _tutorial_critic(channels: int, width: int, norm: str) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels, width, 5, stride=2, padding=2),
        nn.LeakyReLU(0.3, inplace=True),
        nn.Conv2d(width, 2 * width, 5, stride=2, padding=2),
        *_norm(norm, 2 * width),
        nn.LeakyReLU(0.3, inplace=True),
        _FlattenHWC(),
        nn.Linear(2 * width * 7 * 7, 1),
    )


def _example_generator(image_size: int, latent_dim: int, channels: int, width: int) -> nn.Sequential:
    stages = int(math.log2(image_size // 4))  # 4x4 -> image_size, doubling each stage
    widths = [width * 2 ** (stages - 1 - i) for i in range(stages)]
    layers: list[nn.Module] = [
        nn.Unflatten(1, (latent_dim, 1, 1)),
        nn.ConvTranspose2d(latent_dim, widths[0], 4, stride=1, padding=0, bias=False),
        nn.BatchNorm2d(widths[0]),
        nn.ReLU(inplace=True),
    ]
    for w_in, w_out in zip(widths, widths[1:]):
        layers += [nn.ConvTranspose2d(w_in, w_out, 4, stride=2, padding=1, bias=False),
                   nn.BatchNorm2d(w_out), nn.ReLU(inplace=True)]
    layers += [nn.ConvTranspose2d(widths[-1], channels, 4, stride=2, padding=1, bias=False), nn.Tanh()]
    return nn.Sequential(*layers)


def _example_critic(image_size: int, channels: int, width: int, norm: str) -> nn.Sequential:
    stages = int(math.log2(image_size // 4))
    widths = [width * 2**i for i in range(stages)]
    layers: list[nn.Module] = [nn.Conv2d(channels, widths[0], 4, stride=2, padding=1),
                               nn.LeakyReLU(0.2, inplace=True)]
    for w_in, w_out in zip(widths, widths[1:]):
        layers += [nn.Conv2d(w_in, w_out, 4, stride=2, padding=1, bias=norm == "none"),
                   *_norm(norm, w_out), nn.LeakyReLU(0.2, inplace=True)]
    layers += [nn.Conv2d(widths[-1], 1, 4, stride=1, padding=0), nn.Flatten()]
    return nn.Sequential(*layers)


def _init_like_tensorflow(module: nn.Module) -> None:
    """Keras defaults, as in the tutorial: Glorot-uniform kernels, zero biases."""
    if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def _init_like_dcgan_paper(module: nn.Module) -> None:
    """Convolutions N(0, 0.02) and zero biases; batch-norm scales N(1, 0.02). Layer norm keeps 1 and 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class WGANGP(GAN):
    """WGAN-GP for 28x28, 32x32 or 64x64 images: a DCGAN generator and a batch-norm-free critic.

    Args:
        image_size: 28 (TensorFlow tutorial layout), 32 or 64 (PyTorch example layout).
        channels: image channels; defaults to 1 for 28x28 and 3 otherwise.
        latent_dim: size of the noise vector z.
        base_channels: generator width: its last hidden layer has this many channels and each
            earlier one doubles it.
        d_channels: critic width (its first layer); defaults to ``base_channels``.
        norm: the critic's normalisation, ``"layer"`` (default) or ``"none"``. Never batch norm.

    >>> gan = WGANGP(image_size=28, base_channels=32)   # doctest: +SKIP
    """

    def __init__(self, image_size: int = 28, channels: int | None = None, latent_dim: int = 100,
                 base_channels: int = 64, d_channels: int | None = None, norm: str = "layer") -> None:
        if image_size not in IMAGE_SIZES:
            raise UsageError(f"wgan-gp supports image_size {', '.join(map(str, IMAGE_SIZES))}, not "
                             f"{image_size}; resize the data (e.g. --data size=32) or pick one of those")
        if norm not in NORMS:
            raise UsageError(f"wgan-gp option norm must be one of {', '.join(NORMS)}, got {norm!r} "
                             f"(batch norm would break the per-image gradient penalty)")
        channels = (1 if image_size == 28 else 3) if channels is None else channels
        d_channels = base_channels if d_channels is None else d_channels
        for name, value in (("channels", channels), ("latent_dim", latent_dim),
                            ("base_channels", base_channels), ("d_channels", d_channels)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise UsageError(f"wgan-gp option {name} must be a positive integer, got {value!r}")
        super().__init__(dict(image_size=image_size, channels=channels, latent_dim=latent_dim,
                              base_channels=base_channels, d_channels=d_channels, norm=norm))
        self.latent_dim = latent_dim
        self.image_shape = (channels, image_size, image_size)
        if image_size == 28:
            self.generator = _tutorial_generator(latent_dim, channels, base_channels)
            self.discriminator = _tutorial_critic(channels, d_channels, norm)
            self.apply(_init_like_tensorflow)
        else:
            self.generator = _example_generator(image_size, latent_dim, channels, base_channels)
            self.discriminator = _example_critic(image_size, channels, d_channels, norm)
            self.apply(_init_like_dcgan_paper)

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.generator(z)

    def discriminate(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        """One fp32 critic score per image (a raw score, not a probability)."""
        return self.discriminator(images).view(-1).float()

    def d_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """The base class's critic loss with real and fake images scored in one pass.

        Nothing in the critic mixes the images of a batch, so one pass over both halves gives the
        same scores as two passes, for less work. The penalty then calls the critic on its own.
        """
        real = batch["image"]
        with torch.no_grad():
            fake = self.generate(self.sample_latent(real.shape[0])).to(real.dtype)
        real_in, fake_in = objective.noisy(real), objective.noisy(fake)
        both = torch.cat([real_in, fake_in])
        if real.dim() == 4 and real.is_contiguous(memory_format=torch.channels_last):
            both = both.contiguous(memory_format=torch.channels_last)
        real_scores, fake_scores = self.discriminate(both).split(real.shape[0])
        return discriminator_objective(objective, self.discriminate, real_in, fake_in, real_scores, fake_scores)
