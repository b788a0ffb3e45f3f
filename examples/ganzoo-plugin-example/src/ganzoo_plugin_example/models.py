"""``tinyconv``: a small convolutional GAN built on :class:`ganzoo.models.GAN`.

A family only builds its two networks and says how to generate and discriminate; the losses,
sampling, training and checkpoints come from ganzoo.
"""

from __future__ import annotations

from torch import Tensor, nn

from ganzoo.plugin import GAN, UsageError


class TinyConvGAN(GAN):
    """z -> linear -> two transposed convolutions -> tanh; image -> two convolutions -> logit.

    Args:
        image_size: height and width of the square images; a multiple of 4.
        channels: image channels (1 for Fashion-MNIST, 3 for CIFAR-10).
        latent_dim: size of the noise vector z.
        width: channels of the widest layer's smaller half; the network scales with it.
    """

    def __init__(self, image_size: int = 28, channels: int = 1, latent_dim: int = 64, width: int = 32) -> None:
        if image_size % 4 or image_size < 8:
            raise UsageError(f"tinyconv needs image_size a multiple of 4 and at least 8, got {image_size}")
        super().__init__(dict(image_size=image_size, channels=channels, latent_dim=latent_dim, width=width))
        self.latent_dim = latent_dim
        self.image_shape = (channels, image_size, image_size)
        base = image_size // 4
        self.generator = nn.Sequential(
            nn.Linear(latent_dim, 2 * width * base * base),
            nn.Unflatten(1, (2 * width, base, base)),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.ConvTranspose2d(width, channels, 4, stride=2, padding=1),
            nn.Tanh(),
        )
        # No batch norm in the critic, so gradient penalties (per-sample gradients) stay valid.
        self.discriminator = nn.Sequential(
            nn.Conv2d(channels, width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * width * base * base, 1),
        )

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.generator(z)

    def discriminate(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.discriminator(images).view(-1)
