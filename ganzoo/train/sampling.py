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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import torch
from torch.utils.data import Dataset

from ganzoo.errors import GanzooError
from ganzoo.images import make_gif, png_step, save_grid
from ganzoo.train.ema import EMA
from ganzoo.translation import (data_keys, directions_of, is_paired, is_translator, match_channels, resize, take,
                                translate)


class FixedSamples:
    """Draws ``count`` samples from fixed inputs derived from ``seed``.

    Image-to-image models are shown fixed examples instead (see :class:`TranslationExamples`):
    the first ``count`` items of the dataset's test split when ``data_options`` say how to build
    it, else of ``dataset``, as input | output | target tiles, so the progress GIF shows the
    translation improving on the same images.
    """

    def __init__(self, gan: Any, dataset: Dataset, count: int, *, seed: int, ema: EMA | None = None,
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
        devices = [torch.cuda.current_device()] if torch.cuda.is_available() and torch.cuda.is_initialized() else []
        with torch.random.fork_rng(devices=devices):
            swapped = self.ema.swapped_into(self.gan) if self.ema is not None else contextlib.nullcontext()
            with swapped:
                if self.examples is not None:
                    return self.examples.tiles(self.gan)
                device = self.gan.device
                kwargs = {k: v.to(device) for k, v in self.kwargs.items()}
                images = self.gan.sample(**kwargs)
        return images.float().cpu()

    @property
    def nrow(self) -> int:
        """Tiles per grid row: whole example tuples for translations, one column per class for
        class-conditional models (labels cycle through the classes), else square."""
        if self.examples is not None:
            return self.examples.nrow
        classes = getattr(self.gan, "num_classes", 0)
        if classes and self.count >= classes:
            return classes
        return max(1, round(self.count ** 0.5))

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


def held_out_split(dataset: Dataset, options: Mapping[str, Any] | None = None) -> Dataset:
    """The test split of ``dataset``'s registered dataset built with ``options``, else ``dataset`` itself.

    Examples drawn from data the model did not train on show what it has learnt, not what it
    remembers; a dataset without a name, a test split or its files falls back to ``dataset``.
    """
    from ganzoo.data import build_dataset
    from ganzoo.registry import get_registry

    info = getattr(dataset, "info", None)
    name, split = getattr(info, "name", None), getattr(info, "split", None)
    registry = get_registry("datasets")
    if not name or split == "test" or name not in registry:
        return dataset
    if "test" not in (registry.get(name).metadata.get("splits") or ["test"]):
        return dataset
    try:
        return build_dataset(name, "test", **dict(options or {}))
    except GanzooError:
        return dataset


@dataclass
class TranslationExamples:
    """Fixed inputs (and targets, for paired data) of an image-to-image model, per direction.

    ``tiles(model)`` lays them out as rows of tuples -- input | output | target for paired
    data, input | output otherwise -- with ``per_line`` tuples side by side; ``nrow`` is the
    number of tiles per grid row to pass to :func:`ganzoo.images.save_grid`.

    >>> examples = TranslationExamples.from_dataset(model, test_set, 8)     # doctest: +SKIP
    >>> save_grid(examples.tiles(model), "samples.png", nrow=examples.nrow)  # doctest: +SKIP
    """

    directions: list[str]
    inputs: list[torch.Tensor]
    targets: list[torch.Tensor | None]
    per_line: int = 1

    @classmethod
    def from_dataset(cls, model: Any, dataset: Dataset, count: int, *, per_line: int | None = None
                     ) -> "TranslationExamples":
        """The first ``count`` items of ``dataset`` (split evenly between the model's directions)."""
        directions = list(directions_of(model))
        paired = is_paired(dataset, model)
        each = max(1, min(len(dataset), count // len(directions) or 1))  # type: ignore[arg-type]
        inputs, targets = [], []
        for direction in directions:
            source_key, target_key, _ = data_keys(direction)
            batch = take(dataset, range(each), (source_key, target_key))
            if source_key not in batch:
                raise GanzooError(f"the dataset has no '{source_key}' images, so it cannot show {direction} "
                                  f"examples; image-to-image datasets hold 'source' and 'image'")
            inputs.append(batch[source_key].float())
            targets.append(batch[target_key].float() if paired and target_key in batch else None)
        width = 3 if targets[0] is not None else 2
        if per_line is None:
            per_line = _near_divisor(each, math.sqrt(each * len(directions) / width))
        return cls(directions, inputs, targets, max(1, per_line))

    @property
    def count(self) -> int:
        return sum(int(x.shape[0]) for x in self.inputs)

    @property
    def width(self) -> int:
        """Tiles per example: 3 (input, output, target) or 2 (input, output)."""
        return 3 if self.targets[0] is not None else 2

    @property
    def nrow(self) -> int:
        return self.width * self.per_line

    @torch.no_grad()
    def tiles(self, model: Any) -> torch.Tensor:
        """``[count * width, C, H, W]`` images in [-1, 1], tuple after tuple, a2b examples first."""
        groups: list[list[torch.Tensor]] = []
        for direction, inputs, targets in zip(self.directions, self.inputs, self.targets):
            outputs = translate(model, inputs, direction, keep_size=False)
            groups.append([inputs, outputs] + ([targets] if targets is not None else []))
        shape = groups[0][1].shape[-2:]
        channels = max(t.shape[1] for group in groups for t in group)
        rows = []
        for group in groups:
            parts = [resize(match_channels(t.float().cpu(), channels), tuple(shape)) for t in group]
            rows.append(torch.stack(parts, dim=1).flatten(0, 1))  # in0, out0, tgt0, in1, ...
        return torch.cat(rows)


def _near_divisor(n: int, goal: float) -> int:
    """The divisor of ``n`` closest to ``goal`` (so no grid row mixes two directions)."""
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    return min(divisors, key=lambda d: (abs(d - goal), d))
