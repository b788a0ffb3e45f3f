"""DCGAN (Radford, Metz & Chintala 2015) in three sizes, chosen by ``image_size``.

* 28x28 follows the TensorFlow DCGAN tutorial (the network ganzoo's seed code trained on
  Fashion-MNIST): a dense layer to 7x7x256, then 5x5 transposed convolutions; the discriminator
  has two 5x5 stride-2 convolutions with dropout 0.3 and no batch norm.
* 32x32 and 64x64 follow the PyTorch DCGAN example: 4x4 transposed-convolution stacks with batch
  norm and ReLU, a mirrored discriminator with batch norm and LeakyReLU(0.2), N(0, 0.02) init.

The layouts are :mod:`ganzoo.nn.dcgan_blocks` (cgan and wgan-gp build on them too); this module
picks the references' options and heads. Written to be fast on CPUs under bf16 autocast and
channels_last (see ``docs/performance.md``), with the maths of the references unchanged: dropout
draws its mask cheaply (:mod:`ganzoo.nn.dropout`); flattening follows the channels_last memory
order; the generator step reuses the discriminator step's fakes (:mod:`ganzoo.sharing`), as both
reference training loops do; and the 28x28 discriminator -- which has no batch norm, so batching
cannot change its maths -- scores real and fake images in one pass.
"""

from __future__ import annotations

from functools import partial

from torch import Tensor, nn

from ganzoo.plugin import UsageError, has_batch_norm
from ganzoo.plugin_blocks import (
    FastDropout,
    FlattenHWC,
    OneGeneratorPassGAN,
    apply_spectral_norm,
    check_image_size,
    example_convs,
    example_generator,
    init_like_dcgan_paper,
    init_like_tensorflow,
    tutorial_convs,
    tutorial_generator,
)


class DCGAN(OneGeneratorPassGAN):
    """Deep convolutional GAN for 28x28, 32x32 or 64x64 images.

    Args:
        image_size: 28 (TensorFlow tutorial layout), 32 or 64 (PyTorch example layout).
        channels: image channels; defaults to 1 for 28x28 and 3 otherwise.
        latent_dim: size of the noise vector z (100 in both references).
        base_channels: generator width: the last hidden layer has this many channels and each
            earlier one doubles it (ngf; 64 in both references).
        d_channels: discriminator width (ndf); defaults to ``base_channels``.
        dropout: discriminator dropout; defaults to 0.3 at 28x28 (the tutorial) and 0 otherwise.
        spectral_norm: spectral normalisation of every discriminator layer (Miyato et al. 2018), as in
            SNGAN; off in both references.
        share_fakes: the generator step reuses the fakes (and latents) of the discriminator step
            just before it, as the TensorFlow tutorial and the PyTorch example do: one generator
            forward pass per step instead of two. ``False`` draws fresh latents for each step.

    >>> gan = DCGAN(image_size=64, base_channels=32)   # doctest: +SKIP
    """

    def __init__(self, image_size: int = 28, channels: int | None = None, latent_dim: int = 100,
                 base_channels: int = 64, d_channels: int | None = None,
                 dropout: float | None = None, share_fakes: bool = True, spectral_norm: bool = False) -> None:
        check_image_size("dcgan", image_size)
        channels = (1 if image_size == 28 else 3) if channels is None else channels
        d_channels = base_channels if d_channels is None else d_channels
        dropout = (0.3 if image_size == 28 else 0.0) if dropout is None else float(dropout)
        for name, value in (("channels", channels), ("latent_dim", latent_dim),
                            ("base_channels", base_channels), ("d_channels", d_channels)):
            if not isinstance(value, int) or value < 1:
                raise UsageError(f"dcgan option {name} must be a positive integer, got {value!r}")
        if not 0.0 <= dropout < 1.0:
            raise UsageError(f"dcgan option dropout must be in [0, 1), got {dropout}")
        super().__init__(dict(image_size=image_size, channels=channels, latent_dim=latent_dim,
                              base_channels=base_channels, d_channels=d_channels, dropout=dropout,
                              share_fakes=share_fakes, spectral_norm=bool(spectral_norm)))
        self.latent_dim = latent_dim
        self.image_shape = (channels, image_size, image_size)
        if image_size == 28:  # the tutorial: dropout after both activations, a dense score
            self.generator = tutorial_generator(latent_dim, channels, base_channels, slope=0.3)
            convs, depth = tutorial_convs(channels, d_channels, slope=0.3, dropout=partial(FastDropout, dropout))
            self.discriminator = nn.Sequential(*convs, FlattenHWC(), nn.Linear(depth * 7 * 7, 1))
            self.apply(init_like_tensorflow)
        else:  # the example: batch norm, no biases, a 4x4 convolution scores the 4x4 map
            self.generator = example_generator(image_size, latent_dim, channels, base_channels)
            convs, depth = example_convs(image_size, channels, d_channels, norm=nn.BatchNorm2d,
                                         dropout=partial(FastDropout, dropout) if dropout else None)
            self.discriminator = nn.Sequential(*convs, nn.Conv2d(depth, 1, 4, stride=1, padding=0, bias=False),
                                               nn.Flatten())
            self.apply(init_like_dcgan_paper)
        if spectral_norm:
            apply_spectral_norm(self.discriminator)  # after init: it normalises the initialised weights
        # Batch statistics make a sample's score depend on the rest of its batch; without them
        # real and fake images share one forward pass (OneGeneratorPassGAN.d_loss).
        self._joint_d_pass = not has_batch_norm(self.discriminator)
        self.share_fakes = share_fakes

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        images: Tensor = self.generator(z)
        return images

    def discriminate(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        """One fp32 logit per image: under autocast the losses are then computed in fp32 too."""
        scores: Tensor = self.discriminator(images)
        return scores.view(-1).float()
