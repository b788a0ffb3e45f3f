"""Class-conditional DCGAN: Mirza & Osindero (2014) conditioning on DCGAN bodies.

The label enters both players:

* **Generator** -- a learned label embedding is concatenated to ``z`` (Mirza & Osindero), then the
  DCGAN body runs unchanged: the 28x28 TensorFlow-tutorial layout (dense to 7x7, 5x5 transposed
  convolutions) or, at 32x32 and 64x64, the PyTorch-example layout (4x4 transposed convolutions).
* **Discriminator** -- a *projection* discriminator (Miyato & Koyama 2018): the logit is
  ``w . phi(x) + b + embed(y) . phi(x)``, where ``phi(x)`` is the flattened last feature map.
  We chose projection over concatenating a label map as an extra input channel because the
  label then acts where the decision is made rather than only at the first layer, it is the
  form the paper derives for a discriminator that estimates a class-conditional density ratio,
  and it adds one embedding row per class instead of widening the first convolution. It also
  keeps the 28x28 discriminator free of batch norm, so real and fake images (with their labels)
  can still be scored in one pass.

Labels are class indices ``[N]`` (long). The model is otherwise built for speed like the DCGAN
family: channels_last-friendly flattening, a cheap dropout mask, and the generator step reusing
the discriminator step's fakes (with the same labels) when nothing has changed in between.
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


# -- building blocks -------------------------------------------------------------------------------
class _ToImageHWC(nn.Module):
    """Dense features read in (height, width, channel) order as an ``[N, C, H, W]`` map (no copy)."""

    def __init__(self, channels: int, size: int) -> None:
        super().__init__()
        self.channels, self.size = channels, size

    def forward(self, x: Tensor) -> Tensor:
        return x.view(-1, self.size, self.size, self.channels).permute(0, 3, 1, 2)


class _FlattenHWC(nn.Module):
    """Flatten ``[N, C, H, W]`` in (height, width, channel) order: free for channels_last maps."""

    def forward(self, x: Tensor) -> Tensor:
        return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)


def _check_labels(labels: Tensor | None, n: int, num_classes: int) -> Tensor:
    if labels is None:
        raise UsageError("cgan is class-conditional: pass labels (class indices), e.g. --label Sneaker")
    labels = torch.as_tensor(labels).reshape(-1).long()
    if labels.numel() != n:
        raise UsageError(f"cgan got {n} images or latents but {labels.numel()} labels; give one label each")
    # Checked where it costs no device synchronisation; on a GPU the embedding itself asserts.
    if labels.device.type == "cpu" and n and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise UsageError(f"cgan labels must be class indices 0-{num_classes - 1}, got "
                         f"{int(labels.min())}-{int(labels.max())}")
    return labels


class ConditionalGenerator(nn.Module):
    """``body(cat(z, embed(y)))``: the label embedding joins the noise vector."""

    def __init__(self, body: nn.Module, num_classes: int, embed_dim: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.embed = nn.Embedding(num_classes, embed_dim)
        self.body = body

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        labels = _check_labels(labels, z.shape[0], self.num_classes).to(z.device)
        return self.body(torch.cat([z, self.embed(labels).to(z.dtype)], dim=1))


class ProjectionDiscriminator(nn.Module):
    """``head(phi(x)) + <embed(y), phi(x)>`` with ``phi`` the flattened features (Miyato & Koyama)."""

    def __init__(self, features: nn.Module, num_features: int, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.features = features
        self.head = nn.Linear(num_features, 1)
        self.embed = nn.Embedding(num_classes, num_features)

    def forward(self, images: Tensor, labels: Tensor) -> Tensor:
        labels = _check_labels(labels, images.shape[0], self.num_classes).to(images.device)
        phi = self.features(images)
        projection = (self.embed(labels).to(phi.dtype) * phi).sum(dim=1, dtype=torch.float32)
        return self.head(phi).squeeze(1) + projection


def _tutorial_body(in_dim: int, channels: int, width: int, slope: float) -> nn.Sequential:
    """The TensorFlow DCGAN tutorial's generator: dense to 7x7x4w, then 5x5 transposed convs."""
    return nn.Sequential(
        nn.Linear(in_dim, 7 * 7 * 4 * width, bias=False),
        nn.BatchNorm1d(7 * 7 * 4 * width),
        nn.LeakyReLU(slope, inplace=True),
        _ToImageHWC(4 * width, 7),
        nn.ConvTranspose2d(4 * width, 2 * width, 5, stride=1, padding=2, bias=False),
        nn.BatchNorm2d(2 * width),
        nn.LeakyReLU(slope, inplace=True),
        nn.ConvTranspose2d(2 * width, width, 5, stride=2, padding=2, output_padding=1, bias=False),
        nn.BatchNorm2d(width),
        nn.LeakyReLU(slope, inplace=True),
        nn.ConvTranspose2d(width, channels, 5, stride=2, padding=2, output_padding=1, bias=False),
        nn.Tanh(),
    )


def _tutorial_features(channels: int, width: int, slope: float, dropout: float) -> tuple[nn.Sequential, int]:
    """The tutorial's discriminator up to its last layer: two 5x5 stride-2 convs, 7x7x2w features."""
    layers = nn.Sequential(
        nn.Conv2d(channels, width, 5, stride=2, padding=2),
        nn.LeakyReLU(slope, inplace=True),
        FastDropout(dropout),
        nn.Conv2d(width, 2 * width, 5, stride=2, padding=2),
        nn.LeakyReLU(slope, inplace=True),
        FastDropout(dropout),
        _FlattenHWC(),
    )
    return layers, 2 * width * 7 * 7


def _example_body(image_size: int, in_dim: int, channels: int, width: int) -> nn.Sequential:
    """The PyTorch DCGAN example's generator: 4x4 transposed convs from 1x1 up to ``image_size``."""
    stages = int(math.log2(image_size // 4))
    widths = [width * 2 ** (stages - 1 - i) for i in range(stages)]
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


def _example_features(image_size: int, channels: int, width: int, dropout: float) -> tuple[nn.Sequential, int]:
    """The example's discriminator up to its 4x4 map (its last 4x4 conv is the projection head here)."""
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
    layers.append(_FlattenHWC())
    return nn.Sequential(*layers), widths[-1] * 4 * 4


def _init_like_tensorflow(module: nn.Module) -> None:
    """Keras defaults, as in the tutorial: Glorot-uniform kernels (and embeddings), zero biases."""
    if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d, nn.Embedding)):
        nn.init.xavier_uniform_(module.weight)
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)


def _init_like_dcgan_paper(module: nn.Module) -> None:
    """The DCGAN paper's N(0, 0.02) for convs, linears and embeddings; batch-norm scales N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


# -- the family ------------------------------------------------------------------------------------
class CGAN(GAN):
    """Class-conditional DCGAN for 28x28, 32x32 or 64x64 images (projection discriminator).

    Args:
        num_classes: how many classes; ``ganzoo train`` takes it from the dataset.
        image_size: 28 (TensorFlow tutorial layout), 32 or 64 (PyTorch example layout).
        channels: image channels; defaults to 1 for 28x28 and 3 otherwise.
        latent_dim: size of the noise vector z.
        embed_dim: size of the generator's label embedding, concatenated to z.
        base_channels: generator width (its last hidden layer; earlier ones double it).
        d_channels: discriminator width; defaults to ``base_channels``.
        dropout: discriminator dropout; defaults to 0.3 at 28x28 (the tutorial) and 0 otherwise.
        share_fakes: the generator step reuses the fakes, latents and labels of the discriminator
            step just before it (one generator forward pass per step instead of two).

    >>> gan = CGAN(num_classes=10, base_channels=32)                 # doctest: +SKIP
    >>> gan.sample(labels=torch.arange(10), z=torch.randn(10, 100))  # doctest: +SKIP
    """

    task = "class-conditional"

    def __init__(self, num_classes: int = 10, image_size: int = 28, channels: int | None = None,
                 latent_dim: int = 100, embed_dim: int = 50, base_channels: int = 64,
                 d_channels: int | None = None, dropout: float | None = None, share_fakes: bool = True) -> None:
        if image_size not in IMAGE_SIZES:
            raise UsageError(f"cgan supports image_size {', '.join(map(str, IMAGE_SIZES))}, not "
                             f"{image_size}; resize the data (e.g. --data size=32) or pick one of those")
        channels = (1 if image_size == 28 else 3) if channels is None else channels
        d_channels = base_channels if d_channels is None else d_channels
        dropout = (0.3 if image_size == 28 else 0.0) if dropout is None else float(dropout)
        for name, value in (("num_classes", num_classes), ("channels", channels), ("latent_dim", latent_dim),
                            ("embed_dim", embed_dim), ("base_channels", base_channels),
                            ("d_channels", d_channels)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise UsageError(f"cgan option {name} must be a positive integer, got {value!r}")
        if num_classes < 2:
            raise UsageError(f"cgan needs at least 2 classes, got num_classes={num_classes}; "
                             f"train an unconditional family (dcgan) on one class instead")
        if not 0.0 <= dropout < 1.0:
            raise UsageError(f"cgan option dropout must be in [0, 1), got {dropout}")
        super().__init__(dict(num_classes=num_classes, image_size=image_size, channels=channels,
                              latent_dim=latent_dim, embed_dim=embed_dim, base_channels=base_channels,
                              d_channels=d_channels, dropout=dropout, share_fakes=share_fakes))
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.image_shape = (channels, image_size, image_size)
        in_dim = latent_dim + embed_dim
        if image_size == 28:
            body = _tutorial_body(in_dim, channels, base_channels, slope=0.3)
            features, num_features = _tutorial_features(channels, d_channels, slope=0.3, dropout=dropout)
        else:
            body = _example_body(image_size, in_dim, channels, base_channels)
            features, num_features = _example_features(image_size, channels, d_channels, dropout)
        self.generator = ConditionalGenerator(body, num_classes, embed_dim)
        self.discriminator = ProjectionDiscriminator(features, num_features, num_classes)
        self.apply(_init_like_tensorflow if image_size == 28 else _init_like_dcgan_paper)
        # The label joins z as loudly as z itself from the start, as a one-hot vector would.
        nn.init.normal_(self.generator.embed.weight, 0.0, 1.0)
        # Without batch statistics a sample's score does not depend on its batch, so real and
        # fake images can share one discriminator pass.
        self._joint_d_pass = not any(isinstance(m, nn.modules.batchnorm._BatchNorm)
                                     for m in self.discriminator.modules())
        self.share_fakes = share_fakes
        self._shared = _SharedFakes()

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.generator(z, labels)

    def discriminate(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        """One fp32 logit per (image, label): under autocast the losses are computed in fp32."""
        return self.discriminator(images, labels).view(-1).float()

    def d_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """The base class's discriminator loss (fakes get the real batch's labels), in fewer passes."""
        real = batch["image"]
        labels = self._labels(batch)
        labels = _check_labels(labels, real.shape[0], self.num_classes).to(real.device)
        fake = self._fakes_for_d(labels).to(real.dtype)
        real_in, fake_in = objective.noisy(real), objective.noisy(fake)
        if self._joint_d_pass:
            both = torch.cat([real_in, fake_in])
            if real.dim() == 4 and real.is_contiguous(memory_format=torch.channels_last):
                both = both.contiguous(memory_format=torch.channels_last)
            real_logits, fake_logits = self.discriminate(both, torch.cat([labels, labels])).split(real.shape[0])
        else:
            real_logits, fake_logits = self.discriminate(real_in, labels), self.discriminate(fake_in, labels)
        critic = lambda x: self.discriminate(x, labels)  # noqa: E731
        return discriminator_objective(objective, critic, real_in, fake_in, real_logits, fake_logits)

    def g_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """The generator's loss for the batch's labels, on the shared fakes when they are still valid."""
        n = batch["image"].shape[0]
        labels = _check_labels(self._labels(batch), n, self.num_classes).to(batch["image"].device)
        fake = self._shared.take(self, labels)
        if fake is None:
            fake = self.generate(self.sample_latent(n), labels)
        real_logits = None
        if objective.g_needs_real:  # relativistic losses; real logits do not depend on G
            with torch.no_grad():
                real_logits = self.discriminate(objective.noisy(batch["image"]), labels)
        loss = objective.g_loss(self.discriminate(objective.noisy(fake), labels), real_logits)
        return loss, {"g_loss": loss.detach().float().item()}

    def _fakes_for_d(self, labels: Tensor) -> Tensor:
        """Detached fakes for ``labels``; kept with their graph for the next :meth:`g_loss` when sharing.

        The engine freezes the generator during the discriminator step, so its parameters are
        switched back on for this forward pass only; the discriminator sees a detached copy.
        """
        z = self.sample_latent(labels.shape[0])
        if not (self.share_fakes and self.training and torch.is_grad_enabled()):
            self._shared.clear()
            with torch.no_grad():
                return self.generate(z, labels)
        frozen = [p for p in self.generator.parameters() if not p.requires_grad]
        for p in frozen:
            p.requires_grad_(True)
        try:
            fake = self.generate(z, labels)
        finally:
            for p in frozen:
                p.requires_grad_(False)
        self._shared.keep(self, fake, labels)
        return fake.detach()


class _SharedFakes:
    """The last discriminator step's fakes (with graph) and labels, handed once to the generator step.

    Handed over only while still valid: same labels, same autocast mode, and no generator
    parameter changed since (an optimiser step bumps each tensor's version counter). Copies of
    the model (``copy.deepcopy``, pickling) start empty.
    """

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.fake: Tensor | None = None
        self.labels: Tensor | None = None
        self.stamp: tuple[Any, ...] = ()

    @staticmethod
    def _stamp(gan: CGAN, fake: Tensor) -> tuple[Any, ...]:
        device = fake.device.type
        autocast = torch.is_autocast_enabled(device) and torch.get_autocast_dtype(device)
        return (autocast, tuple(p._version for p in gan.generator.parameters()))

    def keep(self, gan: CGAN, fake: Tensor, labels: Tensor) -> None:
        self.fake, self.labels, self.stamp = fake, labels, self._stamp(gan, fake)

    def take(self, gan: CGAN, labels: Tensor) -> Tensor | None:
        fake, kept, stamp = self.fake, self.labels, self.stamp
        self.clear()
        if fake is None or kept is None or not torch.is_grad_enabled():
            return None
        if kept.shape != labels.shape or not torch.equal(kept, labels.to(kept.device)):
            return None
        return fake if self._stamp(gan, fake) == stamp else None

    def __deepcopy__(self, memo: dict[int, Any]) -> _SharedFakes:
        return _SharedFakes()

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.clear()
