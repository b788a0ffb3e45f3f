"""Sample grids during training: the same noise (and labels, or input images) every time.

Grids are drawn with the EMA generator when there is one, inside ``torch.random.fork_rng`` so
that sampling never shifts the training RNG -- a run that samples more often still trains the
same weights. Each grid records its step, and the progress GIF orders frames by it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from ganzoo.images import make_gif, png_step, save_grid
from ganzoo.train.ema import EMA


class FixedSamples:
    """Draws ``count`` samples from fixed inputs derived from ``seed``."""

    def __init__(self, gan: Any, dataset: Dataset, count: int, *, seed: int, ema: EMA | None = None) -> None:
        self.gan = gan
        self.ema = ema
        generator = torch.Generator().manual_seed(seed + 20_240_601)
        self.kwargs: dict[str, Any] = {}
        if getattr(gan, "task", "") == "image-to-image":
            count = min(count, len(dataset))  # type: ignore[arg-type]
            self.kwargs["inputs"] = torch.stack([dataset[i]["source"] for i in range(count)])
        else:
            self.kwargs["z"] = torch.randn(count, gan.latent_dim, generator=generator)
            if getattr(gan, "num_classes", 0):
                self.kwargs["labels"] = torch.arange(count) % gan.num_classes
        self.count = count

    @torch.no_grad()
    def images(self) -> torch.Tensor:
        """The grid's images in [-1, 1], on the CPU."""
        devices = [torch.cuda.current_device()] if torch.cuda.is_available() and torch.cuda.is_initialized() else []
        with torch.random.fork_rng(devices=devices):
            device = self.gan.device
            kwargs = {k: v.to(device) for k, v in self.kwargs.items()}
            if self.ema is not None:
                with self.ema.swapped_into(self.gan):
                    images = self.gan.sample(**kwargs)
            else:
                images = self.gan.sample(**kwargs)
        return images.float().cpu()

    def write_grid(self, path: Path, step: int) -> Path:
        nrow = max(1, round(self.count ** 0.5))
        return save_grid(self.images(), path, nrow=nrow, step=step)

    @staticmethod
    def write_gif(run_dir: Path) -> Path | None:
        """``progress.gif`` from every grid in ``samples/``, in training order."""
        frames = []
        for path in sorted((run_dir / "samples").glob("*.png")):
            step = png_step(path)
            if step is not None:
                frames.append((step, path.name.startswith("step_"), path))
        frames.sort()
        ordered, seen = [], set()
        for step, _, path in frames:  # one frame per step (an epoch grid and a step grid may coincide)
            if step not in seen:
                seen.add(step)
                ordered.append(path)
        return make_gif(ordered, run_dir / "progress.gif")
