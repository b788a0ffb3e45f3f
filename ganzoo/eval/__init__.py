"""Evaluation: FID, KID, IS and precision/recall of generators, offline, with provenance.

``import ganzoo.eval`` is cheap; torch loads when a function below is first used.

    >>> from ganzoo.eval import evaluate, checkpoint_metrics
    >>> results = evaluate("dcgan-fashion", metrics="fid,pr", num_samples=10_000)   # doctest: +SKIP
    >>> results["FID[fmnist-cnn]"], results.provenance["extractor"]["sha256"]       # doctest: +SKIP
    >>> config_metrics = checkpoint_metrics(results)    # the metrics list of a checkpoint config

Modules: :mod:`~ganzoo.eval.api` (``evaluate``), :mod:`~ganzoo.eval.features` (extractors),
:mod:`~ganzoo.eval.metrics` (the metric base class),
:mod:`~ganzoo.eval.names` (``--metrics``, ``--reference``, ``--feature`` checked without torch),
:mod:`~ganzoo.eval.sources` (where images come from), :mod:`~ganzoo.eval.cache` (baselines and
reference features on disk), :mod:`~ganzoo.eval.results` (results and provenance),
:mod:`~ganzoo.eval.translation` (``evaluate_translation``: L1, FID and class accuracy of
image-to-image models on a dataset split), :mod:`~ganzoo.eval.translators` (which targets are
translators, and their metric names) and :mod:`~ganzoo.eval.translation_data` (the passes over the split).
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "evaluate": "ganzoo.eval.api",
    "EvalResults": "ganzoo.eval.results",
    "MetricValue": "ganzoo.eval.results",
    "checkpoint_metrics": "ganzoo.eval.results",
    "library_versions": "ganzoo.eval.results",
    "FeatureExtractor": "ganzoo.eval.features",
    "Features": "ganzoo.eval.features",
    "load_extractor": "ganzoo.eval.features",
    "Metric": "ganzoo.eval.metrics",
    "parse_metrics": "ganzoo.eval.names",
    "parse_reference": "ganzoo.eval.names",
    "default_feature": "ganzoo.eval.names",
    "build_metric": "ganzoo.eval.metrics",
    "cache_dir": "ganzoo.eval.cache",
    "evaluate_translation": "ganzoo.eval.translation",
    "TranslationResults": "ganzoo.eval.translation",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ganzoo.eval' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
