"""DCGAN (Radford, Metz & Chintala 2015) in three sizes, chosen by ``image_size``.

* 28x28 follows the TensorFlow DCGAN tutorial (the network ganzoo's seed code trained on
  Fashion-MNIST): a dense layer to 7x7x256, then 5x5 transposed convolutions; the discriminator
  has two 5x5 stride-2 convolutions with dropout 0.3 and no batch norm.
* 32x32 and 64x64 follow the PyTorch DCGAN example: 4x4 transposed-convolution stacks with batch
  norm and ReLU, a mirrored discriminator with batch norm and LeakyReLU(0.2), N(0, 0.02) init.

Written to be fast on CPUs under bf16 autocast and channels_last (see ``docs/performance.md``),
with the maths of the references unchanged: dropout draws its mask cheaply
(:mod:`ganzoo_dcgan.layers`); flattening follows the channels_last memory order; the generator
step reuses the discriminator step's fakes, as both reference training loops do; and the 28x28
discriminator -- which has no batch norm, so batching cannot change its maths -- scores real and
fake images in one pass.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.errors import UsageError
from ganzoo.losses import Objective
from ganzoo.models import GAN, Logs, discriminator_objective
from ganzoo_dcgan.layers import FastDropout

IMAGE_SIZES = (28, 32, 64)


class _ToImage(nn.Module):
    """The dense layer's features, ordered (height, width, channel) as in TensorFlow, as a map.

    Reading the features in that order gives a channels_last tensor without copying, and the
    permuted view is an ``[N, C, H, W]`` tensor like any other.
    """

    def __init__(self, channels: int, size: int) -> None:
        super().__init__()
        self.channels, self.size = channels, size

    def forward(self, x: Tensor) -> Tensor:
        return x.view(-1, self.size, self.size, self.channels).permute(0, 3, 1, 2)


class _FlattenHWC(nn.Module):
    """Flatten ``[N, C, H, W]`` in (height, width, channel) order: free for channels_last maps.

    Keeping the flattened view in the memory order of channels_last activations means the
    gradient flowing back into the last convolution is channels_last too, instead of a copy in
    another layout that sends oneDNN down a slower backward kernel.
    """

    def forward(self, x: Tensor) -> Tensor:
        return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)


def _tutorial_generator(latent_dim: int, channels: int, width: int, slope: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(latent_dim, 7 * 7 * 4 * width, bias=False),
        nn.BatchNorm1d(7 * 7 * 4 * width),
        nn.LeakyReLU(slope, inplace=True),
        _ToImage(4 * width, 7),
        nn.ConvTranspose2d(4 * width, 2 * width, 5, stride=1, padding=2, bias=False),
        nn.BatchNorm2d(2 * width),
        nn.LeakyReLU(slope, inplace=True),
        nn.ConvTranspose2d(2 * width, width, 5, stride=2, padding=2, output_padding=1, bias=False),
        nn.BatchNorm2d(width),
        nn.LeakyReLU(slope, inplace=True),
        nn.ConvTranspose2d(width, channels, 5, stride=2, padding=2, output_padding=1, bias=False),
        nn.Tanh(),
    )


def _tutorial_discriminator(channels: int, width: int, slope: float, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels, width, 5, stride=2, padding=2),
        nn.LeakyReLU(slope, inplace=True),
        FastDropout(dropout),
        nn.Conv2d(width, 2 * width, 5, stride=2, padding=2),
        nn.LeakyReLU(slope, inplace=True),
        FastDropout(dropout),
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


def _example_discriminator(image_size: int, channels: int, width: int, dropout: float) -> nn.Sequential:
    stages = int(math.log2(image_size // 4))
    widths = [width * 2**i for i in range(stages)]
    layers: list[nn.Module] = [nn.Conv2d(channels, widths[0], 4, stride=2, padding=1, bias=False),
                               nn.LeakyReLU(0.2, inplace=True)]
    if dropout:
        layers.append(FastDropout(dropout))
    for w_in, w_out in zip(widths, widths[1:]):
        layers += [nn.Conv2d(w_in, w_out, 4, stride=2, padding=1, bias=False),
                   nn.BatchNorm2d(w_out), nn.LeakyReLU(0.2, inplace=True)]
        if dropout:
            layers.append(FastDropout(dropout))
    layers += [nn.Conv2d(widths[-1], 1, 4, stride=1, padding=0, bias=False), nn.Flatten()]
    return nn.Sequential(*layers)


def _init_like_tensorflow(module: nn.Module) -> None:
    """Keras defaults, as in the tutorial: Glorot-uniform kernels, zero biases."""
    if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def _init_like_dcgan_paper(module: nn.Module) -> None:
    """The paper's init: conv weights N(0, 0.02); batch-norm scales N(1, 0.02), shifts 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGAN(GAN):
    """Deep convolutional GAN for 28x28, 32x32 or 64x64 images.

    Args:
        image_size: 28 (TensorFlow tutorial layout), 32 or 64 (PyTorch example layout).
        channels: image channels; defaults to 1 for 28x28 and 3 otherwise.
        latent_dim: size of the noise vector z (100 in both references).
        base_channels: generator width: the last hidden layer has this many channels and each
            earlier one doubles it (ngf; 64 in both references).
        d_channels: discriminator width (ndf); defaults to ``base_channels``.
        dropout: discriminator dropout; defaults to 0.3 at 28x28 (the tutorial) and 0 otherwise.
        share_fakes: the generator step reuses the fakes (and latents) of the discriminator step
            just before it, as the TensorFlow tutorial and the PyTorch example do: one generator
            forward pass per step instead of two. ``False`` draws fresh latents for each step.

    >>> gan = DCGAN(image_size=64, base_channels=32)   # doctest: +SKIP
    """

    def __init__(self, image_size: int = 28, channels: int | None = None, latent_dim: int = 100,
                 base_channels: int = 64, d_channels: int | None = None,
                 dropout: float | None = None, share_fakes: bool = True) -> None:
        if image_size not in IMAGE_SIZES:
            raise UsageError(f"dcgan supports image_size {', '.join(map(str, IMAGE_SIZES))}, not "
                             f"{image_size}; resize the data (e.g. --data size=32) or pick one of those")
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
                              share_fakes=share_fakes))
        self.latent_dim = latent_dim
        self.image_shape = (channels, image_size, image_size)
        if image_size == 28:
            self.generator = _tutorial_generator(latent_dim, channels, base_channels, slope=0.3)
            self.discriminator = _tutorial_discriminator(channels, d_channels, slope=0.3, dropout=dropout)
            self.apply(_init_like_tensorflow)
        else:
            self.generator = _example_generator(image_size, latent_dim, channels, base_channels)
            self.discriminator = _example_discriminator(image_size, channels, d_channels, dropout)
            self.apply(_init_like_dcgan_paper)
        # Batch statistics make a sample's score depend on the rest of its batch; without them
        # real and fake images can share one forward pass.
        self._joint_d_pass = not any(isinstance(m, nn.modules.batchnorm._BatchNorm)
                                     for m in self.discriminator.modules())
        self.share_fakes = share_fakes
        self._shared = _SharedFakes()

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.generator(z)

    def discriminate(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        """One fp32 logit per image: under autocast the losses are then computed in fp32 too."""
        return self.discriminator(images).view(-1).float()

    def d_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """The base class's discriminator loss, computed with fewer passes (same maths).

        The fakes come from :meth:`_fakes_for_d`; a batch-norm-free discriminator scores real
        and fake images in one batch.
        """
        real = batch["image"]
        fake = self._fakes_for_d(real.shape[0]).to(real.dtype)
        real_in, fake_in = objective.noisy(real), objective.noisy(fake)
        if self._joint_d_pass:
            both = torch.cat([real_in, fake_in])
            if real.dim() == 4 and real.is_contiguous(memory_format=torch.channels_last):
                both = both.contiguous(memory_format=torch.channels_last)
            real_logits, fake_logits = self.discriminate(both).split(real.shape[0])
        else:
            real_logits, fake_logits = self.discriminate(real_in), self.discriminate(fake_in)
        return discriminator_objective(objective, self.discriminate, real_in, fake_in, real_logits, fake_logits)

    def g_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """The generator's loss, on the fakes the discriminator step just saw when they are valid."""
        n = batch["image"].shape[0]
        fake = self._shared.take(self, n)
        if fake is None:
            fake = self.generate(self.sample_latent(n))
        loss = objective.g_loss(self.discriminate(objective.noisy(fake)))
        return loss, {"g_loss": loss.detach().float().item()}

    def _fakes_for_d(self, n: int) -> Tensor:
        """``n`` detached fakes; kept with their graph for the next :meth:`g_loss` when sharing.

        The training engine freezes the generator during the discriminator step, so its
        parameters are switched back on just for this forward pass: the graph is then ready for
        the generator step, and the discriminator's loss only sees the detached copy.
        """
        z = self.sample_latent(n)
        if not (self.share_fakes and self.training and torch.is_grad_enabled()):
            self._shared.clear()
            with torch.no_grad():
                return self.generate(z)
        frozen = [p for p in self.generator.parameters() if not p.requires_grad]
        for p in frozen:
            p.requires_grad_(True)
        try:
            fake = self.generate(z)
        finally:
            for p in frozen:
                p.requires_grad_(False)
        self._shared.keep(self, fake)
        return fake.detach()


class _SharedFakes:
    """The last discriminator step's fakes (with graph), handed once to the generator step.

    They are handed over only when still valid: same batch size, same autocast mode, and no
    generator parameter changed since (an optimiser step bumps each tensor's version counter).
    Copies of the model (``copy.deepcopy``, pickling) start empty.
    """

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.fake: Tensor | None = None
        self.stamp: tuple[Any, ...] = ()

    @staticmethod
    def _stamp(gan: DCGAN, fake: Tensor) -> tuple[Any, ...]:
        device = fake.device.type
        autocast = torch.is_autocast_enabled(device) and torch.get_autocast_dtype(device)
        return (fake.shape[0], autocast, tuple(p._version for p in gan.generator.parameters()))

    def keep(self, gan: DCGAN, fake: Tensor) -> None:
        self.fake, self.stamp = fake, self._stamp(gan, fake)

    def take(self, gan: DCGAN, n: int) -> Tensor | None:
        fake, stamp = self.fake, self.stamp
        self.clear()
        if fake is None or not torch.is_grad_enabled() or fake.shape[0] != n:
            return None
        return fake if self._stamp(gan, fake) == stamp else None

    def __deepcopy__(self, memo: dict[int, Any]) -> _SharedFakes:
        return _SharedFakes()

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.clear()
