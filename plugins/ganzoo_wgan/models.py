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

import torch
from torch import Tensor, nn

from ganzoo.plugin import GAN, Logs, Objective, UsageError, discriminator_objective, score_together
from ganzoo.plugin_blocks import (
    FlattenHWC,
    check_image_size,
    example_convs,
    example_generator,
    init_like_dcgan_paper,
    init_like_tensorflow,
    tutorial_convs,
    tutorial_generator,
)

NORMS = ("layer", "none")


def _layer_norm(channels: int) -> nn.Module:
    """Layer norm over (C, H, W) with a scale and shift per channel, as in the authors' code."""
    return nn.GroupNorm(1, channels)


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
        check_image_size("wgan-gp", image_size)
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
        # DCGAN generators. The critics keep the layouts' convolutions without dropout, with layer
        # norm (or none) after each one but the first, and end in a raw score.
        make_norm = _layer_norm if norm == "layer" else None
        if image_size == 28:
            self.generator = tutorial_generator(latent_dim, channels, base_channels, slope=0.3)
            convs, depth = tutorial_convs(channels, d_channels, slope=0.3, norm=make_norm)
            self.discriminator = nn.Sequential(*convs, FlattenHWC(), nn.Linear(depth * 7 * 7, 1))
            self.apply(init_like_tensorflow)
        else:
            self.generator = example_generator(image_size, latent_dim, channels, base_channels)
            convs, depth = example_convs(image_size, channels, d_channels, norm=make_norm, bias=True)
            self.discriminator = nn.Sequential(*convs, nn.Conv2d(depth, 1, 4, stride=1, padding=0), nn.Flatten())
            self.apply(init_like_dcgan_paper)

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        images: Tensor = self.generator(z)
        return images

    def discriminate(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        """One fp32 critic score per image (a raw score, not a probability)."""
        scores: Tensor = self.discriminator(images)
        return scores.view(-1).float()

    def d_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """The base class's critic loss with real and fake images scored in one pass.

        Nothing in the critic mixes the images of a batch, so one pass over both halves gives the
        same scores as two passes, for less work. The penalty then calls the critic on its own.
        """
        real = batch["image"]
        with torch.no_grad():
            fake = self.generate(self.sample_latent(real.shape[0])).to(real.dtype)
        real_in, fake_in = objective.noisy(real), objective.noisy(fake)
        real_scores, fake_scores = score_together(self.discriminate, real_in, fake_in)
        return discriminator_objective(objective, self.discriminate, real_in, fake_in, real_scores, fake_scores)
