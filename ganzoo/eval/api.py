"""``evaluate()``: score a generator (or a folder of images) against real data, with provenance.

The expensive step is running the feature extractor, so it runs once per set of images and every
metric reads the same feature tensors: the generated set, the reference set and, for scale, the
real-vs-real baseline (the other split of the reference dataset, scored exactly like a model).
Reference features and baselines are cached on disk (:mod:`ganzoo.eval.cache`).
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganzoo.errors import GanzooError, UsageError
from ganzoo.eval import cache as eval_cache
from ganzoo.eval.features import FeatureExtractor, Features, autocast_for, extract, load_extractor
from ganzoo.eval.metrics import Metric, build_metric, metric_label
from ganzoo.eval.names import (
    ReferenceSpec,
    check_extractor,
    check_metric_names,
    default_classifier,
    default_feature,
    parse_metrics,
    parse_reference,
)
from ganzoo.eval.results import EvalResults, MetricValue, library_versions
from ganzoo.eval.settings import (  # noqa: F401  (importable from here, as before)
    DEFAULT_BATCH_SIZE,
    DEFAULT_NUM_SAMPLES,
    DEFAULT_REFERENCE,
    counted,
    evaluation_device,
    settings_for,
)
from ganzoo.eval.sources import ImageSource, load_target, reference_source, resolve_target
from ganzoo.eval.translators import as_translator


def evaluate(
    target: Any,
    *,
    metrics: str | list[str] | tuple[str, ...] | None = None,
    num_samples: int = DEFAULT_NUM_SAMPLES,
    reference: str | Path | None = None,
    feature: str | None = None,
    feature_weights: str | Path | None = None,
    seed: int = 0,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: str | torch.device = "auto",
    precision: str = "auto",
    baseline: bool = True,
    cache: bool = True,
    offline: bool = False,
    metric_settings: Mapping[str, Mapping[str, Any]] | None = None,
    progress: bool | None = None,
    truncation: float | None = None,
) -> EvalResults:
    """Score ``target`` with ``metrics`` against ``reference``, in ``feature``'s feature space.

    ``target`` is a model (a GAN module or a ``load_pretrained`` result), an image tensor
    ``[N, C, H, W]`` in [-1, 1], or any name ``ganzoo eval`` takes: a zoo name, ``hf:owner/repo``,
    a checkpoint folder, a run directory, a folder of images or ``DATASET:SPLIT``. ``metrics`` is
    ``"fid,kid,is,pr"`` (the default) or a list; ``metric_settings={"kid": {"subsets": 50}}``
    overrides a metric's defaults. ``device="auto"`` keeps a model object on its own device (a name
    goes to CUDA or MPS when there is one). ``progress=None`` shows bars when stderr is a terminal.
    ``feature=None`` is the reference dataset's own extractor (:func:`ganzoo.eval.names.default_feature`:
    the one its registry metadata names, ``inception`` for datasets and folders that name none).
    An image-to-image model is scored by :func:`ganzoo.eval.translation.evaluate_translation` on
    its training dataset's test split (or ``reference``, a ``DATASET:SPLIT``), with ``metrics``
    ``l1,fid,class-accuracy`` by default. ``truncation=T`` samples a model's latents inside
    ``[-T, T]`` (the truncation trick) and is written into the provenance as ``truncation``.

    >>> results = evaluate("dcgan-fashion", num_samples=10_000)      # doctest: +SKIP
    >>> results["FID[fmnist-cnn]"], results.get("FID").baseline       # doctest: +SKIP
    """
    started = time.perf_counter()
    if int(num_samples) < 2:
        raise UsageError(f"--num-samples must be at least 2, got {num_samples}")
    if int(batch_size) < 1:
        raise UsageError(f"--batch-size must be at least 1, got {batch_size}")
    check_metric_names(metrics)  # names of generator or translator metrics: typos fail before anything loads
    if reference is not None:
        parse_reference(str(reference))
    if feature is not None:
        check_extractor(feature)
    dev = evaluation_device(target, device)
    loaded = load_target(target, device=dev, offline=offline)  # a name is opened once, here
    translator = as_translator(loaded)
    if translator is not None:  # image-to-image: translate a dataset split instead of sampling
        if truncation is not None:
            raise UsageError("--truncation applies to models that sample latents; an image-to-image model has none")
        return translator.evaluate(
            reference=None if reference is None or str(reference) == DEFAULT_REFERENCE else reference,
            metrics=metrics,
            num_samples=num_samples, feature=feature, feature_weights=feature_weights, seed=seed,
            batch_size=batch_size, device=device, precision=precision, baseline=baseline,
            metric_settings=metric_settings, progress=progress)
    chosen_because = "given"
    if reference is None:
        reference, chosen_because = default_reference(loaded)
    ref_spec = parse_reference(str(reference))
    names = parse_metrics(metrics)
    settings = settings_for(names, metric_settings)
    chosen = {name: build_metric(name, settings.get(name)) for name in names}
    show = sys.stderr.isatty() if progress is None else progress
    asked_all = _asks_for_all(metrics)
    feature = _feature_for_metrics(chosen, feature, asked_all) or default_feature(ref_spec.dataset)

    extractor = load_extractor(feature, weights=None if feature_weights is None else str(feature_weights), device=dev)
    skipped = _fit_to_extractor(chosen, extractor, asked_all or metrics is None)  # defaults fit the extractor
    if precision == "auto":
        precision = extractor.default_precision
    precision_used, _ = autocast_for(precision, dev)
    job = _Job(extractor, precision_used, int(batch_size), int(seed), cache, show)
    seconds: dict[str, float] = {}

    tick = time.perf_counter()
    source = resolve_target(target, size=extractor.input_size, channels=extractor.input_channels, device=dev,
                            offline=offline, loaded=loaded, truncation=truncation)
    n_fake = source.count(int(num_samples))
    labelled = [name for name, metric in chosen.items() if _needs_labels(metric)]
    fake_labels = _class_labels(source, n_fake, job.seed, labelled, extractor, ref_spec.dataset) if labelled else None
    fake, _ = job.features(source, n_fake, "generating" if source.length is None else "target images")
    seconds["target"] = time.perf_counter() - tick

    tick = time.perf_counter()
    needs_reference = any(m.needs_reference for m in chosen.values())
    real, ref_cached, n_ref = None, False, 0
    if needs_reference:  # IS alone looks at the generated images only
        ref_source = reference_source(ref_spec, size=extractor.input_size, channels=extractor.input_channels)
        n_ref = ref_source.count(int(num_samples))
        real, ref_cached = job.features(ref_source, n_ref, "reference")
    seconds["reference"] = time.perf_counter() - tick

    tick = time.perf_counter()
    values: dict[str, dict[str, float]] = {}
    for name, metric in chosen.items():
        values[name] = _compute(metric, fake, real, fake_labels, job.seed)
    seconds["metrics"] = time.perf_counter() - tick

    tick = time.perf_counter()
    base_spec = ref_spec.baseline() if baseline else None
    base_values: dict[str, dict[str, float]] = {}
    base_info: dict[str, Any] | None = None
    unlabelled = {name: metric for name, metric in chosen.items() if name not in labelled}
    if base_spec is not None and unlabelled:
        base_values, base_info = _baselines(job, unlabelled, base_spec, ref_spec, real, n_fake, n_ref)
    labelled_info = None
    if baseline and labelled:
        labelled_values, labelled_info = _labelled_baselines(job, {n: chosen[n] for n in labelled}, ref_spec, n_fake)
        base_values.update(labelled_values)
    seconds["baseline"] = time.perf_counter() - tick
    seconds["total"] = time.perf_counter() - started

    notes = skipped + _domain_notes(extractor, ref_spec)
    rows = _rows(chosen, values, base_values, extractor.name, n_fake, n_ref)
    provenance = {
        "target": source.description,
        "num_samples": n_fake,
        "truncation": source.description.get("truncation") if isinstance(source.description, dict) else None,
        "reference": {**ref_spec.describe(), "num_samples": n_ref if needs_reference else None,
                      "cached": ref_cached, "chosen": chosen_because},
        "baseline": base_info,
        "class_baseline": labelled_info,
        "extractor": {**extractor.describe(), "weights": extractor.weights_path},
        "seed": job.seed,
        "batch_size": job.batch_size,
        "precision": precision_used,
        "device": str(dev),
        "metrics": {name: m.effective_settings(n_fake, n_ref) for name, m in chosen.items()},
        "versions": library_versions(("torch-fidelity",) if feature == "inception" else ()),
        "notes": notes,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
    }
    return EvalResults(rows, provenance)


def default_reference(loaded: Any) -> tuple[str, str]:
    """The test split of the dataset a loaded model was trained on (as ``ganzoo export`` scores it), and why.

    A run records ``dataset``, a checkpoint ``training.dataset``; images, tensors and models
    that record neither are compared with :data:`DEFAULT_REFERENCE`. The reason goes into the
    provenance, and ``ganzoo eval`` prints it beside the reference.
    """
    from ganzoo.hub.config import DatasetRecord
    from ganzoo.plugins import get_registry

    config = getattr(loaded, "config", None) or {}
    training = config.get("training")
    recorded = DatasetRecord.of(config.get("dataset") or (training.get("dataset") if isinstance(training, dict)
                                                          else None))
    if recorded is None or not recorded.name:
        what = "the model records no dataset" if loaded is not None else "images name no dataset"
        return DEFAULT_REFERENCE, f"the default reference: {what}"
    registry = get_registry("datasets")
    splits = list(registry.get(recorded.name).metadata.get("splits") or []) if recorded.name in registry else []
    split = "test" if not splits or "test" in splits else splits[-1]
    return f"{recorded.name}:{split}", f"the {split} split of the dataset the model was trained on"


#: What each extraction's progress label measures, for the error about non-finite features.
_SOURCES = {"generating": "the generated samples", "target images": "the target images",
            "reference": "the reference images", "real-vs-real": "the baseline's real images"}


def check_finite_features(features: Features, source: str, extractor: str) -> None:
    """Refuse NaN or infinite features (and logits) before any metric's linear algebra sees them.

    Covariances and square roots of matrices with NaN once crashed LAPACK with a segfault (issue
    22); the error names ``source`` ("the generated samples", "the reference images").
    """
    for what, tensor in (("features", features.features), ("logits", features.logits)):
        if tensor is None or not tensor.numel():
            continue
        finite = torch.isfinite(tensor).all(dim=1) if tensor.dim() == 2 else torch.isfinite(tensor).all().reshape(1)
        if bool(finite.all()):
            continue
        bad = int((~finite).sum())
        cause = ("the model makes NaN or infinite pixels: its weights may have diverged (pick an earlier "
                 "checkpoint)") if "generated" in source else "check those images"
        raise GanzooError(f"{source} give NaN or infinite {extractor} {what} ({bad} of {len(finite)} images), so "
                          f"no metric can be computed; {cause}")


class _Job:
    """The settings every feature extraction of one evaluation shares."""

    def __init__(self, extractor: FeatureExtractor, precision: str, batch_size: int, seed: int, cache: bool,
                 progress: bool) -> None:
        self.extractor = extractor
        self.precision = precision
        self.batch_size = batch_size
        self.seed = seed
        self.cache = cache
        self.progress = progress

    def features(self, source: ImageSource, n: int, label: str) -> tuple[Features, bool]:
        """Features of ``n`` images of ``source``: from the cache when allowed and present."""
        key = None
        if self.cache and source.cache_id is not None:
            key = eval_cache.cache_key({
                "kind": "features", "extractor": self.extractor.name, "sha256": self.extractor.sha256,
                "source": source.cache_id, "n": n, "precision": self.precision,
                "seed": self.seed if source.length is not None and n < source.length else None,
            })
            hit = eval_cache.load_features(key, rows=n, width=self.extractor.num_features or None,
                                           classes=self.extractor.num_classes or None)
            if hit is not None:
                return hit, True
        batches = counted(source.batches(n, self.batch_size, self.seed), n, label, self.progress)
        features = extract(batches, self.extractor, precision=self.precision)
        check_finite_features(features, _SOURCES.get(label, label), self.extractor.name)
        if key is not None:
            eval_cache.save_features(key, features, {**source.description, "n": n, "extractor": self.extractor.name})
        return features, False


def _baselines(job: _Job, chosen: dict[str, Metric], base_spec: ReferenceSpec, ref_spec: ReferenceSpec,
               real: Features | None, n_fake: int, n_ref: int) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Real-vs-real values: ``n_fake`` images of the other split scored like a model, cached per metric."""
    extractor = job.extractor
    source = reference_source(base_spec, size=extractor.input_size, channels=extractor.input_channels)
    n_base = source.count(n_fake)
    found: dict[str, dict[str, float]] = {}
    base: Features | None = None
    cached_all = True
    for name, metric in chosen.items():
        parts = {
            "kind": "baseline", "extractor": extractor.name, "sha256": extractor.sha256,
            "reference": ref_spec.describe(), "reference_n": n_ref if metric.needs_reference else None,
            "baseline": base_spec.describe(), "n": n_base, "seed": job.seed, "precision": job.precision,
            "metric": name, "settings": metric.effective_settings(n_base, n_ref),
        }
        key = eval_cache.cache_key(parts)
        cached = eval_cache.baseline_values(key) if job.cache else None
        if cached is not None:
            found[name] = cached
            continue
        cached_all = False
        if base is None:
            base, _ = job.features(source, n_base, "real-vs-real")
        found[name] = metric.compute(base, real if metric.needs_reference else None, seed=job.seed)
        if job.cache:
            eval_cache.save_json("baseline", key, {**parts, "values": found[name]})
    info = {**base_spec.describe(), "num_samples": n_base, "cached": cached_all,
            "against": str(ref_spec), "cache": str(eval_cache.cache_dir()) if job.cache else None}
    return found, info


def _asks_for_all(metrics: str | list[str] | tuple[str, ...] | None) -> bool:
    items = metrics.split(",") if isinstance(metrics, str) else list(metrics or ())
    return any(str(item).strip().lower() == "all" for item in items)


def _feature_for_metrics(chosen: dict[str, Metric], feature: str | None, asked_all: bool) -> str | None:
    """The extractor the chosen metrics call for: ``feature``, or the one metrics declare (``Metric.features``).

    Under ``--metrics all`` a metric of another space is left out later instead of refused.
    """
    declared = {name: metric.features for name, metric in chosen.items() if metric.features}
    if asked_all or not declared:
        return feature
    spaces = set(declared.values())
    if feature is not None and spaces != {feature}:
        name, space = next((n, f) for n, f in declared.items() if f != feature)
        raise UsageError(f"metric '{name}' is computed on its own features '{space}', not '{feature}'; "
                         f"drop --feature, or score '{name}' in a separate 'ganzoo eval' run")
    others = [name for name in chosen if name not in declared]
    if len(spaces) > 1 or others:
        name, space = next(iter(declared.items()))
        rest = ", ".join(others) or ", ".join(n for n, f in declared.items() if f != space)
        raise UsageError(f"metric '{name}' is computed on its own features '{space}', and {rest} on others; "
                         f"score them in separate 'ganzoo eval' runs")
    return next(iter(spaces))


def _fit_to_extractor(chosen: dict[str, Metric], extractor: FeatureExtractor, asked_all: bool) -> list[str]:
    """Drop (under ``--metrics all`` or the defaults, with a note each) or refuse metrics ``extractor`` cannot serve."""
    notes: list[str] = []
    for name, metric in list(chosen.items()):
        problem = None
        if metric.needs_logits and not extractor.num_classes and (asked_all or not _needs_labels(metric)):
            problem = f"'{name}' needs class logits, and feature extractor '{extractor.name}' gives none"
        elif metric.features and metric.features != extractor.name:
            problem = f"'{name}' is computed on features '{metric.features}', not '{extractor.name}'"
        if problem is None:
            continue
        if not asked_all:
            raise UsageError(f"{problem}; drop it from --metrics, or choose another --feature")
        del chosen[name]
        notes.append(f"left out {problem}")
        print(f"ganzoo: note: {notes[-1]}", file=sys.stderr)
    if not chosen:
        raise UsageError(f"no metric of --metrics can be computed with feature extractor '{extractor.name}'")
    return notes


def _needs_labels(metric: Metric) -> bool:
    """Class-fidelity metrics take the class each image was made for (``compute(..., labels=)``)."""
    return bool(getattr(metric, "needs_labels", False))


def _compute(metric: Metric, fake: Features, real: Features | None, labels: Tensor | None,
             seed: int) -> dict[str, float]:
    from ganzoo.plugins import plugin_code

    reference = real if metric.needs_reference else None
    with plugin_code(metric, what="compute"):  # a third-party metric's bug names its plugin
        if _needs_labels(metric):
            return metric.compute(fake, reference, seed=seed, labels=labels)  # type: ignore[call-arg]
        return metric.compute(fake, reference, seed=seed)


def _class_labels(source: ImageSource, n: int, seed: int, names: list[str], extractor: FeatureExtractor,
                  dataset: str | None) -> Tensor:
    """The class of each image ``source`` yields, checked against the classifier, before any is made."""
    wanted = ", ".join(names)
    what = source.description.get("name") or source.description.get("path") or "this target"
    if not extractor.num_classes:
        classifier = default_classifier(dataset)
        hint = f"use --feature {classifier}" if classifier else "use a feature extractor with a class head"
        raise UsageError(f"{wanted} needs a classifier, and feature extractor '{extractor.name}' has none; {hint}")
    labels = source.labels(n, seed)
    if labels is None:
        raise UsageError(f"{wanted} needs images made for known classes, and {what} has none "
                         f"(it is not class-conditional); evaluate a class-conditional model, or drop {wanted}")
    if source.num_classes != extractor.num_classes:
        raise UsageError(f"{what} has {source.num_classes} classes but classifier '{extractor.name}' knows "
                         f"{extractor.num_classes}; {wanted} needs a model trained on all the classes of "
                         f"the classifier's dataset ({extractor.domain or 'its own'})")
    return labels


def _labelled_baselines(job: _Job, chosen: dict[str, Metric], ref_spec: ReferenceSpec,
                        n_fake: int) -> tuple[dict[str, dict[str, float]], dict[str, Any] | None]:
    """Class-fidelity metrics on real data: the reference images scored with their true labels.

    The classifier learnt the train split, so the other-split baseline would flatter it; its
    accuracy on the reference (held-out test images by default) is what a generator can hope for.
    """
    extractor = job.extractor
    source = reference_source(ref_spec, size=extractor.input_size, channels=extractor.input_channels)
    n = source.count(n_fake)
    labels = source.labels(n, job.seed)
    if labels is None or source.num_classes != extractor.num_classes:
        return {}, None  # images without (the classifier's) classes: nothing to compare with
    real, cached = job.features(source, n, "reference")
    found = {name: _compute(metric, real, None, labels, job.seed) for name, metric in chosen.items()}
    return found, {**ref_spec.describe(), "num_samples": n, "labels": "true", "cached": cached}


def _rows(chosen: dict[str, Metric], values: dict[str, dict[str, float]], base_values: dict[str, dict[str, float]],
          extractor: str, n_fake: int, n_ref: int) -> list[MetricValue]:
    rows = []
    for name, metric in chosen.items():
        got, base = values[name], base_values.get(name, {})
        for output in metric.outputs:
            rows.append(MetricValue(
                name=metric_label(output, extractor), metric=name, output=output, value=got[output],
                std=got.get(f"{output}_std"), baseline=base.get(output), baseline_std=base.get(f"{output}_std"),
                higher_is_better=output in metric.higher_is_better, uses_reference=metric.needs_reference,
                settings=metric.effective_settings(n_fake, n_ref),
            ))
    return rows


def _domain_notes(extractor: FeatureExtractor, ref_spec: ReferenceSpec) -> list[str]:
    """A warning when a domain-specific extractor scores data from another domain."""
    if extractor.domain and ref_spec.dataset and ref_spec.dataset != extractor.domain:
        note = (f"{extractor.name} was trained on {extractor.domain}; its features say little about "
                f"{ref_spec.dataset} (use --feature inception for other data)")
        warnings.warn(note, stacklevel=3)
        return [note]
    return []
