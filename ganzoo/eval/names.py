"""Everything a user types to ``ganzoo eval``, checked without importing torch.

``--metrics fid,kid,is,pr`` (and an image-to-image model's ``l1,fid,class-accuracy``),
``--reference fashion-mnist:test`` (or a folder) and ``--feature`` are parsed here against the
registries, so a typo is a one-line usage error before any model, dataset or network loads. Which
feature extractor and classifier a dataset is scored with by default is asked of the dataset here
too (:func:`default_feature`, :func:`default_classifier`): the core names no extractor.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.errors import UsageError

if TYPE_CHECKING:
    from ganzoo.registry import Spec

#: What ``--metrics`` means when not given.
DEFAULT_METRICS = ("fid", "kid", "is", "precision-recall")
REFERENCE_HELP = "DATASET:SPLIT (e.g. fashion-mnist:test) or a folder of images"


# -- --metrics -------------------------------------------------------------------------------------
#: The class-fidelity metric (the same name for class-conditional generators and translators).
CLASS_ACCURACY = "class-accuracy"
#: Names only translators take (``class-accuracy`` and its aliases come from the metrics registry).
TRANSLATION_METRICS = {"l1": "l1", "classes": CLASS_ACCURACY}
#: What ``metrics=None`` means for an image-to-image model.
DEFAULT_TRANSLATION_METRICS = ("l1", "fid", CLASS_ACCURACY)


def metric_specs() -> list["Spec"]:
    """Registry entries of every installed metric."""
    from ganzoo.plugins import get_registry

    return list(get_registry("metrics"))


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


def parse_metrics(text: str | list[str] | tuple[str, ...] | None, *, translator: bool = False) -> list[str]:
    """Registry names of the metrics in ``"fid,kid,is,pr"`` (or a list), in order, without repeats.

    The one parser of metric names: ``translator=True`` reads an image-to-image model's list,
    which also takes ``l1`` (and ``classes`` for ``class-accuracy``) and defaults to
    ``l1,fid,class-accuracy``.

    >>> parse_metrics("fid, pr")          # doctest: +SKIP
    ['fid', 'precision-recall']
    >>> parse_metrics("l1,fid,acc", translator=True)     # doctest: +SKIP
    ['l1', 'fid', 'class-accuracy']
    """
    if text is None:
        return list(DEFAULT_TRANSLATION_METRICS if translator else DEFAULT_METRICS)
    items = text.split(",") if isinstance(text, str) else [str(t) for t in text]
    wanted = [item.strip().lower() for item in items if item.strip()]
    choices = f"l1, {choices_text()}" if translator else choices_text()
    if not wanted:
        raise UsageError(f"no metrics given; choose from: {choices}")
    table = _aliases()
    extra = TRANSLATION_METRICS if translator else {}
    names: list[str] = []
    for item in wanted:
        if item == "all":  # metrics that need class labels apply to some models only: ask by name
            candidates = (["l1", CLASS_ACCURACY] if translator else []) + list(DEFAULT_METRICS) + \
                [s.name for s in metric_specs() if not s.metadata.get("needs_labels")]
        elif item in extra:
            candidates = [extra[item]]
        elif item in table:
            candidates = [table[item]]
        else:
            known = [*extra, CLASS_ACCURACY, "fid", "kid"] if translator else list(table)
            close = difflib.get_close_matches(item, known, n=1, cutoff=0.5)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise UsageError(f"unknown metric '{item}'; {hint}choose from: {choices}")
        names.extend(c for c in candidates if c not in names)
    return names


def parse_translation_metrics(text: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """``parse_metrics(text, translator=True)``: ``"l1,fid,acc"`` -> ``["l1", "fid", "class-accuracy"]``."""
    return parse_metrics(text, translator=True)


def check_metric_names(text: str | list[str] | tuple[str, ...] | None) -> None:
    """A ``--metrics`` value is valid for generators or for translators (checked before loading a model)."""
    try:
        parse_metrics(text)
    except UsageError:
        items = text.split(",") if isinstance(text, str) else [str(t) for t in text or ()]
        if not any(item.strip().lower() in TRANSLATION_METRICS for item in items):
            raise  # a generator's metric list: keep its own message
        parse_metrics(text, translator=True)


# -- --feature --------------------------------------------------------------------------------------
#: What a dataset that declares no feature extractor (or no dataset at all) is scored with.
GENERIC_FEATURE = "inception"


def extractor_specs() -> list["Spec"]:
    """Registry entries of every installed feature extractor (the ``features`` registry)."""
    from ganzoo.plugins import get_registry

    return list(get_registry("features"))


def check_extractor(name: str) -> "Spec":
    """The registry entry of feature extractor ``name``; a usage error naming the choices otherwise."""
    from ganzoo.plugins import get_registry

    specs = {s.name: s for s in extractor_specs()}
    if name in specs:
        return specs[name]
    names = ", ".join(specs)
    if name in get_registry("metrics"):
        raise UsageError(f"'{name}' is a metric, not a feature extractor; choose one of: {names}")
    close = difflib.get_close_matches(name, list(specs), n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise UsageError(f"unknown feature extractor '{name}'; {hint}choose one of: {names}")


def _dataset_metadata(dataset: str | None) -> Mapping[str, Any]:
    from ganzoo.plugins import get_registry

    registry = get_registry("datasets")
    if not dataset or dataset not in registry:
        return {}
    return registry.get(dataset).metadata


def default_feature(dataset: str | None) -> str:
    """The feature extractor a dataset is scored with by default: the one its registry metadata
    names (``"feature"``), else :data:`GENERIC_FEATURE`. The one place this is decided.

    >>> default_feature("fashion-mnist"), default_feature("cifar10")     # doctest: +SKIP
    ('fmnist-cnn', 'inception')
    """
    return str(_dataset_metadata(dataset).get("feature") or GENERIC_FEATURE)


def feature_for(feature: str | None, reference: str | Path | None, dataset: Any = None) -> str:
    """``feature``, or when it is empty the default of the dataset ``reference`` names
    (``DATASET:SPLIT``), else of ``dataset`` (a folder reference, during training: the training set's)."""
    if feature:
        return str(feature)
    spec = parse_reference(str(reference)) if reference else None
    return default_feature((spec.dataset if spec is not None else None) or
                           (dataset if isinstance(dataset, str) else None))


def default_classifier(dataset: str | None) -> str | None:
    """The classifier that judges class accuracy on ``dataset``: its metadata's ``"classifier"``,
    else the one the ``class-accuracy`` metric's metadata names (``None`` when neither does)."""
    from ganzoo.plugins import get_registry

    named = _dataset_metadata(dataset).get("classifier")
    if named:
        return str(named)
    metrics = get_registry("metrics")
    fallback = metrics.get(CLASS_ACCURACY).metadata.get("classifier") if CLASS_ACCURACY in metrics else None
    return str(fallback) if fallback else None


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

    def baseline(self) -> "ReferenceSpec | None":
        """The other split of the same dataset (train for test, test for train), for real-vs-real."""
        if self.dataset is None:
            return None
        from ganzoo.plugins import get_registry

        registry = get_registry("datasets")
        known = self.dataset in registry
        splits = list(registry.get(self.dataset).metadata.get("splits") or []) if known else ["train", "test"]
        other = "train" if self.split != "train" else "test"
        return ReferenceSpec(self.dataset, other) if other in splits else None


def _prefixed_dataset(text: str) -> ReferenceSpec | None:
    """``hf:owner/name[:split]`` (a dataset that owns a name prefix): the name and its split (default test)."""
    from ganzoo.plugins import get_registry

    for spec in get_registry("datasets"):
        prefix = spec.metadata.get("prefix")
        if isinstance(prefix, str) and prefix and text.startswith(prefix) and len(text) > len(prefix):
            body = text[len(prefix):]
            head, sep, split = body.rpartition(":")
            if sep and head and "/" not in split:
                return ReferenceSpec(prefix + head, split)
            return ReferenceSpec(text, "test")
    return None


def parse_dataset_split(text: str, *, what: str = "--reference") -> ReferenceSpec | None:
    """``fashion-mnist:test`` -> ReferenceSpec; ``None`` when ``text`` names no registered dataset."""
    from ganzoo.plugins import get_registry

    name, sep, split = text.partition(":")
    registry = get_registry("datasets")
    prefixed = _prefixed_dataset(text)
    if prefixed is not None:  # hf:owner/name[@rev][:split]: the name owns its first colon
        return prefixed
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
