"""CycleGAN (Zhu, Park, Isola & Efros 2017): unpaired translation between two image domains.

Two ResNet generators (A->B and B->A) and two PatchGAN discriminators (one per domain) are
trained together. Besides the adversarial loss each way, a translated image translated back
must match the original (cycle consistency, weight ``cycle_weight``), and a generator fed an
image of its own output domain should leave it alone (identity, weight ``identity_weight``).
The discriminators see fakes drawn from a history pool of past outputs (:mod:`ganzoo_cyclegan.pool`).

Layouts follow the paper's appendix: the generator is c7s1-k, d2k, d4k, n residual blocks, u2k,
uk, c7s1-C with instance norm and reflection padding; the discriminator is C64-C128-C256-C512
with 4x4 convolutions, the first without norm, LeakyReLU(0.2), and a 1-channel map of patch
scores. Convolutions followed by a non-affine instance norm carry no bias: the norm subtracts
the mean, so a bias there would change nothing. Reflection padding runs in the activations' dtype
under bf16 autocast (autocast would round-trip it through fp32), and the discriminator step's
translations are kept for the generator step (``share_fakes``), as the reference training loop
computes them once per step. Differences from the reference code are listed
in ``docs/families/cyclegan.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.plugin import (
    ImageToImageGAN,
    Logs,
    Objective,
    SharedFakes,
    UsageError,
    discriminator_objective,
    generator_adversarial,
    score_together,
)
from ganzoo.plugin_blocks import ReflectionPad2d, init_like_dcgan_paper
from ganzoo_cyclegan.pool import ImagePool

DIRECTIONS = ("a2b", "b2a")
#: Logs of :func:`ganzoo.models.discriminator_objective` that add up over the two discriminators.
_SUMMED_LOGS = frozenset({"d_adv", "d_penalty", "d_loss"})


def _norm(channels: int) -> nn.Module:
    return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with reflection padding and instance norm, added to the input."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=False), _norm(channels), nn.ReLU(True),
            ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=False), _norm(channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        residual: Tensor = self.body(x)
        return x + residual


def resnet_generator(channels: int, width: int, n_blocks: int, n_downsample: int) -> nn.Sequential:
    """The paper's ResNet generator: c7s1-k, ``n_downsample`` stride-2 convs, residual blocks, back up."""
    layers: list[nn.Module] = [ReflectionPad2d(3), nn.Conv2d(channels, width, 7, bias=False), _norm(width),
                               nn.ReLU(True)]
    for i in range(n_downsample):
        w = width * 2**i
        layers += [nn.Conv2d(w, 2 * w, 3, stride=2, padding=1, bias=False), _norm(2 * w), nn.ReLU(True)]
    inner = width * 2**n_downsample
    layers += [ResidualBlock(inner) for _ in range(n_blocks)]
    for i in reversed(range(n_downsample)):
        w = width * 2**i
        layers += [nn.ConvTranspose2d(2 * w, w, 3, stride=2, padding=1, output_padding=1, bias=False),
                   _norm(w), nn.ReLU(True)]
    layers += [ReflectionPad2d(3), nn.Conv2d(width, channels, 7), nn.Tanh()]
    return nn.Sequential(*layers)


def patch_discriminator(channels: int, width: int, n_layers: int) -> nn.Sequential:
    """PatchGAN: ``n_layers`` stride-2 4x4 convs (widths doubling up to 8x), one stride-1 conv, a score map.

    ``n_layers=3`` is the paper's 70x70 PatchGAN; each output scores one overlapping patch.
    """
    layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
    multiple = 1
    for n in range(1, n_layers + 1):
        previous, multiple = multiple, min(2**n, 8)
        stride = 2 if n < n_layers else 1
        layers += [nn.Conv2d(width * previous, width * multiple, 4, stride=stride, padding=1, bias=False),
                   _norm(width * multiple), nn.LeakyReLU(0.2, True)]
    layers += [nn.Conv2d(width * multiple, 1, 4, stride=1, padding=1)]
    return nn.Sequential(*layers)


def patch_map_size(image_size: int, n_layers: int) -> int:
    """Side of the discriminator's score map (each 4x4 conv with padding 1: stride 2 halves, stride 1 takes 1)."""
    size = image_size
    for _ in range(n_layers):
        size = (size + 2 - 4) // 2 + 1
    return size - 2  # the two stride-1 convolutions


def _positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UsageError(f"cyclegan option {name} must be an integer >= {minimum}, got {value!r}")
    return value


def _weight(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise UsageError(f"cyclegan option {name} must be a number >= 0, got {value!r}")
    return float(value)


class CycleGAN(ImageToImageGAN):
    """Two generators and two discriminators for unpaired translation between domains A and B.

    Batches hold ``source`` (domain A) and ``image`` (domain B) images, drawn independently.

    Args:
        image_size: side of the square images (a multiple of ``2**n_downsample``).
        channels: image channels of both domains.
        base_channels: width of the generators' first layer (ngf; 64 in the paper).
        n_blocks: residual blocks per generator; default 9 from 256x256 up, 6 below (the paper's).
        n_downsample: stride-2 convolutions in each generator (2 in the paper: 28 -> 14 -> 7).
        d_channels: width of the discriminators' first layer (ndf; 64 in the paper).
        d_layers: stride-2 layers of the PatchGAN; default 3 (70x70 patches) from 64x64 up, 2 below.
        cycle_weight: lambda of the cycle-consistency L1 terms (10 in the paper).
        identity_weight: weight of the identity L1 terms; default half of ``cycle_weight``
            (the reference code's 0.5 lambda); 0 turns them off, as in the paper's object
            transfiguration experiments.
        pool_size: fakes kept in each discriminator's history pool (50; 0 = no pool).
        share_fakes: the discriminator step translates with the generators' graph kept, and the
            generator step reuses those translations (and the identity outputs computed in the
            same pass), as the reference code does: two generator passes fewer per step.
            ``False`` translates afresh in the generator step.
        domains: human names of the domains, ``{"a": ..., "b": ...}``, for cards and grids.

    >>> gan = CycleGAN(image_size=28, channels=1, base_channels=16, n_blocks=3)   # doctest: +SKIP
    >>> boots = gan.translate(sneakers, "a2b")                                    # doctest: +SKIP
    """

    directions = DIRECTIONS
    generator: nn.ModuleDict  # one generator per direction, "a2b" and "b2a"
    discriminator: nn.ModuleDict  # one discriminator per domain, "a" and "b"
    pools: nn.ModuleDict  # one ImagePool per domain

    def __init__(self, image_size: int = 28, channels: int = 1, base_channels: int = 64, n_blocks: int | None = None,
                 n_downsample: int = 2, d_channels: int = 64, d_layers: int | None = None, cycle_weight: float = 10.0,
                 identity_weight: float | None = None, pool_size: int = 50,
                 domains: Mapping[str, str] | None = None, share_fakes: bool = True) -> None:
        image_size = _positive_int("image_size", image_size)
        channels = _positive_int("channels", channels)
        base_channels = _positive_int("base_channels", base_channels)
        n_blocks = _positive_int("n_blocks", (9 if image_size >= 256 else 6) if n_blocks is None else n_blocks, 0)
        n_downsample = _positive_int("n_downsample", n_downsample, 0)
        d_channels = _positive_int("d_channels", d_channels)
        d_layers = _positive_int("d_layers", (3 if image_size >= 64 else 2) if d_layers is None else d_layers)
        cycle_weight = _weight("cycle_weight", cycle_weight)
        identity_weight = _weight("identity_weight", 0.5 * cycle_weight if identity_weight is None else identity_weight)
        pool_size = _positive_int("pool_size", pool_size, 0)
        domains = self.domain_names("cyclegan", domains, default={"a": "A", "b": "B"},
                                    example='{"a": "Sneaker", "b": "Ankle boot"}')
        if image_size % 2**n_downsample:
            raise UsageError(f"cyclegan's generator halves the image {n_downsample} times, so image_size must be a "
                             f"multiple of {2**n_downsample}, not {image_size}; resize the data or lower n_downsample")
        if patch_map_size(image_size, d_layers) < 1:
            raise UsageError(f"a {d_layers}-layer PatchGAN is too deep for {image_size}x{image_size} images; "
                             f"lower d_layers (2 suits 28x28)")
        super().__init__(dict(image_size=image_size, channels=channels, base_channels=base_channels,
                              n_blocks=n_blocks, n_downsample=n_downsample, d_channels=d_channels, d_layers=d_layers,
                              cycle_weight=cycle_weight, identity_weight=identity_weight, pool_size=pool_size,
                              domains=domains, share_fakes=bool(share_fakes)))
        self.image_shape = (channels, image_size, image_size)
        self.input_shape = self.image_shape
        self.domains = domains
        self.latent_dim = 0
        self.cycle_weight, self.identity_weight = cycle_weight, identity_weight
        self.generator = nn.ModuleDict({d: resnet_generator(channels, base_channels, n_blocks, n_downsample)
                                        for d in DIRECTIONS})
        self.discriminator = nn.ModuleDict({d: patch_discriminator(channels, d_channels, d_layers) for d in "ab"})
        self.apply(init_like_dcgan_paper)  # the reference code's N(0, 0.02), zero biases
        # Pools of fakes per domain (pool "b" holds A->B outputs); buffers, so checkpoints keep them.
        self.pools = nn.ModuleDict({d: ImagePool(pool_size, self.image_shape) for d in "ab"})
        self.share_fakes = bool(share_fakes)
        self._shared = SharedFakes()

    # -- translation -------------------------------------------------------------------------------
    def _translate(self, inputs: Tensor, direction: str) -> Tensor:
        """The ``direction`` generator's output (instance norm: each image on its own, in any mode)."""
        outputs: Tensor = self.generator[direction](inputs)
        return outputs

    def discriminate(self, images: Tensor, labels: Tensor | None = None, domain: str = "b") -> Tensor:
        """The mean patch score of ``domain``'s discriminator for each image, shape ``[N]``."""
        if domain not in ("a", "b"):
            raise UsageError(f"unknown domain {domain!r}; cyclegan has domains 'a' and 'b'")
        return self._scores(domain, images).mean(dim=1)

    def _scores(self, domain: str, images: Tensor) -> Tensor:
        """Every patch score, ``[N, P]``, in fp32 so that losses under autocast are fp32 too."""
        scores: Tensor = self.discriminator[domain](images)
        return scores.flatten(1).float()

    # -- losses ------------------------------------------------------------------------------------
    def d_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """Both discriminators' losses, on real images and on fakes from the history pools.

        Under ``--loss lsgan`` (the family default) each discriminator's loss is already the
        paper's halved one. Instance norm has no batch statistics, so real and fake images
        share one forward pass, and each generator translates its input and the other domain's
        (the identity terms) in one pass too; those outputs are kept for :meth:`g_loss`.
        """
        real = {"a": batch["source"], "b": batch["image"]}
        keep = self._keeps_outputs()
        joined = keep and self.identity_weight > 0  # the identity outputs only when the generator step takes them
        outputs = self._shared.make(self.generator, lambda: self._forward_both(real["a"], real["b"], joined),
                                    share=keep, key=(real["a"], real["b"]))
        fake = dict(zip("ba", self._split_outputs(outputs, real["a"].shape[0], joined)[:2]))
        total: Tensor | None = None
        logs: Logs = {}
        for domain in ("a", "b"):
            fakes = fake[domain].detach()
            if self.training:
                fakes = cast(ImagePool, self.pools[domain]).query(fakes)
            real_in, fake_in = objective.noisy(real[domain]), objective.noisy(fakes.to(real[domain].dtype))
            critic = lambda x, d=domain: self._scores(d, x)  # noqa: E731
            real_scores, fake_scores = score_together(critic, real_in, fake_in)
            loss, part = discriminator_objective(objective, critic, real_in, fake_in, real_scores, fake_scores)
            total = loss if total is None else total + loss
            for key, value in part.items():  # losses add up; scores and estimates are averaged
                share = value if key in _SUMMED_LOGS else value / 2
                logs[key] = logs.get(key, 0.0) + share
            logs[f"d_{domain}"] = part["d_loss"]
        assert total is not None
        return total, logs

    def g_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """Adversarial loss both ways + ``cycle_weight`` * cycle L1 + ``identity_weight`` * identity L1.

        Each generator runs twice on a batch that joins two of its inputs (exact, since instance
        norm works image by image): A->B on [A, B] gives the fakes and the identity images,
        then on the B->A fakes for B's cycle; likewise B->A.
        """
        real_a, real_b = batch["source"], batch["image"]
        n = real_a.shape[0]
        identity = self.identity_weight > 0
        g_ab, g_ba = self.generator["a2b"], self.generator["b2a"]
        outputs = self._shared.take(self.generator, key=(real_a, real_b))
        if outputs is None or outputs.shape[0] != (4 if identity else 2) * n:
            outputs = self._forward_both(real_a, real_b, identity)
        fake_b, fake_a, same_b, same_a = self._split_outputs(outputs, n, identity)
        back_a, back_b = g_ba(fake_b), g_ab(fake_a)
        adversarial = fake_b.new_zeros((), dtype=torch.float32)
        for domain, fakes, reals in (("b", fake_b, real_b), ("a", fake_a, real_a)):
            critic = lambda x, d=domain: self._scores(d, x)  # noqa: E731
            adversarial = adversarial + generator_adversarial(objective, critic, fakes, reals)
        cycle = _l1(back_a, real_a) + _l1(back_b, real_b)
        loss = adversarial + self.cycle_weight * cycle
        logs: Logs = {"g_adv": adversarial.detach().item(), "g_cycle": cycle.detach().item()}
        if identity:
            assert same_a is not None and same_b is not None
            same = _l1(same_a, real_a) + _l1(same_b, real_b)
            loss = loss + self.identity_weight * same
            logs["g_identity"] = same.detach().item()
        logs["g_loss"] = loss.detach().item()
        return loss, logs

    def _keeps_outputs(self) -> bool:
        """True when the discriminator step's translations can serve the generator step (training, with autograd)."""
        return self.share_fakes and self.generator.training and torch.is_grad_enabled()

    def _forward_both(self, real_a: Tensor, real_b: Tensor, joined: bool) -> Tensor:
        """Both generators' outputs in one tensor: ``[fake_b, fake_a]``, or with ``joined``
        ``[fake_b, same_b, fake_a, same_a]`` (each generator on its input and the other domain's)."""
        g_ab, g_ba = self.generator["a2b"], self.generator["b2a"]
        if joined:
            return torch.cat([g_ab(torch.cat([real_a, real_b])), g_ba(torch.cat([real_b, real_a]))])
        return torch.cat([g_ab(real_a), g_ba(real_b)])

    @staticmethod
    def _split_outputs(outputs: Tensor, n: int, joined: bool) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        """``fake_b, fake_a, same_b, same_a`` from :meth:`_forward_both` (the last two ``None`` unless joined)."""
        if joined:
            fake_b, same_b, fake_a, same_a = torch.split(outputs, n)
            return fake_b, fake_a, same_b, same_a
        fake_b, fake_a = torch.split(outputs, n)
        return fake_b, fake_a, None, None


def _l1(output: Tensor, target: Tensor) -> Tensor:
    """Mean absolute error in fp32 (outputs may be bf16 under autocast)."""
    return F.l1_loss(output.float(), target.float())
