"""Differentiable augmentation of what the discriminator sees (DiffAugment, Zhao et al. 2020).

A discriminator trained on few images memorises them; augmenting only the real images teaches
the generator to draw the augmentations. DiffAugment applies the *same kind* of random
transformation to real and fake images, in the discriminator's step and in the generator's,
and every transformation is differentiable so the generator's gradient flows through it.

Policies (comma-separated, applied in this order):

* ``translation`` -- shift by up to 1/8 of the image side, filling with the edge pixels
  (Zhao et al. fill with zeros, which is mid-grey in [-1, 1]; the edge keeps a black
  Fashion-MNIST background black).
* ``cutout`` -- blank a square of half the image side at a random place (to 0, mid-grey), as
  in the paper.
* ``color`` -- random brightness, saturation and contrast; RGB images only.

Each image is augmented with probability ``p`` (1 by default: DiffAugment). :class:`AdaptiveP`
tunes ``p`` as ADA does (Karras et al. 2020): it raises ``p`` while the discriminator's outputs
on real images are too often positive (``E[sign(D(x))] > target``) and lowers it otherwise.
Randomness comes from torch's global generator, which checkpoints save, so resumed runs repeat
the same augmentations.

    >>> augment = DiffAugment("translation,cutout")    # doctest: +SKIP
    >>> augment(images)                                # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from ganzoo.errors import UsageError
from ganzoo.nn.policies import POLICIES, parse_policy

__all__ = ["POLICIES", "AdaptiveP", "DiffAugment", "color", "cutout", "parse_policy", "translate"]

def translate(images: Tensor, ratio: float = 0.125) -> Tensor:
    """Shift each image by whole pixels, up to ``ratio`` of its side, filling with edge pixels."""
    n, c, h, w = images.shape
    pad_h, pad_w = int(h * ratio + 0.5), int(w * ratio + 0.5)
    if not (pad_h or pad_w):
        return images
    device = images.device
    dy = torch.randint(-pad_h, pad_h + 1, (n, 1, 1), device=device)
    dx = torch.randint(-pad_w, pad_w + 1, (n, 1, 1), device=device)
    padded = F.pad(images, [pad_w, pad_w, pad_h, pad_h], mode="replicate")
    width = w + 2 * pad_w
    rows = torch.arange(h, device=device).view(1, h, 1) + pad_h + dy
    cols = torch.arange(w, device=device).view(1, 1, w) + pad_w + dx
    index = (rows * width + cols).view(n, 1, h * w).expand(n, c, h * w)
    return padded.flatten(2).gather(2, index).view(n, c, h, w)


def cutout(images: Tensor, ratio: float = 0.5) -> Tensor:
    """Set a square of ``ratio`` of the side to 0 at a random place in each image."""
    n, _, h, w = images.shape
    size_h, size_w = int(h * ratio + 0.5), int(w * ratio + 0.5)
    device = images.device
    top = torch.randint(0, h + (1 - size_h % 2), (n, 1, 1), device=device) - size_h // 2
    left = torch.randint(0, w + (1 - size_w % 2), (n, 1, 1), device=device) - size_w // 2
    rows = torch.arange(h, device=device).view(1, h, 1)
    cols = torch.arange(w, device=device).view(1, 1, w)
    inside = (rows >= top) & (rows < top + size_h) & (cols >= left) & (cols < left + size_w)
    return images * (~inside).unsqueeze(1).to(images.dtype)


def color(images: Tensor) -> Tensor:
    """Random brightness (+-0.5), saturation (x0..2) and contrast (x0.5..1.5), per image."""
    if images.shape[1] != 3:
        raise UsageError(f"the color augmentation needs RGB images, these have {images.shape[1]} channel(s); "
                         f"use --augment translation,cutout")
    n = images.shape[0]
    shape = (n, 1, 1, 1)

    def rand() -> Tensor:
        return torch.rand(shape, device=images.device, dtype=images.dtype)

    images = images + (rand() - 0.5)
    mean = images.mean(dim=1, keepdim=True)
    images = (images - mean) * (rand() * 2) + mean
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    return (images - mean) * (rand() + 0.5) + mean


_FUNCTIONS: dict[str, Callable[[Tensor], Tensor]] = {"translation": translate, "cutout": cutout, "color": color}


class DiffAugment:
    """The augmentations of ``policy``, each image augmented with probability :attr:`p`.

    Args:
        policy: policy names or a comma-separated string (see the module docstring).
        p: probability that an image is augmented (each policy draws its own coin).
    """

    def __init__(self, policy: str | tuple[str, ...], p: float = 1.0) -> None:
        self.policy = parse_policy(policy) if isinstance(policy, str) else tuple(policy)
        if not 0.0 <= p <= 1.0:
            raise UsageError(f"augmentation probability must be in [0, 1], got {p}")
        self.p = float(p)

    def __bool__(self) -> bool:
        return bool(self.policy)

    def __call__(self, images: Tensor) -> Tensor:
        if not self.policy or self.p <= 0.0:
            return images
        channels_last = images.dim() == 4 and images.is_contiguous(memory_format=torch.channels_last)
        for name in self.policy:
            augmented = _FUNCTIONS[name](images)
            if self.p < 1.0:
                keep = torch.rand(images.shape[0], 1, 1, 1, device=images.device) >= self.p
                augmented = torch.where(keep, images, augmented)
            images = augmented
        return images.contiguous(memory_format=torch.channels_last) if channels_last else images


class AdaptiveP:
    """ADA's controller: nudges an augmentation's ``p`` towards ``E[sign(D(real))] = target``.

    Every ``interval`` observed batches it moves ``p`` by ``images / speed_images`` in the
    direction of ``sign(r - target)``, so ``p`` can go from 0 to 1 in ``speed_images`` real
    images (500k in the paper; shorter runs want less). ``state_dict`` is what checkpoints keep.
    """

    def __init__(self, augment: DiffAugment, *, target: float = 0.6, interval: int = 4,
                 speed_images: int = 100_000) -> None:
        if not 0.0 < target < 1.0:
            raise UsageError(f"the adaptive augmentation target must be in (0, 1), got {target}")
        self.augment, self.target, self.interval, self.speed_images = augment, target, interval, speed_images
        self._signs, self._count, self._batches = 0.0, 0, 0
        self.last_r: float | None = None

    def observe(self, real_logits: Tensor) -> None:
        """Record the discriminator's scores of one real batch (adjusting ``p`` every ``interval`` batches)."""
        scores = real_logits.detach().float()
        self._signs += float(torch.sign(scores).sum())
        self._count += scores.numel()
        self._batches += 1
        if self._batches >= self.interval:
            self.last_r = self._signs / max(1, self._count)
            step = self._count / self.speed_images
            direction = 1.0 if self.last_r > self.target else -1.0
            self.augment.p = min(1.0, max(0.0, self.augment.p + direction * step))
            self._signs, self._count, self._batches = 0.0, 0, 0

    def state_dict(self) -> dict[str, float | int | None]:
        return {"p": self.augment.p, "signs": self._signs, "count": self._count, "batches": self._batches,
                "last_r": self.last_r}

    def load_state_dict(self, state: dict[str, float | int | None]) -> None:
        self.augment.p = float(state.get("p") or 0.0)
        self._signs = float(state.get("signs") or 0.0)
        self._count = int(state.get("count") or 0)
        self._batches = int(state.get("batches") or 0)
        last = state.get("last_r")
        self.last_r = None if last is None else float(last)
