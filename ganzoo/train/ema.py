"""An exponential moving average of the generator's weights, which usually samples better.

The copy holds parameters *and* buffers. Batch-norm statistics cannot be averaged like weights:
the live generator's running means describe the live weights' activations, not the averaged
ones'. So the statistics are copied at each update and, before the average is used (a sample
grid, an evaluation, a checkpoint), re-estimated for the averaged weights by
:func:`standing_statistics` ("standing statistics", as StudioGAN calls them): forward passes in
training mode over freshly drawn latents, with a cumulative average instead of a momentum.
The decay warms up as ``min(decay, (1 + n) / (10 + n))`` after ``n`` updates, so early in
training the average is not dominated by the random initial weights.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

if TYPE_CHECKING:
    from ganzoo.models import GAN

#: Forward passes, and images in each, that re-estimate the averaged generator's batch norms.
STANDING_BATCHES = 32
STANDING_BATCH_SIZE = 64


class EMA:
    """``EMA(model.sampling_module(), 0.999)``; call :meth:`update` after each generator step.

    The averaged module is whatever :func:`ganzoo.models.sampling_module` returns: the generator,
    or the generator with every other part ``generate`` reads (a class embedding kept beside it).
    """

    def __init__(self, module: nn.Module, decay: float) -> None:
        self.decay = decay
        self.updates = 0
        self.module = copy.deepcopy(module).eval().requires_grad_(False)
        self._fresh_at = -1  # the update count at which the statistics were last re-estimated

    def current_decay(self) -> float:
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, module: nn.Module) -> None:
        """Move the average towards ``module``'s current weights."""
        decay = self.current_decay()
        ema_params = list(self.module.parameters())
        live_params = [p.detach() for p in module.parameters()]
        floating = [(e, p) for e, p in zip(ema_params, live_params) if e.is_floating_point()]
        if floating:
            torch._foreach_lerp_([e for e, _ in floating], [p for _, p in floating], 1.0 - decay)
        for ema_buffer, buffer in zip(self.module.buffers(), module.buffers()):
            ema_buffer.copy_(buffer)
        self.updates += 1
        self._fresh_at = -1

    def refresh_statistics(self, gan: GAN, *, batches: int = STANDING_BATCHES,
                           batch_size: int = STANDING_BATCH_SIZE, seed: int = 0) -> bool:
        """Re-estimate the averaged generator's batch-norm statistics, once per weight update.

        Returns whether anything changed (``False`` without batch norm or when already fresh).
        """
        if self._fresh_at == self.updates:
            return False
        changed = standing_statistics(gan, self.module, batches=batches, batch_size=batch_size, seed=seed)
        self._fresh_at = self.updates
        return changed

    def state_dict(self) -> dict[str, Tensor]:
        return self.module.state_dict()

    def load_state_dict(self, state: dict[str, Tensor], updates: int) -> None:
        self.module.load_state_dict(state, strict=True)
        self.updates = updates
        self._fresh_at = -1

    @contextlib.contextmanager
    def swapped_into(self, gan: nn.Module) -> Iterator[nn.Module]:
        """Temporarily put the averaged weights into ``gan`` (for sampling): every declared sampling part."""
        from ganzoo.models import sampling_swapped

        with sampling_swapped(gan, self.module):
            yield gan


@torch.no_grad()
def standing_statistics(gan: GAN, generator: nn.Module, *, batches: int = STANDING_BATCHES,
                        batch_size: int = STANDING_BATCH_SIZE, seed: int = 0) -> bool:
    """Replace ``generator``'s batch-norm running statistics with ones measured on its own fakes.

    ``generator`` (the averaged copy, say) is put into ``gan`` for ``batches`` forward passes of
    ``batch_size`` latents (and random labels for class-conditional models) in training mode,
    with every batch norm averaging cumulatively (momentum ``None``); then it goes back to eval
    mode. Latents come from a ``torch.Generator`` seeded with ``seed``, so the result is
    deterministic per seed and the training run's random streams are untouched. Only batch-norm
    buffers change. Returns ``False`` (and does nothing) when ``generator`` has no batch norm.

    >>> standing_statistics(gan, ema.module, seed=0)   # doctest: +SKIP
    """
    norms = [m for m in generator.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
             and m.track_running_stats]
    if not norms:
        return False
    momenta: list[Any] = [m.momentum for m in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None
    from ganzoo.models import sampling_swapped

    source = torch.Generator().manual_seed(int(seed))
    was_training = generator.training
    generator.train()
    try:
        device = next(generator.parameters()).device
        with sampling_swapped(gan, generator):
            for _ in range(batches):
                z = gan.sample_latent(batch_size, generator=source, device=device)
                labels = gan.random_labels(batch_size, generator=source)
                gan.generate(z, labels)
    finally:
        generator.train(was_training)
        for norm, momentum in zip(norms, momenta):
            norm.momentum = momentum
    return True
