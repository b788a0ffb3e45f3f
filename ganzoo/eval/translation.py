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

Name parsing at the top is torch-free (the CLI checks ``--metrics`` before loading anything).
"""

from __future__ import annotations

import difflib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from ganzoo.errors import CheckpointError, UsageError
from ganzoo.eval.results import EvalResults, MetricValue, checkpoint_metrics

if TYPE_CHECKING:
    import torch
    from torch import Tensor

    from ganzoo.eval.features import FeatureExtractor, Features

#: The class-fidelity metric, computed here from the translations (generators get it from the registry).
CLASS_ACCURACY = "class-accuracy"
#: Names only translators take (``class-accuracy`` and its aliases come from the metrics registry).
TRANSLATION_METRICS = {"l1": "l1", "classes": CLASS_ACCURACY}
#: What ``metrics=None`` means for an image-to-image model.
DEFAULT_TRANSLATION_METRICS = ("l1", "fid", CLASS_ACCURACY)
DEFAULT_FEATURE = "fmnist-cnn"


# -- names, without torch ------------------------------------------------------------------------
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
    recorded = (pretrained.config.get("training") or {}).get("dataset")
    recorded = recorded if isinstance(recorded, dict) else {"name": recorded}
    description = {"kind": "pretrained", "name": getattr(pretrained, "name", None),
                   "source": getattr(pretrained, "source", None),
                   "architecture": (pretrained.config.get("architecture") or {}).get("name")}
    return Translator(pretrained.model, description, recorded.get("name"), dict(recorded.get("options") or {}))


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
        from ganzoo.train.rundir import load_run

        model, run = load_run(path)
        dataset = run.get("dataset") or {}
        loaded = run.get("loaded") or {}
        description = {"kind": "run", "path": str(path), "architecture": run["architecture"]["name"],
                       "checkpoint": loaded.get("checkpoint"), "step": loaded.get("step"), "ema": loaded.get("ema")}
        return Translator(model, description, dataset.get("name"), dict(dataset.get("options") or {}))
    return None


# -- the evaluation ----------------------------------------------------------------------------------
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
    num_samples: int = 10_000,
    feature: str = DEFAULT_FEATURE,
    feature_weights: str | Path | None = None,
    classifier: str = "fmnist-cnn",
    seed: int = 0,
    batch_size: int = 500,
    device: "str | torch.device" = "auto",
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

    >>> evaluate_translation(model, dataset="edges2fashion", num_samples=2000)["L1"]   # doctest: +SKIP
    """
    from ganzoo.eval.features import autocast_for, load_extractor
    from ganzoo.eval.metrics import build_metric
    from ganzoo.eval.names import check_extractor
    from ganzoo.eval.results import library_versions
    from ganzoo.train.devices import select_device
    from ganzoo.translation import check_direction, directions_of, is_paired, is_translator

    started = time.perf_counter()
    model = getattr(model, "model", model)
    if not is_translator(model):
        raise UsageError(f"{type(model).__name__} is not an image-to-image model; evaluate it with evaluate()")
    if int(num_samples) < 2:
        raise UsageError(f"--num-samples must be at least 2, got {num_samples}")
    explicit = metrics is not None
    names = parse_translation_metrics(metrics)
    settings = dict(metric_settings or {})
    unknown = sorted(set(settings) - set(names))
    if unknown:
        raise UsageError(f"settings given for metric(s) not being computed: {', '.join(unknown)}")
    chosen = [d for d in ([directions] if isinstance(directions, str) else directions or directions_of(model))]
    chosen = [check_direction(model, d) for d in chosen]
    data, data_name, split = _dataset(dataset, split, dataset_options)
    paired = is_paired(data, model)
    feature_metrics = {n: build_metric(n, settings.get(n)) for n in names if n not in ("l1", CLASS_ACCURACY)}
    dev = next(model.parameters()).device if str(device) == "auto" else select_device(str(device))
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
    if CLASS_ACCURACY in names:
        judge = extractor if extractor is not None and classifier == feature and feature_weights is None else \
            load_extractor(check_extractor(classifier).name, device=dev)
    show = sys.stderr.isatty() if progress is None else progress
    index = _subset(len(data), int(num_samples), seed)
    by_name = isinstance(dataset, (str, Path))  # only then are the options of the other split known
    other = _other_split(data_name, split, dataset_options) if baseline and feature_metrics and by_name else None

    rows: list[MetricValue] = []
    copied: dict[str, float] = {}
    for direction in chosen:
        got = _translate_split(model, data, index, direction, extractor, judge, precision_used, int(batch_size),
                               show, paired)
        suffix = f" {direction}" if len(chosen) > 1 else ""
        base = None
        if other is not None:
            base = _target_features(other, direction, len(index), seed, extractor, precision_used, int(batch_size))
        for name in names:
            if name == "l1":
                if not paired or got.l1 is None:
                    _cannot(explicit, notes, f"L1 needs paired data, and {_label(data, data_name)} is unpaired"
                            if not paired else "L1 needs targets of the outputs' shape")
                    continue
                rows.append(MetricValue(name=f"L1{suffix}", metric="l1", output="L1", value=got.l1,
                                        settings={"direction": direction, "pixel_range": [0, 1]}))
                copied[rows[-1].name] = got.l1_copy
            elif name == CLASS_ACCURACY:
                labels = _judge_labels(data, index, direction, judge)
                if labels is None:
                    _cannot(explicit, notes, f"class accuracy needs labels of classes that {classifier} knows, "
                                             f"and {_label(data, data_name)} has none for {direction}")
                    continue
                row = MetricValue(
                    name=f"ClassAccuracy[{classifier}]{suffix}", metric=CLASS_ACCURACY, output="ClassAccuracy",
                    value=_class_accuracy(got.output_logits, labels),
                    baseline=_class_accuracy(got.target_logits, labels),
                    higher_is_better=True, uses_reference=False,
                    settings={"direction": direction, "classifier": classifier,
                              "real_data": "the real targets with their true labels"})
                rows.append(row)
                copied[row.name] = _class_accuracy(got.input_logits, labels)
            else:
                metric = feature_metrics[name]
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
        raise UsageError(f"none of the metrics ({', '.join(names)}) can be computed on {_label(data, data_name)}: "
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


def _label(dataset: Any, name: str | None) -> str:
    return f"dataset '{name}'" if name else "this dataset"


def _dataset(dataset: Any, split: str, options: Mapping[str, Any] | None) -> tuple[Any, str | None, str]:
    """The dataset object, its registered name (if any) and split."""
    if dataset is None:
        raise UsageError("no dataset to evaluate on; pass dataset='NAME:SPLIT' (--reference on the command line)")
    if not isinstance(dataset, (str, Path)):
        info = getattr(dataset, "info", None)
        return dataset, getattr(info, "name", None), str(getattr(info, "split", split))
    from ganzoo.data import build_dataset
    from ganzoo.eval.names import parse_dataset_split

    text = str(dataset)
    if ":" in text:
        spec = parse_dataset_split(text, what="--reference")
        if spec is None:
            raise UsageError(f"bad --reference '{text}': give DATASET:SPLIT of a dataset with 'source' images")
        name, split = str(spec.dataset), str(spec.split)
    else:
        name = text
    built = build_dataset(name, split, **dict(options or {}))
    probe = built[0]
    if "source" not in probe or "image" not in probe:
        raise UsageError(f"dataset '{name}' has no 'source' images, so an image-to-image model cannot be scored "
                         f"on it; give --reference DATASET:SPLIT of a paired or unpaired image-to-image dataset")
    return built, name, split


def _other_split(name: str | None, split: str, options: Mapping[str, Any] | None) -> tuple[Any, str] | None:
    """The dataset's other split (train for test), for the real-data column; ``None`` when there is none."""
    if not name:
        return None
    from ganzoo.data import build_dataset
    from ganzoo.errors import GanzooError
    from ganzoo.registry import get_registry

    registry = get_registry("datasets")
    if name not in registry:
        return None
    splits = list(registry.get(name).metadata.get("splits") or [])
    other = "train" if split != "train" else "test"
    if other not in splits:
        return None
    try:
        return build_dataset(name, other, **dict(options or {})), other
    except GanzooError:
        return None


def _subset(total: int, n: int, seed: int) -> "Tensor":
    """All indices when ``n`` covers the split, else a seeded random subset, in order."""
    import torch

    if n >= total:
        return torch.arange(total)
    return torch.randperm(total, generator=torch.Generator().manual_seed(seed))[:n].sort().values


@dataclass
class _Translated:
    outputs: "Features | None" = None
    targets: "Features | None" = None
    inputs: "Features | None" = None
    output_logits: "Tensor | None" = None
    target_logits: "Tensor | None" = None
    input_logits: "Tensor | None" = None
    l1: float | None = None
    l1_copy: float | None = None


def _chunks(index: "Tensor", size: int, label: str, show: bool) -> Iterator["Tensor"]:
    if not show:
        yield from index.split(size)
        return
    from tqdm.auto import tqdm

    with tqdm(total=len(index), desc=label, unit="img", leave=False, file=sys.stderr, dynamic_ncols=True) as bar:
        for chunk in index.split(size):
            yield chunk
            bar.update(len(chunk))


def _translate_split(model: Any, data: Any, index: "Tensor", direction: str, extractor: "FeatureExtractor | None",
                     judge: "FeatureExtractor | None", precision: str, batch_size: int, show: bool,
                     paired: bool) -> _Translated:
    """Translate the split's inputs chunk by chunk; keep features, logits and L1 sums, never all images."""
    import torch

    from ganzoo.eval.features import Features
    from ganzoo.translation import data_keys, take, translate

    source_key, target_key, _ = data_keys(direction)
    feats: dict[str, list[Tensor]] = {"outputs": [], "targets": [], "inputs": []}
    logits: dict[str, list[Tensor]] = {"outputs": [], "targets": [], "inputs": []}
    l1_sum, copy_sum, l1_ok, copy_ok = 0.0, 0.0, paired, paired
    for chunk in _chunks(index, batch_size, f"translating {direction}", show):
        batch = take(data, chunk, (source_key, target_key))
        inputs, targets = batch[source_key].float(), batch[target_key].float()
        outputs = translate(model, inputs, direction, batch_size=batch_size)
        if l1_ok and outputs.shape == targets.shape:
            l1_sum += (outputs - targets).abs().mean(dim=(1, 2, 3)).sum().item() / 2
        else:
            l1_ok = False
        if copy_ok and inputs.shape == targets.shape:
            copy_sum += (inputs - targets).abs().mean(dim=(1, 2, 3)).sum().item() / 2
        else:
            copy_ok = False
        for key, images in (("outputs", outputs), ("targets", targets), ("inputs", inputs)):
            if extractor is not None:
                f, lg = _run(extractor, images, precision)
                feats[key].append(f)
                if judge is extractor and lg is not None:
                    logits[key].append(lg)
            if judge is not None and judge is not extractor:
                logits[key].append(_run(judge, images, "fp32")[1])
    n = len(index)
    got = _Translated(l1=l1_sum / n if l1_ok else None, l1_copy=copy_sum / n if copy_ok else None)
    for key in ("outputs", "targets", "inputs"):
        if feats[key]:
            setattr(got, key, Features(torch.cat(feats[key]), torch.cat(logits[key]) if logits[key] else None))
        if logits[key]:
            setattr(got, f"{key[:-1]}_logits", torch.cat(logits[key]))
    return got


def _run(extractor: "FeatureExtractor", images: "Tensor", precision: str) -> tuple["Tensor", "Tensor"]:
    from ganzoo.eval.features import autocast_for

    device = next(extractor.parameters()).device
    _, autocast = autocast_for(precision, device)
    with autocast:
        features, logits = extractor.features_and_logits(images.to(device))
    return features.cpu(), (None if logits is None else logits.cpu())


def _target_features(other: tuple[Any, str], direction: str, n: int, seed: int, extractor: Any, precision: str,
                     batch_size: int) -> "Features | None":
    """Features of ``n`` target-domain images of the other split: real data scored like outputs."""
    import torch

    from ganzoo.eval.features import Features
    from ganzoo.translation import data_keys, take

    data = other[0]
    _, target_key, _ = data_keys(direction)
    index = _subset(len(data), n, seed)
    feats, logits = [], []
    for chunk in index.split(batch_size):
        batch = take(data, chunk, (target_key,))
        if target_key not in batch:
            return None
        f, lg = _run(extractor, batch[target_key].float(), precision)
        feats.append(f)
        if lg is not None:
            logits.append(lg)
    return Features(torch.cat(feats), torch.cat(logits) if logits else None)


def _judge_labels(data: Any, index: "Tensor", direction: str, judge: Any) -> "Tensor | None":
    """The intended class of each output, in the classifier's class indices; ``None`` when unknown.

    Datasets label items with their own class indices (a two-class subset says 0 and 1); they
    are matched to the classifier's classes by name through ``dataset.info`` (``classes``, and
    ``source_classes`` for ``source_label`` when the two domains are listed apart).
    """
    import torch

    from ganzoo.translation import data_keys, take

    _, _, label_key = data_keys(direction)
    labels = take(data, index, (label_key,)).get(label_key)
    if labels is None or judge is None:
        return None
    labels = labels.long().reshape(-1)
    info = getattr(data, "info", None)
    names = getattr(info, "source_classes", None) if label_key == "source_label" else None
    names = names or getattr(info, "classes", None)
    known = _classifier_classes(judge)
    if names and known:
        lookup = {str(n).lower(): i for i, n in enumerate(known)}
        if all(str(n).lower() in lookup for n in names) and int(labels.max()) < len(names):
            table = torch.tensor([lookup[str(n).lower()] for n in names])
            return table[labels]
        return None
    if int(labels.max()) < int(getattr(judge, "num_classes", 0) or 0) and int(labels.min()) >= 0:
        return labels  # unnamed classes: taken to be the classifier's own indices
    return None


def _classifier_classes(judge: Any) -> list[str] | None:
    """Class names of a classifier: those of the dataset it was trained on (its ``domain``)."""
    from ganzoo.registry import get_registry

    domain = getattr(judge, "domain", None)
    registry = get_registry("datasets")
    if domain and domain in registry:
        classes = registry.get(domain).metadata.get("classes")
        return list(classes) if classes else None
    return None


def _class_accuracy(logits: "Tensor | None", labels: "Tensor") -> float:
    if logits is None:
        raise CheckpointError("the classifier gave no class logits; pick a classifier with a class head")
    return float((logits.argmax(dim=1) == labels).float().mean().item())
