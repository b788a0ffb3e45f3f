"""Example grids of image-to-image models: fixed test inputs beside the model's outputs (and targets).

Training shows them in its sample grids and ``progress.gif``; checkpoint folders use the same
layout for ``samples.png``. Each example is input | output | target for paired data and
input | output otherwise; a model with two directions shows its a2b examples, then its b2a ones.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import Dataset

from ganzoo.errors import GanzooError
from ganzoo.translation import data_keys, directions_of, is_paired, match_channels, resize, take, translate


def held_out_split(dataset: Dataset[Any], options: Mapping[str, Any] | None = None) -> Dataset[Any]:
    """The test split of ``dataset``'s registered dataset built with ``options``, else ``dataset`` itself.

    Examples drawn from data the model did not train on show what it has learnt, not what it
    remembers; a dataset without a name, a test split or its files falls back to ``dataset``.
    """
    from ganzoo.data import build_dataset
    from ganzoo.plugins import get_registry

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
    def from_dataset(cls, model: Any, dataset: Dataset[Any], count: int, *, per_line: int | None = None
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
            parts = [resize(match_channels(t.float().cpu(), channels), (int(shape[0]), int(shape[1]))) for t in group]
            rows.append(torch.stack(parts, dim=1).flatten(0, 1))  # in0, out0, tgt0, in1, ...
        return torch.cat(rows)


def _near_divisor(n: int, goal: float) -> int:
    """The divisor of ``n`` closest to ``goal`` (so no grid row mixes two directions)."""
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    return min(divisors, key=lambda d: (abs(d - goal), d))
