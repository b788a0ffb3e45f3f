"""One discriminator update and one generator update: the inner loop, shared by every family.

:class:`StepRunner` knows nothing about epochs, files or ranks; the :class:`~ganzoo.train.trainer.Trainer`
drives it, and :func:`train_steps` uses it bare (``ganzoo.testing`` checks that every architecture
trains with it). The player that is not being updated is frozen (``requires_grad=False``), so
its weight gradients are never computed -- the generator step then costs one discriminator
backward to its input instead of a full one.

    >>> logs = train_steps(ganzoo.create_model("vanilla", hidden=[32, 64]), batch, steps=2)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.devices import Precision, resolve_precision
from ganzoo.losses import Objective, build_objective
from ganzoo.train.distributed import LossDispatch
from ganzoo.train.optim import build_optimizer, parameter_groups

Logs = dict[str, float]


def _set_requires_grad(params: list[nn.Parameter], flag: bool) -> None:
    for param in params:
        param.requires_grad_(flag)


class StepRunner:
    """Runs ``d_step``/``g_step`` on batches with the given optimisers, precision and clipping.

    Args:
        gan: the family's model (a :class:`ganzoo.models.GAN`).
        objective: the adversarial loss, regularisers and tricks.
        optimizers: ``{"generator": opt, "discriminator": opt}``.
        groups: the parameters of each player (see :func:`ganzoo.train.optim.parameter_groups`).
        precision: autocast mode; fp16 on CUDA scales gradients.
        clip_grad: clip each player's gradient norm to this (0 = off).
        wrapped: what the losses are called through: :class:`LossDispatch` or DDP around it.
    """

    def __init__(self, gan: nn.Module, objective: Objective, *, optimizers: Mapping[str, torch.optim.Optimizer],
                 groups: Mapping[str, list[nn.Parameter]], precision: Precision, clip_grad: float = 0.0,
                 wrapped: nn.Module | None = None) -> None:
        self.gan = gan
        self.objective = objective
        self.optimizers = dict(optimizers)
        self.groups = {k: list(v) for k, v in groups.items()}
        self.precision = precision
        self.clip_grad = clip_grad
        self.wrapped = wrapped if wrapped is not None else LossDispatch(gan)
        self.scalers: dict[str, Any] = {}
        if precision.grad_scaling:
            scaler_class = getattr(torch.amp, "GradScaler", None)  # torch < 2.3: torch.cuda.amp's
            make = (lambda: scaler_class("cuda")) if scaler_class else torch.cuda.amp.GradScaler
            self.scalers = {name: make() for name in self.optimizers}

    def _run(self, which: str, batch: dict[str, Any]) -> tuple[Tensor, Logs]:
        player, other = ("discriminator", "generator") if which == "d" else ("generator", "discriminator")
        _set_requires_grad(self.groups[other], False)
        _set_requires_grad(self.groups[player], True)
        with self.precision.autocast():
            loss, logs = self.wrapped(which, batch, self.objective)
        self._update(player, loss)
        key = f"{which}_loss"
        if key not in logs:
            logs = {**logs, key: float(loss.detach().float())}
        return loss, logs

    def _update(self, player: str, loss: Tensor) -> None:
        optimizer = self.optimizers[player]
        optimizer.zero_grad(set_to_none=True)
        scaler = self.scalers.get(player)
        if scaler is None:
            loss.backward()  # type: ignore[no-untyped-call]  # unannotated in torch
            if self.clip_grad:
                torch.nn.utils.clip_grad_norm_(self.groups[player], self.clip_grad)
            optimizer.step()
            return
        scaler.scale(loss).backward()
        if self.clip_grad:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(self.groups[player], self.clip_grad)
        scaler.step(optimizer)
        scaler.update()

    def d_step(self, batch: dict[str, Any]) -> Logs:
        """One discriminator (critic) update on ``batch``; its logs include ``d_loss``."""
        return self._run("d", batch)[1]

    def g_step(self, batch: dict[str, Any]) -> Logs:
        """One generator update (batch size and labels from ``batch``); logs include ``g_loss``."""
        return self._run("g", batch)[1]

    def unfreeze(self) -> None:
        """Give every parameter its gradient back (after training, for the caller's sake)."""
        for params in self.groups.values():
            _set_requires_grad(params, True)

    def scaler_state(self) -> dict[str, Any]:
        return {name: scaler.state_dict() for name, scaler in self.scalers.items()}

    def load_scaler_state(self, state: Mapping[str, Any]) -> None:
        for name, scaler in self.scalers.items():
            if name in state:
                scaler.load_state_dict(state[name])


def train_steps(model: nn.Module, data: Any, steps: int = 2, *, objective: Objective | None = None,
                batch_size: int = 8, seed: int = 0, lr: float = 2e-4, n_critic: int = 1,
                precision: str = "fp32") -> list[Logs]:
    """Train ``model`` in place for ``steps`` steps on the CPU; the merged D/G logs of each step.

    ``data`` is a dataset of item dicts (the first ``batch_size`` items of a seeded shuffle are
    used, then the next ...) or one batch dict reused every step. A smoke test, not a training
    run: no files, no EMA, Adam with DCGAN betas.

    >>> logs = train_steps(model, {"image": torch.rand(8, 1, 28, 28) * 2 - 1}, steps=2)  # doctest: +SKIP
    >>> all(math.isfinite(v) for step in logs for v in step.values())                     # doctest: +SKIP
    """
    from ganzoo.train.batches import BatchStream

    torch.manual_seed(seed)
    device = torch.device("cpu")
    model.to(device).train()
    objective = objective or build_objective()
    groups = parameter_groups(model)
    optimizers = {name: build_optimizer("adam", params, lr=lr, betas=(0.5, 0.999), device=device)
                  for name, params in groups.items()}
    runner = StepRunner(model, objective, optimizers=optimizers, groups=groups,
                        precision=resolve_precision(precision, device))
    if isinstance(data, Mapping):
        next_batch: Callable[[], dict[str, Any]] = lambda: dict(data)  # noqa: E731
    else:
        stream = BatchStream(data, min(batch_size, len(data)), seed=seed, device=device)
        next_batch = lambda: stream.next()[0]  # noqa: E731
    history: list[Logs] = []
    try:
        for _ in range(steps):
            logs: Logs = {}
            for _ in range(n_critic):
                batch = next_batch()
                logs.update(runner.d_step(batch))
            logs.update(runner.g_step(batch))
            history.append(logs)
    finally:
        runner.unfreeze()
    return history
