"""Sample grids during training: the same noise (and labels, or input images) every time.

Image-to-image models get example tuples instead of samples: each shows a fixed test input,
the model's output and, for paired data, the true target (input | output | target); a model
with two directions shows its a2b examples, then its b2a ones. Checkpoint folders use the same
layout for ``samples.png``.

Grids are drawn with the EMA generator when there is one, inside ``torch.random.fork_rng`` so
that sampling never shifts the training RNG -- a run that samples more often still trains the
same weights. Each grid records its step, and the progress GIF orders frames by it.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from ganzoo.examples import TranslationExamples, held_out_split
from ganzoo.images import make_gif, png_step, save_grid
from ganzoo.train.ema import EMA
from ganzoo.translation import is_translator


class FixedSamples:
    """Draws ``count`` samples from fixed inputs derived from ``seed``.

    Image-to-image models are shown fixed examples instead (see :class:`TranslationExamples`):
    the first ``count`` items of the dataset's test split when ``data_options`` say how to build
    it, else of ``dataset``, as input | output | target tiles, so the progress GIF shows the
    translation improving on the same images.
    """

    def __init__(self, gan: Any, dataset: Dataset[Any], count: int, *, seed: int, ema: EMA | None = None,
                 data_options: Mapping[str, Any] | None = None) -> None:
        self.gan = gan
        self.ema = ema
        generator = torch.Generator().manual_seed(seed + 20_240_601)
        self.kwargs: dict[str, Any] = {}
        self.examples: TranslationExamples | None = None
        if is_translator(gan):
            shown = held_out_split(dataset, data_options) if data_options is not None else dataset
            self.examples = TranslationExamples.from_dataset(gan, shown, count)
            count = self.examples.count
        else:
            self.kwargs["z"] = torch.randn(count, gan.latent_dim, generator=generator)
            if getattr(gan, "num_classes", 0):
                self.kwargs["labels"] = torch.arange(count) % gan.num_classes
        self.count = count

    @torch.no_grad()
    def images(self) -> torch.Tensor:
        """The grid's images in [-1, 1], on the CPU."""
        # torch leaves cuda.is_initialized unannotated
        initialized = torch.cuda.is_available() and torch.cuda.is_initialized()  # type: ignore[no-untyped-call]
        devices = [torch.cuda.current_device()] if initialized else []
        with torch.random.fork_rng(devices=devices):
            swapped = self.ema.swapped_into(self.gan) if self.ema is not None else contextlib.nullcontext()
            with swapped:
                if self.examples is not None:
                    return self.examples.tiles(self.gan)
                device = self.gan.device
                kwargs = {k: v.to(device) for k, v in self.kwargs.items()}
                images: torch.Tensor = self.gan.sample(**kwargs)
        return images.float().cpu()

    @property
    def nrow(self) -> int:
        """Tiles per grid row: whole example tuples for translations, one column per class for
        class-conditional models (labels cycle through the classes), else square."""
        if self.examples is not None:
            return self.examples.nrow
        classes: int = getattr(self.gan, "num_classes", 0)
        if classes and self.count >= classes:
            return classes
        return max(1, round(math.sqrt(self.count)))

    def write_grid(self, path: Path, step: int | None = None) -> Path:
        return save_grid(self.images(), path, nrow=self.nrow, step=step)

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
