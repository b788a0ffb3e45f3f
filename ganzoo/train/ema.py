"""An exponential moving average of the generator's weights, which usually samples better.

The copy holds parameters *and* buffers (BatchNorm statistics are copied, not averaged). The
decay warms up as ``min(decay, (1 + n) / (10 + n))`` after ``n`` updates, so early in training the
average is not dominated by the random initial weights.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Iterator

import torch
from torch import Tensor, nn


class EMA:
    """``EMA(model.generator, 0.999)``; call :meth:`update` after each generator step."""

    def __init__(self, module: nn.Module, decay: float) -> None:
        self.decay = decay
        self.updates = 0
        self.module = copy.deepcopy(module).eval().requires_grad_(False)

    def current_decay(self) -> float:
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, module: nn.Module) -> None:
        """Move the average towards ``module``'s current weights."""
        decay = self.current_decay()
        ema_params = [p for p in self.module.parameters()]
        live_params = [p.detach() for p in module.parameters()]
        floating = [(e, p) for e, p in zip(ema_params, live_params) if e.is_floating_point()]
        if floating:
            torch._foreach_lerp_([e for e, _ in floating], [p for _, p in floating], 1.0 - decay)
        for ema_buffer, buffer in zip(self.module.buffers(), module.buffers()):
            ema_buffer.copy_(buffer)
        self.updates += 1

    def state_dict(self) -> dict[str, Tensor]:
        return self.module.state_dict()

    def load_state_dict(self, state: dict[str, Tensor], updates: int) -> None:
        self.module.load_state_dict(state, strict=True)
        self.updates = updates

    @contextlib.contextmanager
    def swapped_into(self, gan: nn.Module, attribute: str = "generator") -> Iterator[nn.Module]:
        """Temporarily put the averaged generator into ``gan`` (for sampling)."""
        live = getattr(gan, attribute)
        setattr(gan, attribute, self.module)
        try:
            yield gan
        finally:
            setattr(gan, attribute, live)
