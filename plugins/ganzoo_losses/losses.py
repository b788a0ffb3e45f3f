"""The adversarial losses and regularisers, all on logits (numerically stable softplus forms)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ganzoo.plugin import AdversarialLoss, Critic, Regulariser


class NonSaturating(AdversarialLoss):
    """D: -log D(x) - log(1 - D(G(z))); G: -log D(G(z)). Accepts soft targets."""

    supports_soft_labels = True

    def d_loss(self, real: Tensor, fake: Tensor, real_target: Tensor | float = 1.0,
               fake_target: Tensor | float = 0.0) -> Tensor:
        if (isinstance(real_target, float) and real_target == 1.0
                and isinstance(fake_target, float) and fake_target == 0.0):
            return F.softplus(-real).mean() + F.softplus(fake).mean()
        real_t = torch.as_tensor(real_target, dtype=real.dtype, device=real.device).expand_as(real)
        fake_t = torch.as_tensor(fake_target, dtype=fake.dtype, device=fake.device).expand_as(fake)
        return (F.binary_cross_entropy_with_logits(real, real_t)
                + F.binary_cross_entropy_with_logits(fake, fake_t))

    def g_loss(self, fake: Tensor, real: Tensor | None = None) -> Tensor:
        return F.softplus(-fake).mean()


class Minimax(NonSaturating):
    """Same discriminator as :class:`NonSaturating`; G minimises log(1 - D(G(z))) = -softplus(l)."""

    def g_loss(self, fake: Tensor, real: Tensor | None = None) -> Tensor:
        return -F.softplus(fake).mean()


class LeastSquares(AdversarialLoss):
    """D: 1/2 (D(x) - 1)^2 + 1/2 D(G(z))^2; G: 1/2 (D(G(z)) - 1)^2 (the 0-1-1 coding)."""

    def d_loss(self, real: Tensor, fake: Tensor, real_target: Tensor | float = 1.0,
               fake_target: Tensor | float = 0.0) -> Tensor:
        return 0.5 * ((real - 1).pow(2).mean() + fake.pow(2).mean())

    def g_loss(self, fake: Tensor, real: Tensor | None = None) -> Tensor:
        return 0.5 * (fake - 1).pow(2).mean()


class Hinge(AdversarialLoss):
    """D: relu(1 - D(x)) + relu(1 + D(G(z))); G: -D(G(z))."""

    def d_loss(self, real: Tensor, fake: Tensor, real_target: Tensor | float = 1.0,
               fake_target: Tensor | float = 0.0) -> Tensor:
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()

    def g_loss(self, fake: Tensor, real: Tensor | None = None) -> Tensor:
        return -fake.mean()


class Wasserstein(AdversarialLoss):
    """Critic: D(G(z)) - D(x) (minimised); G: -D(G(z)). Needs a Lipschitz constraint."""

    estimates = "wasserstein"

    def d_loss(self, real: Tensor, fake: Tensor, real_target: Tensor | float = 1.0,
               fake_target: Tensor | float = 0.0) -> Tensor:
        return fake.mean() - real.mean()

    def g_loss(self, fake: Tensor, real: Tensor | None = None) -> Tensor:
        return -fake.mean()


def _input_gradients(critic: Critic, inputs: Tensor) -> Tensor:
    inputs = inputs.detach().requires_grad_(True)
    scores = critic(inputs)
    (grad,) = torch.autograd.grad(scores.sum(), inputs, create_graph=True)
    return grad.flatten(1)


class GradientPenalty(Regulariser):
    """weight * E[(||grad D(x_hat)||_2 - 1)^2], x_hat uniformly between real and fake."""

    def __init__(self, weight: float = 10.0) -> None:
        self.weight = weight

    def __call__(self, critic: Critic, real: Tensor, fake: Tensor) -> Tensor:
        alpha = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype)
        mixed = alpha * real.detach() + (1 - alpha) * fake.detach()
        norms = _input_gradients(critic, mixed).float().norm(2, dim=1)
        penalty: Tensor = self.weight * (norms - 1).pow(2).mean()
        return penalty


class R1(Regulariser):
    """weight / 2 * E[||grad D(x)||_2^2] on real images only."""

    def __init__(self, weight: float = 10.0) -> None:
        self.weight = weight

    def __call__(self, critic: Critic, real: Tensor, fake: Tensor) -> Tensor:
        grad = _input_gradients(critic, real).float()
        return 0.5 * self.weight * grad.pow(2).sum(dim=1).mean()
