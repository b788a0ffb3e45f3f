"""The training engine's check: every GAN architecture trains two steps with it."""

from __future__ import annotations

import math

from ganzoo.testing.framework import GAN_TASKS, CheckContext, ConformanceError, conformance_check


@conformance_check("architectures", "trains-two-steps", tasks=GAN_TASKS)
def trains_two_steps(ctx: CheckContext) -> None:
    """Two engine steps on a random batch give finite losses and change both players' weights."""
    import torch

    from ganzoo.train.optim import parameter_groups
    from ganzoo.train.steps import train_steps

    model = ctx.build()
    batch = ctx.batch(model, 4)
    before = {name: [p.detach().clone() for p in params] for name, params in parameter_groups(model).items()}
    history = train_steps(model, batch, steps=2, objective=ctx.objective())
    if len(history) != 2:
        raise ConformanceError(f"train_steps ran {len(history)} steps instead of 2")
    for step, logs in enumerate(history, 1):
        bad = {k: v for k, v in logs.items() if not math.isfinite(v)}
        if bad:
            raise ConformanceError(f"step {step} logged non-finite values: {bad}")
    for name, params in parameter_groups(model).items():
        if all(torch.equal(a, b.detach()) for a, b in zip(before[name], params)):
            raise ConformanceError(f"two training steps left every {name} parameter unchanged")
        if not all(bool(torch.isfinite(p).all()) for p in params):
            raise ConformanceError(f"two training steps made {name} parameters non-finite")
    if not all(p.requires_grad for params in parameter_groups(model).values() for p in params):
        raise ConformanceError("train_steps must leave every parameter trainable (requires_grad) afterwards")
