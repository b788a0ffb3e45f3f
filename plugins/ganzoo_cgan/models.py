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

from functools import partial

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
    has_batch_norm,
    score_together,
)
from ganzoo.plugin_blocks import (
    FastDropout,
    FlattenHWC,
    check_image_size,
    example_convs,
    example_generator,
    init_like_dcgan_paper,
    init_like_tensorflow,
    tutorial_convs,
    tutorial_generator,
)


# -- conditioning ----------------------------------------------------------------------------------
def _check_labels(labels: Tensor | None, n: int, num_classes: int) -> Tensor:
    if labels is None:
        raise UsageError("cgan is class-conditional: pass labels (class indices), e.g. --label Sneaker")
    labels = torch.as_tensor(labels).reshape(-1).long()
    if labels.numel() != n:
        raise UsageError(f"cgan got {n} images or latents but {labels.numel()} labels; give one label each")
    # Checked where it costs no device synchronisation; on a GPU the embedding itself asserts. Not
    # while torch.export traces the generator (ONNX export): the labels have no values then.
    if (labels.device.type == "cpu" and n and not torch.compiler.is_exporting()
            and (int(labels.min()) < 0 or int(labels.max()) >= num_classes)):
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
        images: Tensor = self.body(torch.cat([z, self.embed(labels).to(z.dtype)], dim=1))
        return images


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
        phi: Tensor = self.features(images)
        embedded: Tensor = self.embed(labels)
        projection = (embedded.to(phi.dtype) * phi).sum(dim=1, dtype=torch.float32)
        score: Tensor = self.head(phi).squeeze(1)
        return score + projection


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
        spectral_norm: spectral normalisation of every discriminator layer and of its class
            embedding, as Miyato & Koyama train projection discriminators (default). Without
            it, the projection term grows until the generator draws one image per class: on
            Fashion-MNIST, FID[fmnist-cnn] turned back up after 1,500 steps and recall fell to 0.

    >>> gan = CGAN(num_classes=10, base_channels=32)                 # doctest: +SKIP
    >>> gan.sample(labels=torch.arange(10), z=torch.randn(10, 100))  # doctest: +SKIP
    """

    task = "class-conditional"

    def __init__(self, num_classes: int = 10, image_size: int = 28, channels: int | None = None,
                 latent_dim: int = 100, embed_dim: int = 50, base_channels: int = 64,
                 d_channels: int | None = None, dropout: float | None = None, share_fakes: bool = True,
                 spectral_norm: bool = True) -> None:
        check_image_size("cgan", image_size)
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
                              d_channels=d_channels, dropout=dropout, share_fakes=share_fakes,
                              spectral_norm=bool(spectral_norm)))
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.image_shape = (channels, image_size, image_size)
        in_dim = latent_dim + embed_dim
        # DCGAN bodies; the discriminator's features stop before its last layer, where the
        # projection head takes over (so the example's final 4x4 convolution is left out).
        if image_size == 28:
            body = tutorial_generator(in_dim, channels, base_channels, slope=0.3)
            convs, depth = tutorial_convs(channels, d_channels, slope=0.3, dropout=partial(FastDropout, dropout))
            side = 7
        else:
            body = example_generator(image_size, in_dim, channels, base_channels)
            convs, depth = example_convs(image_size, channels, d_channels, norm=nn.BatchNorm2d,
                                         dropout=partial(FastDropout, dropout) if dropout else None)
            side = 4
        features = nn.Sequential(*convs, FlattenHWC())
        self.generator = ConditionalGenerator(body, num_classes, embed_dim)
        self.discriminator = ProjectionDiscriminator(features, depth * side * side, num_classes)
        self.apply(init_like_tensorflow if image_size == 28 else init_like_dcgan_paper)
        # A quiet label at first (Glorot-uniform rows, std ~0.18 against z's 1): with N(0, 1)
        # rows the generator learned to ignore z and drew one image per class (recall 0 after 10
        # epochs on Fashion-MNIST; docs/families/cgan.md has the measurements).
        nn.init.xavier_uniform_(self.generator.embed.weight)
        if spectral_norm:  # after init: the parametrisation divides the initialised weights
            for module in self.discriminator.modules():
                if isinstance(module, (nn.Conv2d, nn.Linear, nn.Embedding)):
                    torch.nn.utils.parametrizations.spectral_norm(module)
        # Without batch statistics a sample's score does not depend on its batch, so real and
        # fake images can share one discriminator pass.
        self._joint_d_pass = not has_batch_norm(self.discriminator)
        self.share_fakes = share_fakes
        self._shared = SharedFakes()

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        images: Tensor = self.generator(z, labels)
        return images

    def discriminate(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        """One fp32 logit per (image, label): under autocast the losses are computed in fp32."""
        scores: Tensor = self.discriminator(images, labels)
        return scores.view(-1).float()

    def d_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """The base class's discriminator loss (fakes get the real batch's labels), in fewer passes."""
        real = batch["image"]
        labels = self._labels(batch)
        labels = _check_labels(labels, real.shape[0], self.num_classes).to(real.device)
        z = self.sample_latent(labels.shape[0])
        # Kept with its graph for the generator step, which may reuse it for the same labels.
        fake = self._shared.make(self.generator, lambda: self.generate(z, labels), share=self.share_fakes,
                                 key=(labels,))
        real_in, fake_in = objective.noisy(real), objective.noisy(fake.to(real.dtype))
        if self._joint_d_pass:
            both_labels = torch.cat([labels, labels])
            real_logits, fake_logits = score_together(lambda x: self.discriminate(x, both_labels), real_in, fake_in)
        else:
            real_logits, fake_logits = self.discriminate(real_in, labels), self.discriminate(fake_in, labels)
        critic = lambda x: self.discriminate(x, labels)  # noqa: E731
        return discriminator_objective(objective, critic, real_in, fake_in, real_logits, fake_logits)

    def g_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """The generator's loss for the batch's labels, on the shared fakes when they are still valid."""
        n = batch["image"].shape[0]
        labels = _check_labels(self._labels(batch), n, self.num_classes).to(batch["image"].device)
        fake = self._shared.take(self.generator, key=(labels,))
        if fake is None:
            fake = self.generate(self.sample_latent(n), labels)
        loss = generator_adversarial(objective, lambda x: self.discriminate(x, labels), fake, batch["image"])
        return loss, {"g_loss": loss.detach().float().item()}
