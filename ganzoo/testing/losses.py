"""Checks on every registered adversarial loss and regulariser (``--loss`` / ``--reg``)."""

from __future__ import annotations

from typing import Any

from ganzoo.testing.framework import CheckContext, conformance_check
from ganzoo.testing.framework import expect as _expect


def _instance(ctx: CheckContext, **kwargs: Any) -> Any:
    """The entry built through the same path as training, which checks its class."""
    from ganzoo.losses import create_loss, create_regulariser

    if ctx.kind == "regularisers":
        return create_regulariser(ctx.name, **kwargs)
    return create_loss(ctx.name, **kwargs)


@conformance_check("losses", "computes")
def _loss_computes(ctx: CheckContext) -> None:
    """Finite scalar losses on logits, with gradients to the real and fake logits."""
    import torch

    loss = _instance(ctx)
    real = torch.tensor([1.5, -0.5, 0.3], requires_grad=True)
    fake = torch.tensor([-1.0, 0.7, -0.2], requires_grad=True)
    d = loss.d_loss(real, fake)
    g = loss.g_loss(fake, real.detach()) if loss.uses_real_in_g else loss.g_loss(fake)
    for which, value in (("d_loss", d), ("g_loss", g)):
        _expect(value.dim() == 0 and bool(torch.isfinite(value)), f"{which} must be a finite scalar")
    d.backward()
    _expect(real.grad is not None and fake.grad is not None, "d_loss must depend on real and fake logits")
    fake.grad = None
    g.backward()
    _expect(fake.grad is not None and bool(fake.grad.abs().sum() > 0), "g_loss must depend on the fake logits")
    if loss.supports_soft_labels:
        soft = loss.d_loss(real.detach(), fake.detach(), 0.9, 0.1)
        _expect(bool(torch.isfinite(soft)), "d_loss with soft targets must be finite")
    estimates = getattr(type(loss), "estimates", None)
    _expect(estimates is None or (isinstance(estimates, str) and bool(estimates)),
            f"estimates must be None or a log name, got {estimates!r}")


@conformance_check("regularisers", "computes")
def _regulariser_computes(ctx: CheckContext) -> None:
    """A finite, non-negative penalty on a linear critic, with gradients to the critic's weights."""
    import torch

    reg = _instance(ctx, weight=2.0)
    weight = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    real = torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]])
    fake = torch.tensor([[0.0, 1.0, 0.0], [-0.5, 0.2, 0.1]])
    penalty = reg(lambda x: x.flatten(1) @ weight, real, fake)
    _expect(penalty.dim() == 0 and bool(torch.isfinite(penalty)), "the penalty must be a finite scalar")
    _expect(float(penalty.detach()) >= 0, f"a penalty should not be negative, got {float(penalty.detach())}")
    penalty.backward()
    _expect(weight.grad is not None and bool(torch.isfinite(weight.grad).all()),
            "the penalty gives no gradient to the critic's parameters (create_graph=True?)")


@conformance_check("losses", "builds-objective")
def _loss_builds_objective(ctx: CheckContext) -> None:
    """The loss works by name through ``build_objective`` (``--loss``)."""
    import torch

    from ganzoo.losses import build_objective

    objective = build_objective(ctx.name)
    real, fake = torch.tensor([0.2, -0.4]), torch.tensor([-0.3, 0.9])
    g = objective.g_loss(fake, real if objective.g_needs_real else None)
    _expect(bool(torch.isfinite(objective.d_loss(real, fake))) and bool(torch.isfinite(g)),
            "the objective built from this loss gives non-finite values")


@conformance_check("regularisers", "builds-objective")
def _regulariser_builds_objective(ctx: CheckContext) -> None:
    """The regulariser works by name through ``build_objective`` (``--reg``)."""
    from ganzoo.losses import build_objective

    objective = build_objective("wasserstein", {ctx.name: 1.0})
    _expect(len(objective.regularisers) == 1, "build_objective lost the regulariser")
