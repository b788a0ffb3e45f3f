"""The family contract: the base class every GAN family builds on, and model construction.

A family's registered factory returns a :class:`GAN`: one ``nn.Module`` that owns its
``generator`` and ``discriminator`` and knows its own losses (``d_loss``/``g_loss``), so the
training engine can train any family without knowing it. Unconditional and class-conditional
families only implement ``generate`` and ``discriminate``; image-to-image families override
``d_loss``/``g_loss``/``sample`` too.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable, ClassVar

import torch
from torch import Tensor, nn

from ganzoo.errors import PluginError, UsageError
from ganzoo.losses import Objective
from ganzoo.registry import get_registry

TASKS = ("unconditional", "class-conditional", "image-to-image", "style-transfer")

Logs = dict[str, float]


class GAN(nn.Module):
    """Base class of the GAN families.

    Subclasses call ``super().__init__(config)`` with the keyword arguments that rebuild them
    (they end up in checkpoints' ``config.json``), set ``generator``, ``discriminator``,
    ``latent_dim``, ``image_shape`` (C, H, W) and, for class-conditional models,
    ``num_classes``; then implement :meth:`generate` and :meth:`discriminate`.
    """

    task: ClassVar[str] = "unconditional"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self.config: dict[str, Any] = dict(config)
        self.latent_dim: int = 0
        self.num_classes: int = 0
        self.image_shape: tuple[int, int, int] = (0, 0, 0)

    # -- what a family implements --------------------------------------------------------------
    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """Images in [-1, 1] from latents ``z`` (and ``labels`` when class-conditional)."""
        raise NotImplementedError

    def discriminate(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        """One logit (or critic score) per image, shape ``[N]``."""
        raise NotImplementedError

    # -- shared behaviour ----------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def sample_latent(self, n: int, *, generator: torch.Generator | None = None,
                      device: torch.device | str | None = None) -> Tensor:
        """Standard-normal latents; pass a seeded ``torch.Generator`` for reproducibility."""
        device = device or self.device
        return torch.randn(n, self.latent_dim, generator=generator, device="cpu").to(device)

    def random_labels(self, n: int, *, generator: torch.Generator | None = None) -> Tensor | None:
        if not self.num_classes:
            return None
        return torch.randint(0, self.num_classes, (n,), generator=generator).to(self.device)

    def _labels(self, batch: dict[str, Tensor]) -> Tensor | None:
        if not self.num_classes:
            return None
        if "label" not in batch:
            raise UsageError("this class-conditional model needs a dataset with labels")
        return batch["label"]

    def d_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """The discriminator's loss on one batch, penalties included, with logs for metrics."""
        real = batch["image"]
        labels = self._labels(batch)
        with torch.no_grad():
            fake = self.generate(self.sample_latent(real.shape[0]), labels)
        real_in, fake_in = objective.noisy(real), objective.noisy(fake)
        real_logits = self.discriminate(real_in, labels)
        fake_logits = self.discriminate(fake_in, labels)
        critic = lambda x: self.discriminate(x, labels)  # noqa: E731
        return discriminator_objective(objective, critic, real_in, fake_in, real_logits, fake_logits)

    def g_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """The generator's loss on one batch (its size and labels come from ``batch``)."""
        n = batch["image"].shape[0]
        labels = self._labels(batch)
        fake = self.generate(self.sample_latent(n), labels)
        real_logits = None
        if objective.g_needs_real:  # relativistic losses; real logits do not depend on G
            with torch.no_grad():
                real_logits = self.discriminate(objective.noisy(batch["image"]), labels)
        loss = objective.g_loss(self.discriminate(objective.noisy(fake), labels), real_logits)
        return loss, {"g_loss": loss.detach().float().item()}

    @torch.no_grad()
    def sample(
        self,
        n: int | None = None,
        *,
        z: Tensor | None = None,
        labels: Tensor | None = None,
        inputs: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """``n`` new images in [-1, 1] (or images from the given ``z``), in eval mode."""
        if inputs is not None:
            raise UsageError(f"{type(self).__name__} is {self.task}; it takes no input images")
        if z is None:
            if n is None:
                raise UsageError("sample() needs n or z")
            z = self.sample_latent(n, generator=generator)
        if self.num_classes and labels is None:
            labels = self.random_labels(z.shape[0], generator=generator)
        was_training = self.training
        self.eval()
        try:
            return self.generate(z.to(self.device), None if labels is None else labels.to(self.device)).clamp(-1, 1)
        finally:
            self.train(was_training)


def discriminator_objective(
    objective: Objective,
    critic: Callable[[Tensor], Tensor],
    real_in: Tensor,
    fake_in: Tensor,
    real_logits: Tensor,
    fake_logits: Tensor,
) -> tuple[Tensor, Logs]:
    """The discriminator's adversarial loss plus penalties, with the logs every family reports.

    Families that compute the logits their own way (one joint pass, say) finish with this, so
    every family logs ``d_adv``, ``d_penalty``, ``d_loss``, ``d_real`` and ``d_fake`` alike.
    Under a loss whose registry entry says what ``E[D(x)] - E[D(G(z))]`` estimates (metadata
    ``estimates``), that gap is logged too: ``wasserstein``, the critic's estimate of the
    Wasserstein distance, under ``--loss wasserstein``.
    """
    loss = objective.d_loss(real_logits, fake_logits)
    logs: Logs = {"d_adv": loss.detach().float().item()}
    penalty = objective.penalty(critic, real_in, fake_in)
    if penalty is not None:
        loss = loss + penalty
        logs["d_penalty"] = penalty.detach().float().item()
    logs["d_loss"] = loss.detach().float().item()
    logs["d_real"] = real_logits.detach().float().mean().item()
    logs["d_fake"] = fake_logits.detach().float().mean().item()
    estimate = estimate_name(type(objective.adversarial))
    if estimate:
        logs[estimate] = logs["d_real"] - logs["d_fake"]
    return loss, logs


@functools.lru_cache(maxsize=64)
def estimate_name(loss_class: type) -> str | None:
    """What ``E[D(x)] - E[D(G(z))]`` estimates under the adversarial loss ``loss_class``, if anything.

    Read from the losses registry (metadata ``estimates`` of the entry whose target is exactly
    this class), so a plugin's loss can declare it too.

    >>> estimate_name(type(create_loss("wasserstein")))   # doctest: +SKIP
    'wasserstein'
    """
    for spec in get_registry("losses"):
        name = spec.metadata.get("estimates")
        if not name or spec.metadata.get("role") != "adversarial":
            continue
        try:
            if spec.load() is loss_class:
                return str(name)
        except PluginError:  # a broken plugin's loss cannot be the one in use
            continue
    return None


def penalty_caveat(model: nn.Module, objective: Objective) -> str | None:
    """A one-line warning when input-gradient penalties meet a discriminator with batch norm.

    Gradient penalty and R1 constrain each image's own gradient ``d D(x_i) / d x_i``. Batch
    norm in training mode makes every score depend on the whole batch, so the penalised
    gradient includes the batch statistics' terms: it still trains, but it is not the
    per-sample constraint the papers analyse (Gulrajani et al. 2017, section 4, drop batch norm
    from the critic for this reason). Returns ``None`` when there is nothing to say.
    """
    if not objective.regularisers:
        return None
    discriminator = getattr(model, "discriminator", None)
    if not isinstance(discriminator, nn.Module):
        return None
    if not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in discriminator.modules()):
        return None
    name = getattr(model, "registry_name", type(model).__name__)
    return (f"ganzoo: note: {name}'s discriminator has batch norm, so the penalty on its input gradients mixes "
            f"the images of a batch instead of constraining each one; it trains, but a critic without batch norm "
            f"(wgan-gp, or dcgan at 28x28) is the setup such penalties were designed for")


def build_model(name: str, **kwargs: Any) -> GAN:
    """Build the registered architecture ``name``; bad keyword arguments are a usage error."""
    spec = get_registry("architectures").get(name)
    factory = spec.load()
    try:
        model = factory(**kwargs)
    except TypeError as exc:
        hint = _misplaced_option_hint(exc, kwargs) or f"see 'ganzoo info {name}'"
        raise UsageError(f"bad options for architecture '{name}': {exc}; {hint}") from exc
    model.registry_name = name  # type: ignore[attr-defined]
    return model


def _misplaced_option_hint(exc: TypeError, kwargs: dict[str, Any]) -> str | None:
    """``--set gp=10``: the unexpected keyword is a regulariser or a training option, not a model option."""
    match = re.search(r"unexpected keyword argument '([^']+)'", str(exc))
    if not match or match.group(1) not in kwargs:
        return None
    key, value = match.group(1), kwargs[match.group(1)]
    losses = get_registry("losses")
    if key in losses:
        role = losses.get(key).metadata.get("role")
        if role == "regulariser":
            return f"'{key}' is a regulariser, not an architecture option: use --reg {key}={value}"
        return f"'{key}' is a loss, not an architecture option: use --loss {key}"
    from ganzoo.train.config import TrainConfig

    field = key.replace("-", "_")
    if field in TrainConfig.field_names():
        return f"'{key}' is a training option, not an architecture option: use --{field.replace('_', '-')} {value}"
    return None
