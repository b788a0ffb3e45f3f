"""The family contract: the base class every GAN family builds on, and model construction.

A family's registered factory returns a :class:`GAN`: one ``nn.Module`` that owns its
``generator`` and ``discriminator`` and knows its own losses (``d_loss``/``g_loss``), so the
training engine can train any family without knowing it. Unconditional and class-conditional
families only implement ``generate`` and ``discriminate``; image-to-image families override
``d_loss``/``g_loss``/``sample`` too.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar

import torch
from torch import Tensor, nn

from ganzoo.errors import UsageError
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
    return loss, logs


def build_model(name: str, **kwargs: Any) -> GAN:
    """Build the registered architecture ``name``; bad keyword arguments are a usage error."""
    spec = get_registry("architectures").get(name)
    factory = spec.load()
    try:
        model = factory(**kwargs)
    except TypeError as exc:
        raise UsageError(f"bad options for architecture '{name}': {exc}; see 'ganzoo info {name}'") from exc
    model.registry_name = name  # type: ignore[attr-defined]
    return model
