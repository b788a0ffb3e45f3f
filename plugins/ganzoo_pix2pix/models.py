"""pix2pix (Isola, Zhu, Zhou & Efros 2017): paired image-to-image translation with a conditional GAN.

The generator is a U-Net that maps an input image (an edge map, a label map ...) to an output
image; the discriminator is a PatchGAN that scores (input, output) pairs patch by patch. The
generator's loss is the conditional GAN loss plus ``l1_weight`` (lambda, 100 in the paper)
times the L1 distance to the true output. See :mod:`ganzoo_pix2pix.networks` for the depth and
receptive-field rules that let one family serve 28x28 and 256x256 images.

**Dropout and determinism.** The paper keeps dropout on at test time as the only source of
noise, and notes that the outputs vary only a little. ganzoo translates in eval mode: dropout
off and batch norm on its running statistics, so an output depends on its own input alone --
the same image always gives the same translation, whatever the seed or the rest of the batch.

**One generator pass per step.** As in the authors' code, the generator step reuses the fakes
the discriminator step made from the same batch (same dropout masks), so each training step
runs the U-Net forward once; ``share_fakes=False`` runs it again for the generator step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from ganzoo.plugin import (
    ImageToImageGAN,
    Logs,
    Objective,
    SharedFakes,
    UsageError,
    discriminator_objective,
    generator_adversarial,
)
from ganzoo.plugin_blocks import init_like_dcgan_paper
from ganzoo_pix2pix.networks import (
    NORMS,
    PATCH_SIZES,
    UNetGenerator,
    level_sizes,
    patch_discriminator,
    patch_layers,
    patch_map_size,
    unet_depth,
)

MIN_SIZE = 16


def _positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UsageError(f"pix2pix option {name} must be an integer >= {minimum}, got {value!r}")
    return value


class Pix2Pix(ImageToImageGAN):
    """U-Net generator and PatchGAN discriminator for paired translation from domain A to domain B.

    Batches hold ``source`` (the input, domain A) and ``image`` (its true output, domain B).

    Args:
        image_size: side of the square images (16 or more; the paper's is 256).
        in_channels: channels of the input images (3 for facades' label maps, 1 for edges).
        channels: channels of the output images.
        base_channels: width of the generator's first layer (ngf, 64 in the paper); the widths
            double per level up to 8x.
        depth: levels of the U-Net; default: halve down to a 1x1 bottleneck, at most 8 times
            (28 -> 4 levels, 32 -> 5, 256 -> 8 as in the paper).
        d_channels: width of the discriminator's first layer (ndf); default ``base_channels``.
        d_layers: stride-2 layers of the PatchGAN: 1, 2, 3 judge 16x16, 34x34, 70x70 patches;
            default 70x70 from 128 pixels up, 34x34 from 64, 16x16 below.
        norm: ``"batch"`` (the paper), ``"instance"`` or ``"none"``, in both networks.
        dropout: dropout probability of the deepest decoder blocks (0.5 in the paper; 0 = off).
        l1_weight: lambda, the weight of the L1 term in the generator's loss (100 in the paper).
        domains: human names of the input and output domains, ``{"a": ..., "b": ...}``.
        share_fakes: the generator step reuses the discriminator step's fakes of the same batch.

    >>> gan = Pix2Pix(image_size=28, in_channels=1, channels=1, base_channels=32)   # doctest: +SKIP
    >>> garments = gan.translate(edge_maps)                                          # doctest: +SKIP
    """

    def __init__(self, image_size: int = 256, in_channels: int = 3, channels: int = 3, base_channels: int = 64,
                 depth: int | None = None, d_channels: int | None = None, d_layers: int | None = None,
                 norm: str = "batch", dropout: float = 0.5, l1_weight: float = 100.0,
                 domains: Mapping[str, str] | None = None, share_fakes: bool = True) -> None:
        image_size = _positive_int("image_size", image_size, MIN_SIZE)
        in_channels = _positive_int("in_channels", in_channels)
        channels = _positive_int("channels", channels)
        base_channels = _positive_int("base_channels", base_channels)
        depth = _positive_int("depth", unet_depth(image_size) if depth is None else depth, 2)
        if level_sizes(image_size, depth)[-1] < 1:
            raise UsageError(f"a {depth}-level U-Net halves {image_size}x{image_size} images below 1x1; "
                             f"use depth={unet_depth(image_size)} or less")
        d_channels = _positive_int("d_channels", base_channels if d_channels is None else d_channels)
        d_layers = _positive_int("d_layers", patch_layers(image_size) if d_layers is None else d_layers)
        if patch_map_size(image_size, d_layers) < 1:
            raise UsageError(f"a PatchGAN with d_layers={d_layers} is too deep for {image_size}x{image_size} "
                             f"images; use d_layers={patch_layers(image_size)}")
        if norm not in NORMS:
            raise UsageError(f"pix2pix option norm must be one of {', '.join(NORMS)}, got {norm!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise UsageError(f"pix2pix option dropout must be a number in [0, 1), got {dropout!r}")
        if isinstance(l1_weight, bool) or not isinstance(l1_weight, (int, float)) or not l1_weight >= 0:
            raise UsageError(f"pix2pix option l1_weight must be a number >= 0, got {l1_weight!r}")
        domains = self.domain_names("pix2pix", domains, default={"a": "input", "b": "output"})
        super().__init__(dict(image_size=image_size, in_channels=in_channels, channels=channels,
                              base_channels=base_channels, depth=depth, d_channels=d_channels, d_layers=d_layers,
                              norm=norm, dropout=float(dropout), l1_weight=float(l1_weight), domains=domains,
                              share_fakes=bool(share_fakes)))
        self.image_shape = (channels, image_size, image_size)
        self.input_shape = (in_channels, image_size, image_size)
        self.domains = domains
        self.latent_dim = 0
        self.l1_weight = float(l1_weight)
        self.patch_size = PATCH_SIZES.get(d_layers)
        self.generator = UNetGenerator(in_channels, channels, image_size, base_channels, depth, norm, float(dropout))
        self.discriminator = patch_discriminator(in_channels + channels, d_channels, d_layers, norm)
        self.apply(init_like_dcgan_paper)  # the paper's N(0, 0.02) weights, as in the authors' code
        self.share_fakes = bool(share_fakes)
        self._shared = SharedFakes()

    # -- translation -------------------------------------------------------------------------------
    def _translate(self, inputs: Tensor, direction: str) -> Tensor:
        """The U-Net's output. ``translate`` runs it in eval mode, so it is deterministic (module docstring)."""
        outputs: Tensor = self.generator(inputs)
        return outputs

    def discriminate(self, images: Tensor, labels: Tensor | None = None, *, source: Tensor | None = None) -> Tensor:
        """The mean patch score of each (``source``, ``images``) pair, shape ``[N]``."""
        if source is None:
            raise UsageError("pix2pix's discriminator judges (input, output) pairs; pass source=INPUTS")
        return self._patch_scores(source, images).mean(dim=1)

    def _patch_scores(self, source: Tensor, images: Tensor) -> Tensor:
        """Every patch score of each pair, ``[N, P]``, in fp32 so losses under autocast are fp32 too."""
        scores: Tensor = self.discriminator(torch.cat([source, images.to(source.dtype)], dim=1))
        return scores.flatten(1).float()

    # -- losses ------------------------------------------------------------------------------------
    @staticmethod
    def _pair(batch: Mapping[str, Tensor]) -> tuple[Tensor, Tensor]:
        if "source" not in batch:
            raise UsageError("pix2pix trains on paired data whose items hold a 'source' image; use a paired "
                             "dataset such as edges2fashion or paired-folder")
        return batch["source"], batch["image"]

    def d_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """The PatchGAN's loss: real pairs (input, truth) against fake pairs (input, G(input)).

        Every patch score counts as one logit. Regularisers see the critic ``x -> mean patch
        score of (input, x)``, so a gradient penalty constrains each image's own gradient.
        The paper halves this loss; under Adam a constant factor changes nothing, so it is left out.
        """
        source, real = self._pair(batch)
        # Kept with its graph for g_loss on this same batch, as in the authors' code.
        fake = self._shared.make(self.generator, lambda: self.generator(source), share=self.share_fakes, key=(source,))
        real_in, fake_in = objective.noisy(real), objective.noisy(fake.to(real.dtype))
        real_logits = self._patch_scores(source, real_in)
        fake_logits = self._patch_scores(source, fake_in)
        critic = lambda x: self._patch_scores(source, x).mean(dim=1)  # noqa: E731
        return discriminator_objective(objective, critic, real_in, fake_in, real_logits, fake_logits)

    def g_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """Fool the PatchGAN and stay close to the truth: adversarial + ``l1_weight`` * L1."""
        source, real = self._pair(batch)
        fake = self._shared.take(self.generator, key=(source,))
        if fake is None:
            fake = self.generator(source)
        adversarial = generator_adversarial(objective, lambda x: self._patch_scores(source, x), fake, real)
        l1 = (fake.float() - real.float()).abs().mean()
        loss = adversarial + self.l1_weight * l1
        return loss, {"g_adv": adversarial.detach().float().item(), "g_l1": l1.detach().item(),
                      "g_loss": loss.detach().float().item()}
