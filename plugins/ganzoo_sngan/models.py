"""SNGAN (Miyato et al. 2018) and its class-conditional form, SNGAN-projection (Miyato & Koyama 2018).

* **Generator** -- ``z`` through a linear layer to a small map (7x7 for 28-pixel images, 4x4
  otherwise), residual up-sampling blocks with batch norm until the image size, then batch norm,
  ReLU, a 3x3 convolution and tanh. Class-conditional: the batch norms take a gain and a bias
  per class (conditional batch norm).
* **Discriminator** -- residual down-sampling blocks, every layer spectrally normalised, ReLU,
  a sum over the pixels and a linear score; class-conditional: plus the projection
  ``<embed(y), phi(x)>`` of the pooled features onto a class embedding.

The discriminator has no batch norm, so real and fake images are scored in one pass; the
generator step reuses the discriminator step's fakes (:mod:`ganzoo.sharing`). Widths default to
the paper's CIFAR-10 networks (generator 256, discriminator 128); the zoo trains narrower ones
on a CPU.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.plugin import (
    GAN,
    Logs,
    Objective,
    SharedFakes,
    UsageError,
    discriminator_objective,
    generator_adversarial,
    score_together,
)
from ganzoo.plugin_blocks import apply_spectral_norm
from ganzoo_sngan.blocks import ClassBatchNorm, DownBlock, UpBlock, init_like_sngan

#: image side -> (side of the generator's first map, generator up blocks, discriminator down blocks, plain blocks)
LAYOUTS: dict[int, tuple[int, int, int, int]] = {28: (7, 2, 2, 2), 32: (4, 3, 2, 2), 64: (4, 4, 4, 1)}


class ResNetGenerator(nn.Module):
    """``z`` (and labels) -> image in [-1, 1]; see the module docstring."""

    def __init__(self, image_size: int, channels: int, latent_dim: int, width: int, num_classes: int) -> None:
        super().__init__()
        side, ups, _, _ = LAYOUTS[image_size]
        self.side, self.width = side, width
        self.project = nn.Linear(latent_dim, side * side * width)
        self.blocks = nn.ModuleList(UpBlock(width, width, num_classes) for _ in range(ups))
        self.norm = nn.BatchNorm2d(width)
        self.to_image = nn.Conv2d(width, channels, 3, padding=1)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        h = self.project(z).view(-1, self.width, self.side, self.side)
        for block in self.blocks:
            h = block(h, labels)
        return torch.tanh(self.to_image(torch.relu(self.norm(h))))


class ResNetDiscriminator(nn.Module):
    """Image (and labels) -> one score; spectral norm everywhere, projection head with classes."""

    def __init__(self, image_size: int, channels: int, width: int, num_classes: int) -> None:
        super().__init__()
        _, _, downs, plain = LAYOUTS[image_size]
        blocks = [DownBlock(channels, width, down=True, first=True)]
        blocks += [DownBlock(width, width, down=True) for _ in range(downs - 1)]
        blocks += [DownBlock(width, width, down=False) for _ in range(plain)]
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(width, 1)
        self.embed = nn.Embedding(num_classes, width) if num_classes else None

    def features(self, images: Tensor) -> Tensor:
        """``phi(x)``: the last block's map after ReLU, summed over the pixels."""
        return torch.relu(self.blocks(images)).sum(dim=(2, 3))

    def forward(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        phi = self.features(images)
        score: Tensor = self.head(phi).squeeze(1)
        if self.embed is not None:
            if labels is None:
                raise ValueError("a projection discriminator needs labels")
            score = score + (self.embed(labels).to(phi.dtype) * phi).sum(dim=1, dtype=torch.float32)
        return score


class SNGAN(GAN):
    """SNGAN for 28x28, 32x32 or 64x64 images, grey or RGB.

    Args:
        image_size: 28, 32 or 64 (``ganzoo train`` takes it from the dataset).
        channels: image channels; defaults to 1 at 28x28 and 3 otherwise.
        latent_dim: size of the noise vector z (128 in the paper).
        g_channels: generator width (256 in the paper's CIFAR-10 network).
        d_channels: discriminator width (128 in the paper).
        share_fakes: the generator step reuses the discriminator step's fakes (one generator pass
            per step instead of two).

    >>> gan = SNGAN(image_size=32, g_channels=128)   # doctest: +SKIP
    """

    def __init__(self, image_size: int = 32, channels: int | None = None, latent_dim: int = 128,
                 g_channels: int = 256, d_channels: int = 128, share_fakes: bool = True) -> None:
        self._setup(dict(image_size=image_size, channels=channels, latent_dim=latent_dim, g_channels=g_channels,
                         d_channels=d_channels, share_fakes=share_fakes), num_classes=0)

    def _setup(self, options: dict[str, Any], num_classes: int) -> None:
        family = "sngan-projection" if num_classes else "sngan"
        size = options["image_size"]
        if size not in LAYOUTS:
            raise UsageError(f"{family} makes {', '.join(map(str, LAYOUTS))}-pixel images, not {size!r}; "
                             f"pass --set image_size=32 or resize the data with --data size=32")
        if options["channels"] is None:
            options["channels"] = 1 if size == 28 else 3
        for name in ("channels", "latent_dim", "g_channels", "d_channels"):
            value = options[name]
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise UsageError(f"{family} option {name} must be a positive integer, got {value!r}")
        super().__init__(options)
        self.latent_dim = options["latent_dim"]
        self.num_classes = num_classes
        self.image_shape = (options["channels"], size, size)
        self.generator = ResNetGenerator(size, options["channels"], self.latent_dim, options["g_channels"],
                                         num_classes)
        self.discriminator = ResNetDiscriminator(size, options["channels"], options["d_channels"], num_classes)
        init_like_sngan(self)
        for module in self.modules():  # conditional gains start at 1 (init_like_sngan leaves embeddings alone)
            if isinstance(module, ClassBatchNorm) and module.num_classes:
                nn.init.ones_(module.gain.weight)
        if self.discriminator.embed is not None:
            nn.init.xavier_uniform_(self.discriminator.embed.weight)
        apply_spectral_norm(self.discriminator)  # after init: the parametrisation divides the initialised weights
        self.share_fakes = bool(options["share_fakes"])
        self._shared = SharedFakes()

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        images: Tensor = self.generator(z, self._checked(labels, z.shape[0], z.device))
        return images

    def discriminate(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        """One fp32 score per image (and label)."""
        scores: Tensor = self.discriminator(images, self._checked(labels, images.shape[0], images.device))
        return scores.view(-1).float()

    def _checked(self, labels: Tensor | None, n: int, device: torch.device) -> Tensor | None:
        if not self.num_classes:
            return None
        if labels is None:
            raise UsageError("sngan-projection is class-conditional: pass labels (class indices), e.g. --class 3")
        labels = torch.as_tensor(labels).reshape(-1).long()
        if labels.numel() != n:
            raise UsageError(f"sngan-projection got {n} images or latents but {labels.numel()} labels")
        if (labels.device.type == "cpu" and n and not torch.compiler.is_exporting()  # no values while traced
                and (int(labels.min()) < 0 or int(labels.max()) >= self.num_classes)):
            raise UsageError(f"sngan-projection labels must be class indices 0-{self.num_classes - 1}")
        return labels.to(device)

    def d_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """Hinge (or any registered) loss; real and fake scored in one pass, fakes kept for the generator step."""
        real = batch["image"]
        n = real.shape[0]
        labels = self._labels(batch)
        z = self.sample_latent(n)
        fake = self._shared.make(self.generator, lambda: self.generate(z, labels), share=self.share_fakes,
                                 key=(n, labels))
        real_in, fake_in = objective.noisy(real), objective.noisy(fake.to(real.dtype))
        both = None if labels is None else torch.cat([labels, labels])
        real_logits, fake_logits = score_together(lambda x: self.discriminate(x, both), real_in, fake_in)
        critic = lambda x: self.discriminate(x, labels)  # noqa: E731
        return discriminator_objective(objective, critic, real_in, fake_in, real_logits, fake_logits)

    def g_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        n = batch["image"].shape[0]
        labels = self._labels(batch)
        fake = self._shared.take(self.generator, key=(n, labels))
        if fake is None:
            fake = self.generate(self.sample_latent(n), labels)
        loss = generator_adversarial(objective, lambda x: self.discriminate(x, labels), fake, batch["image"])
        return loss, {"g_loss": loss.detach().float().item()}


class SNGANProjection(SNGAN):
    """SNGAN-projection: conditional batch norm in the generator, a projection discriminator.

    Args:
        num_classes: how many classes; ``ganzoo train`` takes it from the dataset.
        The others as :class:`SNGAN`.

    >>> gan = SNGANProjection(num_classes=10, image_size=28)   # doctest: +SKIP
    """

    task = "class-conditional"

    def __init__(self, num_classes: int = 10, image_size: int = 32, channels: int | None = None,
                 latent_dim: int = 128, g_channels: int = 256, d_channels: int = 128, share_fakes: bool = True) -> None:
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 2:
            raise UsageError(f"sngan-projection needs num_classes >= 2, got {num_classes!r}; "
                             f"train sngan for unconditional images")
        self._setup(dict(num_classes=num_classes, image_size=image_size, channels=channels, latent_dim=latent_dim,
                         g_channels=g_channels, d_channels=d_channels, share_fakes=share_fakes),
                    num_classes=num_classes)
