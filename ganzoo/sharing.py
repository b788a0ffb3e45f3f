"""One generator forward pass per training step: the discriminator step's fakes, reused by the generator step.

The DCGAN and pix2pix reference training loops make a batch of fakes once per step: the
discriminator judges a detached copy, then the generator's loss scores the same fakes with
their graph. ganzoo's engine calls a family's ``d_loss`` and ``g_loss`` separately, so a family
that wants that saving keeps the fakes in a :class:`SharedFakes` between the two calls. The
maths are the same as drawing fresh fakes from the same latents (or inputs) -- as long as
nothing changed in between, which is what the stamp checks.

    >>> fake = self._shared.make(self.generator, lambda: self.generate(z), share=True, key=(n,))  # doctest: +SKIP
    >>> fake = self._shared.take(self.generator, key=(n,))   # None: draw fresh fakes              # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor, nn


class SharedFakes:
    """The last discriminator step's fakes, kept with their graph and handed once to the generator step.

    :meth:`take` hands them over only while they are still what a fresh pass would give:

    * no generator parameter changed since :meth:`make` (an optimiser step, or any in-place
      update, bumps each tensor's version counter);
    * autograd is on, the generator is still in training mode and autocast is in the same mode
      (enabled or not, same dtype);
    * the caller's ``key`` is the same: whatever else the fakes depend on, such as the batch
      size, the labels tensor or the input batch. Key items match when they are equal; tensors
      when they are the same object or have the same shape and values.

    Anything else gives ``None``, and the family draws fresh fakes. The fakes are handed over
    at most once, and copies of the model (``copy.deepcopy``, pickling) start empty, so a stored
    graph never travels with a copy.
    """

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget the kept fakes (and free their graph)."""
        self._fake: Tensor | None = None
        self._key: tuple[Any, ...] = ()
        self._stamp: tuple[Any, ...] = ()

    def make(self, generator: nn.Module, forward: Callable[[], Tensor], *, share: bool = True,
             key: Sequence[Any] = ()) -> Tensor:
        """``forward()``'s fakes for the discriminator step, detached; kept with their graph when sharing.

        Sharing happens when ``share`` is true, autograd is on and ``generator`` is in training
        mode. The engine freezes the generator during the discriminator step, so its parameters
        are switched back on for this one pass: the graph is then ready for the generator step,
        while the discriminator's loss only sees the detached copy. Otherwise ``forward`` runs
        without autograd and nothing is kept.
        """
        self.clear()
        if not (share and generator.training and torch.is_grad_enabled()):
            with torch.no_grad():
                return forward()
        frozen = [p for p in generator.parameters() if not p.requires_grad]
        for p in frozen:
            p.requires_grad_(True)
        try:
            fake = forward()
        finally:
            for p in frozen:
                p.requires_grad_(False)
        self._fake, self._key, self._stamp = fake, tuple(key), _stamp(generator, fake)
        return fake.detach()

    def take(self, generator: nn.Module, key: Sequence[Any] = ()) -> Tensor | None:
        """The kept fakes, with their graph, if still valid for ``key``; else ``None``. Either way, forgotten."""
        fake, kept, stamp = self._fake, self._key, self._stamp
        self.clear()
        if fake is None or not torch.is_grad_enabled() or not _same_key(kept, tuple(key)):
            return None
        return fake if _stamp(generator, fake) == stamp else None

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedFakes:
        return type(self)()

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.clear()


def _stamp(generator: nn.Module, fake: Tensor) -> tuple[Any, ...]:
    """What must not change between :meth:`SharedFakes.make` and :meth:`SharedFakes.take`."""
    device = fake.device.type
    autocast = torch.is_autocast_enabled(device) and torch.get_autocast_dtype(device)
    return (generator.training, autocast, tuple(p._version for p in generator.parameters()))


def _same_key(kept: tuple[Any, ...], given: tuple[Any, ...]) -> bool:
    return len(kept) == len(given) and all(_same(a, b) for a, b in zip(kept, given))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
            return False
        return a is b or (a.shape == b.shape and a.dtype == b.dtype and torch.equal(a, b.to(a.device)))
    return bool(a == b)
