"""Scoring image-to-image models: translate a dataset split, compare the outputs with its targets.

A generator is scored by sampling; a translator needs inputs. :func:`evaluate_translation`
translates the inputs of a split (``source`` for a2b, ``image`` for b2a) and computes:

- ``l1``: the mean absolute pixel difference between outputs and true targets, pixels in
  [0, 1] (paired datasets only: unpaired ones have no true target);
- ``fid`` (and any other feature metric: ``kid``, ``is``, ``pr``, ``dc``): the outputs against
  the split's target-domain images, in a feature extractor's space (``fmnist-cnn`` by default);
- ``class-accuracy`` (the metric class-conditional generators report too; ``class-agreement``
  and ``ca`` are aliases): how often the shipped classifier sees the intended class in the
  outputs (the target's ``label`` for a2b, ``source_label`` for b2a), when the dataset has labels.

Each value comes with two yardsticks. *Real data* (the usual real-vs-real column): the other
split's targets scored like outputs for feature metrics, the real targets themselves for class
accuracy. *Copying the input* (``copy_input``): what a model that returns its input unchanged
would score -- a translator should beat it.

    >>> results = evaluate_translation(model, dataset="edges2fashion", metrics="l1,fid")   # doctest: +SKIP
    >>> results["L1"], results.get("FID").baseline, results.provenance["copy_input"]       # doctest: +SKIP

Metric names live in :mod:`ganzoo.eval.names` (torch-free), finding translators among
``ganzoo eval`` targets in :mod:`ganzoo.eval.translators`, the passes over the split in
:mod:`ganzoo.eval.translation_data`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from ganzoo.errors import UsageError
from ganzoo.eval.features import autocast_for, load_extractor
from ganzoo.eval.metrics import build_metric
from ganzoo.eval.names import (  # noqa: F401  (importable from here, as before)
    CLASS_ACCURACY,
    DEFAULT_TRANSLATION_METRICS,
    TRANSLATION_METRICS,
    check_extractor,
    check_metric_names,
    default_classifier,
    default_feature,
    parse_metrics,
    parse_translation_metrics,
)
from ganzoo.eval.results import EvalResults, MetricValue, checkpoint_metrics, library_versions
from ganzoo.eval.settings import DEFAULT_BATCH_SIZE, DEFAULT_NUM_SAMPLES, evaluation_device, settings_for
from ganzoo.eval.sources import sample_indices
from ganzoo.eval.translation_data import (
    class_accuracy,
    judge_labels,
    open_split,
    other_split,
    target_features,
    translate_split,
)
from ganzoo.translation import check_direction, directions_of, is_paired, is_translator


class TranslationResults(EvalResults):
    """:class:`EvalResults` of a translator; checkpoint rows also carry direction and copy-the-input scores."""

    def checkpoint_metrics(self) -> list[dict[str, Any]]:
        rows = checkpoint_metrics(self)
        copied = self.provenance.get("copy_input") or {}
        classifier = self.provenance.get("classifier") or {}
        for row, value in zip(rows, self.values):
            row["direction"] = value.settings.get("direction")
            if copied.get(value.name) is not None:
                row["copy_input"] = float(f"{copied[value.name]:.6g}")
            if value.metric == "l1":  # pixels, no network involved
                for key in ("extractor", "extractor_sha256", "reference_num_samples"):
                    row.pop(key, None)
            elif value.metric == CLASS_ACCURACY:
                row["extractor"], row["extractor_sha256"] = classifier.get("name"), classifier.get("sha256")
        return rows


def evaluate_translation(
    model: Any,
    *,
    dataset: Any = None,
    split: str = "test",
    dataset_options: Mapping[str, Any] | None = None,
    metrics: str | list[str] | tuple[str, ...] | None = None,
    directions: str | list[str] | tuple[str, ...] | None = None,
    num_samples: int = DEFAULT_NUM_SAMPLES,
    feature: str | None = None,
    feature_weights: str | Path | None = None,
    classifier: str | None = None,
    seed: int = 0,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: str | torch.device = "auto",
    precision: str = "auto",
    baseline: bool = True,
    metric_settings: Mapping[str, Mapping[str, Any]] | None = None,
    progress: bool | None = None,
    description: dict[str, Any] | None = None,
) -> TranslationResults:
    """Translate up to ``num_samples`` inputs of ``dataset`` and score the outputs (see the module doc).

    ``dataset`` is a registered name (``"edges2fashion"``, split ``split``), ``"NAME:SPLIT"``,
    or a dataset object whose items hold ``source`` and ``image``. ``directions`` defaults to
    all the model's directions; each gets its own rows (named ``FID[fmnist-cnn] b2a`` when there
    are several). ``metrics=None`` is ``l1,fid,class-accuracy``, each skipped with a note when
    the data cannot support it (no pairs, no labels); named explicitly, it is an error instead.
    ``feature`` and ``classifier`` default to the dataset's own
    (:func:`~ganzoo.eval.names.default_feature`, :func:`~ganzoo.eval.names.default_classifier`).

    >>> evaluate_translation(model, dataset="edges2fashion", num_samples=2000)["L1"]   # doctest: +SKIP
    """
    started = time.perf_counter()
    model = getattr(model, "model", model)
    if not is_translator(model):
        raise UsageError(f"{type(model).__name__} is not an image-to-image model; evaluate it with evaluate()")
    if int(num_samples) < 2:
        raise UsageError(f"--num-samples must be at least 2, got {num_samples}")
    explicit = metrics is not None
    names = parse_metrics(metrics, translator=True)
    settings = settings_for(names, metric_settings)
    chosen = [check_direction(model, d)
              for d in ([directions] if isinstance(directions, str) else directions or directions_of(model))]
    data, data_name, split = open_split(dataset, split, dataset_options)
    feature = feature or default_feature(data_name)
    classifier = classifier or default_classifier(data_name)
    paired = is_paired(data, model)
    feature_metrics = {n: build_metric(n, settings.get(n)) for n in names if n not in ("l1", CLASS_ACCURACY)}
    dev = evaluation_device(model, device)
    model.to(dev)
    notes: list[str] = []
    extractor = None
    precision_used = "fp32"
    if feature_metrics:
        check_extractor(feature)
        extractor = load_extractor(feature, weights=None if feature_weights is None else str(feature_weights),
                                   device=dev)
        precision_used, _ = autocast_for(extractor.default_precision if precision == "auto" else precision, dev)
    judge = None
    if CLASS_ACCURACY in names and classifier is not None:
        judge = extractor if extractor is not None and classifier == feature and feature_weights is None else \
            load_extractor(check_extractor(classifier).name, device=dev)
    show = sys.stderr.isatty() if progress is None else progress
    index = sample_indices(len(data), int(num_samples), seed)
    by_name = isinstance(dataset, (str, Path))  # only then are the options of the other split known
    other = other_split(data_name, split, dataset_options) if baseline and feature_metrics and by_name else None

    rows: list[MetricValue] = []
    copied: dict[str, float | None] = {}  # None: the inputs cannot stand in for the targets
    for direction in chosen:
        got = translate_split(model, data, index, direction, extractor, judge, precision_used, int(batch_size),
                               show, paired)
        suffix = f" {direction}" if len(chosen) > 1 else ""
        base = None
        if other is not None and extractor is not None:  # both set whenever a feature metric is chosen
            base = target_features(other, direction, len(index), seed, extractor, precision_used, int(batch_size))
        for name in names:
            if name == "l1":
                if not paired or got.l1 is None:
                    _cannot(explicit, notes, f"L1 needs paired data, and {_label(data_name)} is unpaired"
                            if not paired else "L1 needs targets of the outputs' shape")
                    continue
                rows.append(MetricValue(name=f"L1{suffix}", metric="l1", output="L1", value=got.l1,
                                        settings={"direction": direction, "pixel_range": [0, 1]}))
                copied[rows[-1].name] = got.l1_copy
            elif name == CLASS_ACCURACY:
                if judge is None:
                    _cannot(explicit, notes, f"class accuracy needs a classifier, and {_label(data_name)} "
                                             f"declares none")
                    continue
                labels = judge_labels(data, index, direction, judge)
                if labels is None:
                    _cannot(explicit, notes, f"class accuracy needs labels of classes that {classifier} knows, "
                                             f"and {_label(data_name)} has none for {direction}")
                    continue
                row = MetricValue(
                    name=f"ClassAccuracy[{classifier}]{suffix}", metric=CLASS_ACCURACY, output="ClassAccuracy",
                    value=class_accuracy(got.output_logits, labels),
                    baseline=class_accuracy(got.target_logits, labels),
                    higher_is_better=True, uses_reference=False,
                    settings={"direction": direction, "classifier": classifier,
                              "real_data": "the real targets with their true labels"})
                rows.append(row)
                copied[row.name] = class_accuracy(got.input_logits, labels)
            else:
                metric = feature_metrics[name]
                # extracted whenever a feature metric is chosen
                assert got.outputs is not None and got.inputs is not None
                real = got.targets if metric.needs_reference else None
                values = metric.compute(got.outputs, real, seed=seed)
                copy_values = metric.compute(got.inputs, real, seed=seed)
                base_values = metric.compute(base, real, seed=seed) if base is not None else {}
                assert extractor is not None  # loaded above whenever a feature metric is chosen
                for output in metric.outputs:
                    row = MetricValue(
                        name=f"{output}[{extractor.name}]{suffix}", metric=name, output=output,
                        value=values[output], std=values.get(f"{output}_std"), baseline=base_values.get(output),
                        baseline_std=base_values.get(f"{output}_std"),
                        higher_is_better=output in metric.higher_is_better, uses_reference=metric.needs_reference,
                        settings={"direction": direction, **metric.effective_settings(len(index), len(index))})
                    rows.append(row)
                    copied[row.name] = copy_values[output]
    if not rows:
        raise UsageError(f"none of the metrics ({', '.join(names)}) can be computed on {_label(data_name)}: "
                         f"{'; '.join(notes)}")
    reference = {"kind": "dataset", "dataset": data_name, "split": split, "num_samples": len(index),
                 "targets": "image (a2b) / source (b2a) of each item", "paired": paired}
    provenance = {
        "target": description or {"kind": "model", "class": type(model).__name__},
        "task": "image-to-image",
        "directions": chosen,
        "num_samples": len(index),
        "reference": reference,
        "baseline": None if other is None else {"dataset": data_name, "split": other[1], "num_samples":
                                                min(len(index), len(other[0])), "cached": False},
        "extractor": {**extractor.describe(), "weights": extractor.weights_path} if extractor is not None else {},
        "classifier": judge.describe() if judge is not None else None,
        "copy_input": copied,
        "seed": int(seed),
        "batch_size": int(batch_size),
        "precision": precision_used,
        "device": str(dev),
        "versions": library_versions(("torch-fidelity",) if feature == "inception" else ()),
        "notes": notes,
        "seconds": {"total": round(time.perf_counter() - started, 2)},
    }
    return TranslationResults(rows, provenance)


# -- pieces --------------------------------------------------------------------------------------
def _cannot(explicit: bool, notes: list[str], why: str) -> None:
    if explicit:
        raise UsageError(f"{why}; leave that metric out")
    if f"skipped: {why}" not in notes:
        notes.append(f"skipped: {why}")


def _label(name: str | None) -> str:
    return f"dataset '{name}'" if name else "this dataset"
