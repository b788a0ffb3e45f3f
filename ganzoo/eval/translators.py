"""Which ``ganzoo eval`` targets are image-to-image models, and scoring them on their own dataset.

:func:`load_translator` tells a translator (a model, a ``load_pretrained`` result, a checkpoint
folder, a run directory or a zoo name) from a generator, an image folder or ``DATASET:SPLIT``,
and wraps it in a :class:`Translator` that knows its training dataset. Names are opened once,
through :func:`ganzoo.eval.sources.load_target` (that is, :func:`ganzoo.hub.resolve.open_model`).

Metric names (``l1`` besides the generators' metrics) are parsed by
:func:`ganzoo.eval.names.parse_metrics`; the scores are :mod:`ganzoo.eval.translation`'s.

    >>> load_translator("pix2pix-edges2fashion").dataset     # doctest: +SKIP
    'edges2fashion'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.errors import UsageError
from ganzoo.eval.names import (  # noqa: F401  (importable from here, as before)
    CLASS_ACCURACY,
    DEFAULT_TRANSLATION_METRICS,
    TRANSLATION_METRICS,
    check_metric_names,
    parse_translation_metrics,
)
from ganzoo.eval.sources import LoadedTarget, load_target

if TYPE_CHECKING:
    from ganzoo.eval.translation import TranslationResults


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
            from ganzoo.devices import select_device

            kwargs["device"] = select_device("auto")  # loaded by name: use the accelerator, as evaluate() does
        if reference is None and self.dataset is None:
            raise UsageError("this image-to-image model does not record its dataset; pass --reference DATASET:SPLIT "
                             "of a dataset with 'source' and 'image' items")
        if reference is not None:
            return evaluate_translation(self.model, dataset=str(reference), description=self.description, **kwargs)
        return evaluate_translation(self.model, dataset=self.dataset, dataset_options=self.options,
                                    description=self.description, **kwargs)


def as_translator(loaded: LoadedTarget | None) -> Translator | None:
    """``loaded`` as a :class:`Translator` when it is an image-to-image model, else ``None``."""
    from ganzoo.translation import is_translator

    if loaded is None or not is_translator(loaded.model):
        return None
    return Translator(loaded.model, loaded.description, loaded.dataset, loaded.dataset_options)


def load_translator(target: Any, *, offline: bool = False) -> Translator | None:
    """``target`` as a :class:`Translator` when it is (or names) an image-to-image model, else ``None``.

    Accepts what :func:`ganzoo.eval.evaluate` accepts; image folders, ``DATASET:SPLIT`` and
    generators give ``None`` (a name is loaded once to find out).
    """
    return as_translator(load_target(target, offline=offline))
