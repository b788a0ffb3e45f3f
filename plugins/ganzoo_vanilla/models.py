"""The MLP generator and discriminator of the original GAN paper.

Written to be fast on CPUs (``docs/performance.md``) with the paper's maths unchanged: the
discriminator's dropout draws its mask cheaply, layers too small for bf16 stay in fp32 under
autocast, the generator step reuses the discriminator step's fakes, and real and fake images
share one discriminator pass (there is no batch norm, so batching cannot change a score).
"""

from __future__ import annotations

import math

from torch import Tensor, nn

from ganzoo.plugin import UsageError
from ganzoo.plugin_blocks import FastDropout, OneGeneratorPassGAN, dense_layer


class VanillaGAN(OneGeneratorPassGAN):
    """MLP GAN: z -> hidden (LeakyReLU) -> tanh image; image -> hidden (LeakyReLU, dropout) -> logit.

    Args:
        image_size: height and width of the (square) images.
        channels: image channels (1 for Fashion-MNIST).
        latent_dim: size of the noise vector z.
        hidden: widths of the hidden layers, smallest first in the generator.
        dropout: dropout in the discriminator, as in the paper's maxout network.
        share_fakes: the generator step reuses the fakes (and latents) of the discriminator step
            just before it: one generator forward pass per step instead of two. ``False`` draws
            fresh latents for each step.
    """

    def __init__(self, image_size: int = 28, channels: int = 1, latent_dim: int = 100,
                 hidden: tuple[int, ...] | list[int] = (256, 512, 1024), dropout: float = 0.3,
                 share_fakes: bool = True) -> None:
        _check_options(image_size=image_size, channels=channels, latent_dim=latent_dim, hidden=hidden,
                       dropout=dropout)
        super().__init__(dict(image_size=image_size, channels=channels, latent_dim=latent_dim,
                              hidden=list(hidden), dropout=dropout, share_fakes=bool(share_fakes)))
        self.latent_dim = latent_dim
        self.image_shape = (channels, image_size, image_size)
        pixels = math.prod(self.image_shape)
        g_layers: list[nn.Module] = []
        width = latent_dim
        for h in hidden:
            g_layers += [dense_layer(width, h), nn.LeakyReLU(0.2)]
            width = h
        g_layers += [dense_layer(width, pixels), nn.Tanh()]
        self.generator = nn.Sequential(*g_layers)
        d_layers: list[nn.Module] = [nn.Flatten()]
        width = pixels
        for h in reversed(list(hidden)):
            d_layers += [dense_layer(width, h), nn.LeakyReLU(0.2), FastDropout(dropout)]
            width = h
        d_layers += [dense_layer(width, 1)]
        self.discriminator = nn.Sequential(*d_layers)
        self.share_fakes = bool(share_fakes)  # real and fake images share one pass too: no batch norm here

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        images: Tensor = self.generator(z)
        return images.view(-1, *self.image_shape)

    def discriminate(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        """One fp32 logit per image: under autocast the losses are then computed in fp32 too."""
        scores: Tensor = self.discriminator(images)
        return scores.view(-1).float()


def _positive(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _check_options(*, image_size: object, channels: object, latent_dim: object, hidden: object,
                   dropout: object) -> None:
    """A one-line usage error for an option the MLPs cannot be built with (``--set latent_dim=-5``)."""
    for name, value in (("image_size", image_size), ("channels", channels), ("latent_dim", latent_dim)):
        if not _positive(value):
            raise UsageError(f"vanilla option {name} must be a positive integer, got {value!r}")
    if not isinstance(hidden, (list, tuple)) or not all(_positive(width) for width in hidden):
        raise UsageError(f"vanilla option hidden must be a list of positive integers (widths), got {hidden!r}")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
        raise UsageError(f"vanilla option dropout must be in [0, 1), got {dropout!r}")
