"""Which ``ganzoo eval`` targets are image-to-image models, and the metric names they take.

:func:`load_translator` tells a translator (a model, a ``load_pretrained`` result, a checkpoint
folder, a run directory or a zoo name) from a generator, an image folder or ``DATASET:SPLIT``,
and wraps it in a :class:`Translator` that knows its training dataset. Translators take ``l1``
besides the generators' metrics; :func:`check_metric_names` accepts both lists.

    >>> parse_translation_metrics("l1,fid,acc")     # doctest: +SKIP
    ['l1', 'fid', 'class-accuracy']

Nothing here imports torch at import time (the CLI checks ``--metrics`` before loading anything);
the scores themselves are :mod:`ganzoo.eval.translation`'s.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.errors import UsageError

if TYPE_CHECKING:
    from ganzoo.eval.translation import TranslationResults

#: The class-fidelity metric, computed from the translations (generators get it from the registry).
CLASS_ACCURACY = "class-accuracy"
#: Names only translators take (``class-accuracy`` and its aliases come from the metrics registry).
TRANSLATION_METRICS = {"l1": "l1", "classes": CLASS_ACCURACY}
#: What ``metrics=None`` means for an image-to-image model.
DEFAULT_TRANSLATION_METRICS = ("l1", "fid", CLASS_ACCURACY)


# -- metric names ----------------------------------------------------------------------------------
def parse_translation_metrics(text: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """``"l1,fid,acc"`` -> ``["l1", "fid", "class-accuracy"]``; the others as :func:`parse_metrics` reads them.

    >>> parse_translation_metrics(None)     # doctest: +SKIP
    ['l1', 'fid', 'class-accuracy']
    """
    from ganzoo.eval.names import choices_text, parse_metrics

    if text is None:
        return list(DEFAULT_TRANSLATION_METRICS)
    items = text.split(",") if isinstance(text, str) else [str(t) for t in text]
    wanted = [item.strip().lower() for item in items if item.strip()]
    if not wanted:
        raise UsageError(f"no metrics given; choose from: l1, {choices_text()}")
    names: list[str] = []
    for item in wanted:
        if item == "all":
            found = ["l1", CLASS_ACCURACY, *parse_metrics("all")]
        elif item in TRANSLATION_METRICS:
            found = [TRANSLATION_METRICS[item]]
        else:
            try:
                found = parse_metrics(item)
            except UsageError:
                close = difflib.get_close_matches(item, [*TRANSLATION_METRICS, CLASS_ACCURACY, "fid", "kid"], n=1,
                                                cutoff=0.5)
                hint = f"did you mean '{close[0]}'? " if close else ""
                raise UsageError(f"unknown metric '{item}'; {hint}choose from: l1, {choices_text()}") from None
        names.extend(n for n in found if n not in names)
    return names


def check_metric_names(text: str | None) -> None:
    """A ``--metrics`` value is valid for generators or for translators (checked before loading a model)."""
    from ganzoo.eval.names import parse_metrics

    try:
        parse_metrics(text)
    except UsageError:
        items = text.split(",") if isinstance(text, str) else []
        if not any(item.strip().lower() in TRANSLATION_METRICS for item in items):
            raise  # a generator's metric list: keep its own message
        parse_translation_metrics(text)


# -- finding translators among ``ganzoo eval`` targets ----------------------------------------
@dataclass
class Translator:
    """An image-to-image model to evaluate, with the dataset it was trained on (when known)."""

    model: Any
    description: dict[str, Any]
    dataset: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def evaluate(self, *, reference: str | Path | None = None, **kwargs: Any) -> "TranslationResults":
        """Score on ``reference`` (``DATASET[:SPLIT]``), else on the training dataset's test split."""
        from ganzoo.eval.translation import evaluate_translation

        if str(kwargs.get("device", "auto")) == "auto" and self.description.get("kind") != "model":
            from ganzoo.train.devices import select_device

            kwargs["device"] = select_device("auto")  # loaded by name: use the accelerator, as evaluate() does
        if reference is None and self.dataset is None:
            raise UsageError("this image-to-image model does not record its dataset; pass --reference DATASET:SPLIT "
                             "of a dataset with 'source' and 'image' items")
        if reference is not None:
            return evaluate_translation(self.model, dataset=str(reference), description=self.description, **kwargs)
        return evaluate_translation(self.model, dataset=self.dataset, dataset_options=self.options,
                                    description=self.description, **kwargs)


def load_translator(target: Any, *, offline: bool = False) -> Translator | None:
    """``target`` as a :class:`Translator` when it is (or names) an image-to-image model, else ``None``.

    Accepts what :func:`ganzoo.eval.evaluate` accepts; image folders, ``DATASET:SPLIT`` and
    generators give ``None`` (a name is loaded once to find out).

    >>> load_translator("pix2pix-edges2fashion").dataset     # doctest: +SKIP
    'edges2fashion'
    """
    import torch

    from ganzoo.translation import is_translator

    if isinstance(target, torch.Tensor):
        return None
    if isinstance(target, torch.nn.Module):
        return Translator(target, {"kind": "model", "class": type(target).__name__}) if is_translator(target) else None
    if hasattr(target, "model") and hasattr(target, "config"):  # a PretrainedGAN
        return _from_pretrained(target) if is_translator(target.model) else None
    if not isinstance(target, (str, Path)):
        return None
    text = str(target)
    path = Path(text).expanduser()
    if path.is_dir():
        return _from_folder(path, offline)
    if not text.startswith("hf:") and ":" in text:
        return None  # DATASET:SPLIT
    from ganzoo.hub.checkpoint import read_config
    from ganzoo.hub.download import resolve

    resolved = resolve(text, offline=offline)
    if read_config(resolved.folder).get("task") != "image-to-image":
        return None
    from ganzoo.hub.pretrained import load_pretrained

    return _from_pretrained(load_pretrained(text, offline=offline))


def _from_pretrained(pretrained: Any) -> Translator:
    from ganzoo.eval.sources import _pretrained_description

    recorded = (pretrained.config.get("training") or {}).get("dataset")
    recorded = recorded if isinstance(recorded, dict) else {"name": recorded}
    return Translator(pretrained.model, _pretrained_description(pretrained), recorded.get("name"),
                      dict(recorded.get("options") or {}))


def _from_folder(path: Path, offline: bool) -> Translator | None:
    import json

    config_path = path / "config.json"
    if not config_path.is_file():
        return None
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # evaluate()'s own reading of the folder reports it
    if not isinstance(config, dict):
        return None
    if config.get("format") == "ganzoo-checkpoint" and config.get("task") == "image-to-image":
        from ganzoo.hub.pretrained import load_pretrained

        return _from_pretrained(load_pretrained(str(path), offline=offline))
    if config.get("format") == "ganzoo-run" and (config.get("architecture") or {}).get("task") == "image-to-image":
        from ganzoo.eval.sources import _run_description
        from ganzoo.train.rundir import load_run

        model, run = load_run(path)
        dataset = run.get("dataset") or {}
        return Translator(model, _run_description(path, run), dataset.get("name"), dict(dataset.get("options") or {}))
    return None
