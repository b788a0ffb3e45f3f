"""Everything a user types to ``ganzoo eval``, checked without importing torch.

``--metrics fid,kid,is,pr``, ``--reference fashion-mnist:test`` (or a folder) and ``--feature
fmnist-cnn`` are parsed here against the registries, so a typo is a one-line usage error before
any model, dataset or network loads.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.errors import UsageError

if TYPE_CHECKING:
    from ganzoo.eval.sources import ImageSource
    from ganzoo.registry import Spec

#: What ``--metrics`` means when not given.
DEFAULT_METRICS = ("fid", "kid", "is", "precision-recall")
REFERENCE_HELP = "DATASET:SPLIT (e.g. fashion-mnist:test) or a folder of images"


# -- --metrics -------------------------------------------------------------------------------------
def metric_specs() -> list["Spec"]:
    """Registry entries whose role is ``metric`` (feature extractors share the registry)."""
    from ganzoo.registry import get_registry

    return [s for s in get_registry("metrics") if s.metadata.get("role", "metric") == "metric"]


def _aliases() -> dict[str, str]:
    table: dict[str, str] = {}
    for spec in metric_specs():
        table[spec.name] = spec.name
        for alias in spec.metadata.get("aliases", ()):
            table.setdefault(str(alias), spec.name)
    return table


def choices_text() -> str:
    """``fid, kid, is, pr (precision-recall) ...`` for usage errors and ``--help``."""
    parts = []
    specs = sorted(metric_specs(), key=lambda s: (s.name not in DEFAULT_METRICS,
                                                  DEFAULT_METRICS.index(s.name) if s.name in DEFAULT_METRICS else 0))
    for spec in specs:
        aliases = [a for a in spec.metadata.get("aliases", ()) if len(a) < len(spec.name)]
        parts.append(f"{aliases[0]} ({spec.name})" if aliases else spec.name)
    return ", ".join(parts)


def parse_metrics(text: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """Registry names of the metrics in ``"fid,kid,is,pr"`` (or a list), in order, without repeats.

    >>> parse_metrics("fid, pr")          # doctest: +SKIP
    ['fid', 'precision-recall']
    """
    if text is None:
        return list(DEFAULT_METRICS)
    items = text.split(",") if isinstance(text, str) else [str(t) for t in text]
    wanted = [item.strip().lower() for item in items if item.strip()]
    if not wanted:
        raise UsageError(f"no metrics given; choose from: {choices_text()}")
    table = _aliases()
    names: list[str] = []
    for item in wanted:
        if item == "all":  # metrics that need class labels apply to some models only: ask by name
            candidates = list(DEFAULT_METRICS) + [s.name for s in metric_specs() if not s.metadata.get("needs_labels")]
        elif item in table:
            candidates = [table[item]]
        else:
            close = difflib.get_close_matches(item, list(table), n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise UsageError(f"unknown metric '{item}'; {hint}choose from: {choices_text()}")
        names.extend(c for c in candidates if c not in names)
    return names


# -- --feature --------------------------------------------------------------------------------------
def extractor_specs() -> list["Spec"]:
    """Registry entries of every installed feature extractor."""
    from ganzoo.registry import get_registry

    return [s for s in get_registry("metrics") if s.metadata.get("role") == "feature-extractor"]


def check_extractor(name: str) -> "Spec":
    """The registry entry of feature extractor ``name``; a usage error naming the choices otherwise."""
    from ganzoo.registry import get_registry

    specs = {s.name: s for s in extractor_specs()}
    if name in specs:
        return specs[name]
    names = ", ".join(specs)
    if name in get_registry("metrics"):
        raise UsageError(f"'{name}' is a metric, not a feature extractor; choose one of: {names}")
    close = difflib.get_close_matches(name, list(specs), n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise UsageError(f"unknown feature extractor '{name}'; {hint}choose one of: {names}")


# -- --reference and DATASET:SPLIT targets -----------------------------------------------------------
@dataclass(frozen=True)
class ReferenceSpec:
    """A parsed ``--reference``: a registered dataset's split, or a folder."""

    dataset: str | None = None
    split: str | None = None
    folder: Path | None = None

    def __str__(self) -> str:
        return f"{self.dataset}:{self.split}" if self.dataset else str(self.folder)

    def describe(self) -> dict[str, Any]:
        if self.dataset:
            return {"kind": "dataset", "dataset": self.dataset, "split": self.split}
        return {"kind": "folder", "path": str(self.folder)}

    def source(self, *, size: int, channels: int) -> "ImageSource":
        """The images (folders are read at ``size`` and ``channels``); imports torch."""
        from ganzoo.eval.sources import dataset_source, folder_source

        if self.folder is not None:
            return folder_source(self.folder, size=size, channels=channels)
        dataset = _built_dataset(str(self.dataset), str(self.split))
        return dataset_source(dataset, self.describe(), cacheable=True)

    def baseline(self) -> "ReferenceSpec | None":
        """The other split of the same dataset (train for test, test for train), for real-vs-real."""
        if self.dataset is None:
            return None
        from ganzoo.registry import get_registry

        splits = list(get_registry("datasets").get(self.dataset).metadata.get("splits") or [])
        other = "train" if self.split != "train" else "test"
        return ReferenceSpec(self.dataset, other) if other in splits else None


@functools.lru_cache(maxsize=4)
def _built_dataset(name: str, split: str) -> Any:
    """Dataset splits, kept for the process: evaluating several models reads Fashion-MNIST once."""
    from ganzoo.data import build_dataset

    return build_dataset(name, split)


def parse_dataset_split(text: str, *, what: str = "--reference") -> ReferenceSpec | None:
    """``fashion-mnist:test`` -> ReferenceSpec; ``None`` when ``text`` names no registered dataset."""
    from ganzoo.registry import get_registry

    name, sep, split = text.partition(":")
    registry = get_registry("datasets")
    if name not in registry:
        if sep:
            raise UsageError(f"bad {what} '{text}': {registry.unknown_message(name)}")
        return None
    splits = list(registry.get(name).metadata.get("splits") or [])
    if not sep:
        split = "test" if "test" in splits else (splits[0] if splits else "train")
    if name == "image-folder":
        raise UsageError(f"bad {what} '{text}': give the folder itself, not image-folder:{split}")
    if splits and split not in splits:  # ganzoo.data.check_split's words, without importing torch
        raise UsageError(f"bad {what} '{text}': dataset '{name}' has no split '{split}'; "
                         f"choose one of: {', '.join(splits)}")
    return ReferenceSpec(name, split)


def parse_reference(text: str) -> ReferenceSpec:
    """Check a ``--reference`` value without loading anything heavy.

    >>> parse_reference("fashion-mnist:test")     # doctest: +SKIP
    ReferenceSpec(dataset='fashion-mnist', split='test', folder=None)
    """
    text = str(text).strip()
    if not text:
        raise UsageError(f"empty --reference; give {REFERENCE_HELP}")
    path = Path(text).expanduser()
    if path.is_dir():
        return ReferenceSpec(folder=path)
    spec = parse_dataset_split(text)
    if spec is not None:
        return spec
    if path.exists():
        raise UsageError(f"bad --reference '{text}': it is a file, not a folder; give {REFERENCE_HELP}")
    raise UsageError(f"bad --reference '{text}': no such dataset or folder; give {REFERENCE_HELP}")
