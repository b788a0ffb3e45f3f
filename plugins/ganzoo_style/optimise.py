"""The optimisation loop: the pixels of one image are the parameters; L-BFGS or Adam moves them.

One *step* is one loss evaluation and one update: an L-BFGS iteration with a fixed step
(``lr``, no line search, as in Johnson's neural-style) or an Adam update. After every step the
pixels are clipped to [0, 1]. A line search looked attractive but, restarted one iteration at a
time with clipping in between, it stalled; the fixed step converges steadily at one
evaluation per step. The logs of a step are those of the image the step started from.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from ganzoo.plugin import TrainingError, UsageError

OPTIMIZERS = ("lbfgs", "adam")
#: Learning rates for pixels in [0, 1]: L-BFGS takes whole steps, Adam a few grey levels.
DEFAULT_LR = {"lbfgs": 1.0, "adam": 0.02}

LossFunction = Callable[[Tensor], "tuple[Tensor, dict[str, float]]"]
StepCallback = Callable[[int, Tensor, "dict[str, float]"], None]


def _make_optimizer(name: str, image: Tensor, lr: float) -> torch.optim.Optimizer:
    if name == "lbfgs":
        return torch.optim.LBFGS([image], lr=lr, max_iter=1, history_size=50)
    return torch.optim.Adam([image], lr=lr)


def optimise(image: Tensor, loss_fn: LossFunction, *, steps: int, optimizer: str = "lbfgs", lr: float | None = None,
             callback: StepCallback | None = None, progress: bool = False) -> list[dict[str, float]]:
    """Minimise ``loss_fn`` over the pixels of ``image`` (updated in place); returns each step's logs.

    ``callback(step, image, logs)`` runs after every step (frames, early looks). ``progress``
    shows a tqdm bar with the loss terms. A loss that turns NaN or infinite stops the run with
    a :class:`TrainingError` saying what to change.

    >>> history = optimise(x, objective, steps=100)   # doctest: +SKIP
    """
    if optimizer not in OPTIMIZERS:
        raise UsageError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, not {optimizer!r}")
    if steps < 1:
        raise UsageError(f"steps must be at least 1, got {steps}")
    lr = DEFAULT_LR[optimizer] if lr is None else lr
    if not lr > 0:
        raise UsageError(f"the learning rate must be positive, got {lr}")
    image.requires_grad_(True)
    opt = _make_optimizer(optimizer, image, lr)
    last: dict[str, float] = {}

    def closure() -> Tensor:
        opt.zero_grad(set_to_none=True)
        loss, logs = loss_fn(image)
        loss.backward()  # type: ignore[no-untyped-call]  # unannotated in torch
        last.clear()
        last.update(loss=float(loss.detach()), **logs)
        return loss

    history: list[dict[str, float]] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, desc="style transfer", unit="step", dynamic_ncols=True, leave=True)
    try:
        for step in range(1, steps + 1):
            # torch types the closure as returning float; LBFGS and Adam use the Tensor loss it returns
            opt.step(closure)  # type: ignore[arg-type]
            with torch.no_grad():
                image.clamp_(0, 1)
            if not all(math.isfinite(v) for v in last.values()):
                raise TrainingError(f"the optimisation diverged at step {step} (loss {last.get('loss')}); lower "
                                    f"--style-weight or --lr, or use --optimizer adam")
            history.append(dict(last))
            if bar is not None:
                bar.set_postfix({k: f"{v:.3g}" for k, v in last.items()}, refresh=False)
                bar.update(1)
            if callback is not None:
                callback(step, image.detach(), dict(last))
    finally:
        if bar is not None:
            bar.close()
        image.requires_grad_(False)
    return history
