"""The public loss API: adversarial losses, regularisers and the :class:`Objective` they form.

Plugins register concrete losses (see ``plugins/ganzoo_losses``); families call an
:class:`Objective` from their ``d_loss``/``g_loss`` so any registered loss works with any family.
All losses take raw discriminator outputs (logits / critic scores), never probabilities.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import Tensor

from ganzoo.errors import PluginError, UsageError
from ganzoo.plugins import get_registry, plugin_code
from ganzoo.registry import KINDS

if TYPE_CHECKING:
    from ganzoo.nn.augment import AdaptiveP, DiffAugment

Critic = Callable[[Tensor], Tensor]


class AdversarialLoss:
    """A discriminator objective and its generator counterpart, on logits.

    ``real_target``/``fake_target`` carry label smoothing and label noise; only losses with
    :attr:`supports_soft_labels` (the BCE family) accept targets other than 1 and 0.
    """

    supports_soft_labels: bool = False
    #: Relativistic losses compare fake with real logits in the generator step too; families then
    #: pass the real logits to :meth:`g_loss` (see :attr:`Objective.g_needs_real`).
    uses_real_in_g: bool = False
    #: What ``E[D(x)] - E[D(G(z))]`` estimates under this loss, logged under that name during
    #: training (``"wasserstein"``: the critic's estimate of the Wasserstein-1 distance).
    estimates: ClassVar[str | None] = None

    def d_loss(self, real: Tensor, fake: Tensor, real_target: Tensor | float = 1.0,
               fake_target: Tensor | float = 0.0) -> Tensor:
        """The discriminator's loss on real and fake logits (lower is better for D)."""
        raise NotImplementedError

    def g_loss(self, fake: Tensor, real: Tensor | None = None) -> Tensor:
        """The generator's loss on fake logits; ``real`` is given only when :attr:`uses_real_in_g`."""
        raise NotImplementedError


class Regulariser:
    """A penalty on the discriminator, added to its loss (gradient penalty, R1 ...)."""

    def __call__(self, critic: Critic, real: Tensor, fake: Tensor) -> Tensor:
        raise NotImplementedError


def _full_precision(logits: Tensor) -> Tensor:
    """Losses of bf16/fp16 logits are computed in fp32 (bf16 softplus rounds to ~3 digits)."""
    return logits.float() if logits.dtype in (torch.bfloat16, torch.float16) else logits


@dataclass
class Objective:
    """What a family needs to compute its losses: the adversarial loss, penalties and tricks.

    ``label_smoothing`` is one-sided (real targets become ``1 - s``), ``label_noise`` flips that
    fraction of the discriminator's targets, and ``instance_noise`` adds Gaussian noise of that
    standard deviation to every image the discriminator sees. ``augment`` (a
    :class:`~ganzoo.nn.augment.DiffAugment`) transforms every image the discriminator sees, real
    and fake, in both players' steps; ``adaptive`` tunes its probability from the real scores.
    """

    adversarial: AdversarialLoss
    regularisers: list[Regulariser] = field(default_factory=list)
    label_smoothing: float = 0.0
    label_noise: float = 0.0
    instance_noise: float = 0.0
    augment: "DiffAugment | None" = None
    adaptive: "AdaptiveP | None" = None

    def __post_init__(self) -> None:
        for name, low, high in (("label_smoothing", 0.0, 1.0), ("label_noise", 0.0, 1.0)):
            value = getattr(self, name)
            if not low <= value < high:
                raise UsageError(f"{name} must be in [{low:g}, {high:g}), got {value}")
        if self.instance_noise < 0:
            raise UsageError(
                f"instance_noise is a standard deviation and cannot be negative, got {self.instance_noise}"
            )
        tricks = self.label_smoothing or self.label_noise
        if tricks and not self.adversarial.supports_soft_labels:
            raise UsageError(
                f"label smoothing and label noise need a BCE-type loss, not "
                f"{type(self.adversarial).__name__}; drop them or use --loss non-saturating"
            )

    def noisy(self, images: Tensor) -> Tensor:
        """What the discriminator sees of ``images``: augmented, then with instance noise (each when on)."""
        if self.augment:
            images = self.augment(images)
        if self.instance_noise <= 0:
            return images
        return images + self.instance_noise * torch.randn_like(images)

    def _targets(self, logits: Tensor, value: float) -> Tensor | float:
        if not self.label_noise:
            return value
        flip = torch.rand(logits.shape, device=logits.device) < self.label_noise
        base = torch.full_like(logits, value, dtype=torch.float32)
        return torch.where(flip, 1.0 - base, base)

    def d_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        """The adversarial part of the discriminator loss, with the label tricks applied."""
        real_logits, fake_logits = _full_precision(real_logits), _full_precision(fake_logits)
        if self.adaptive is not None and torch.is_grad_enabled():
            self.adaptive.observe(real_logits)
        real_target = self._targets(real_logits, 1.0 - self.label_smoothing)
        fake_target = self._targets(fake_logits, 0.0)
        with plugin_code(self.adversarial, what="d_loss"):
            if isinstance(real_target, float) and isinstance(fake_target, float) and not self.label_smoothing:
                return self.adversarial.d_loss(real_logits, fake_logits)
            return self.adversarial.d_loss(real_logits, fake_logits, real_target, fake_target)

    @property
    def g_needs_real(self) -> bool:
        """Whether :meth:`g_loss` needs the real images' logits (relativistic losses)."""
        return self.adversarial.uses_real_in_g

    def g_loss(self, fake_logits: Tensor, real_logits: Tensor | None = None) -> Tensor:
        """The generator's adversarial loss; pass ``real_logits`` when :attr:`g_needs_real`."""
        fake_logits = _full_precision(fake_logits)
        real_logits = None if real_logits is None else _full_precision(real_logits)
        if not self.adversarial.uses_real_in_g:
            with plugin_code(self.adversarial, what="g_loss"):
                return self.adversarial.g_loss(fake_logits)
        if real_logits is None:
            raise UsageError(
                f"{type(self.adversarial).__name__} needs the real images' logits in the generator "
                f"step and this family does not pass them; choose another --loss"
            )
        with plugin_code(self.adversarial, what="g_loss"):
            return self.adversarial.g_loss(fake_logits, real_logits)

    def penalty(self, critic: Critic, real: Tensor, fake: Tensor) -> Tensor | None:
        """Sum of all regularisers, or ``None`` when there are none."""
        if not self.regularisers:
            return None
        total = real.new_zeros(())
        for reg in self.regularisers:
            with plugin_code(reg, what="the regulariser"):
                total = total + reg(critic, real, fake)
        return total


def _loss_class(kind: str, name: str) -> type:
    """The class registered as ``name`` in ``kind`` (losses or regularisers), checked for its base."""
    spec = get_registry(kind).get(name)
    target = spec.load()
    base = AdversarialLoss if kind == "losses" else Regulariser
    if not (isinstance(target, type) and issubclass(target, base)):
        what = "a function" if callable(target) and not isinstance(target, type) else (
            f"class {target.__name__}" if isinstance(target, type) else f"a {type(target).__name__}")
        raise PluginError(
            f"plugin '{spec.plugin}' registered {KINDS[kind]} "
            f"'{spec.name}' as '{spec.target}', which is {what}, not a subclass of "
            f"ganzoo.plugin.{base.__name__}; fix or update that plugin"
        )
    return target


def _build(kind: str, name: str, **kwargs: Any) -> Any:
    cls = _loss_class(kind, name)
    noun = "loss" if kind == "losses" else "regulariser"
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise UsageError(f"bad options for {noun} '{name}': {exc}") from exc


def create_regulariser(name: str, weight: float | None = None) -> Regulariser:
    """Build the registered regulariser ``name`` (``weight=None``: its ``default_weight``)."""
    spec = get_registry("regularisers").get(name)
    if weight is None:
        weight = float(spec.metadata.get("default_weight", 1.0))
    return _build("regularisers", spec.name, weight=float(weight))  # type: ignore[no-any-return]


def create_loss(name: str, **kwargs: Any) -> AdversarialLoss | Regulariser:
    """Build the registered adversarial loss ``name`` (or, for older callers, regulariser).

    >>> create_loss("hinge")                          # doctest: +SKIP
    >>> create_loss("gradient-penalty", weight=10.0)  # doctest: +SKIP
    """
    if name not in get_registry("losses") and name in get_registry("regularisers"):
        return _build("regularisers", name, **kwargs)  # type: ignore[no-any-return]
    return _build("losses", name, **kwargs)  # type: ignore[no-any-return]


def check_loss_name(name: str) -> str:
    """The real name of adversarial loss ``name``; a regulariser's name says to use ``--reg``."""
    losses = get_registry("losses")
    if name not in losses and name in get_registry("regularisers"):
        raise UsageError(f"'{name}' is a regulariser, not an adversarial loss; pass it with --reg")
    return losses.get(name).name


def check_regulariser_name(name: str) -> str:
    """The real name of regulariser ``name`` (aliases resolved); a loss's name says to use ``--loss``."""
    regs = get_registry("regularisers")
    if name not in regs and name in get_registry("losses"):
        raise UsageError(f"'{name}' is an adversarial loss, not a regulariser; pass it with --loss")
    return regs.get(name).name


def default_weight(name: str) -> float:
    """The weight ``--reg NAME`` (without ``=W``) gives regulariser ``name``."""
    return float(get_registry("regularisers").get(name).metadata.get("default_weight", 1.0))


def build_objective(
    loss: str = "non-saturating",
    regularisers: Mapping[str, float] | None = None,
    *,
    label_smoothing: float = 0.0,
    label_noise: float = 0.0,
    instance_noise: float = 0.0,
) -> Objective:
    """An :class:`Objective` from registry names; ``regularisers`` maps name to weight.

    >>> build_objective("wasserstein", {"gradient-penalty": 10.0})   # doctest: +SKIP
    """
    adversarial: AdversarialLoss = _build("losses", check_loss_name(loss))
    regs: list[Regulariser] = [_build("regularisers", check_regulariser_name(name), weight=float(weight))
                               for name, weight in (regularisers or {}).items()]
    return Objective(
        adversarial,
        regs,
        label_smoothing=label_smoothing,
        label_noise=label_noise,
        instance_noise=instance_noise,
    )
