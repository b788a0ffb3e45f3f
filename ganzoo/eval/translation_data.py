"""Passes over a dataset split for :func:`ganzoo.eval.translation.evaluate_translation`.

Opening the split (and its other split, for the real-data column), translating its inputs chunk
by chunk into features and class logits (never holding all images), and the intended class of
each output in the classifier's own class indices.

    >>> got = translate_split(model, data, index, "a2b", extractor, judge, "fp32", 500, False, True)  # doctest: +SKIP
    >>> got.l1, got.outputs.features.shape                                                          # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganzoo.errors import CheckpointError, UsageError
from ganzoo.eval.features import FeatureExtractor, Features, extract
from ganzoo.eval.names import ReferenceSpec, parse_dataset_split
from ganzoo.eval.settings import counted
from ganzoo.eval.sources import sample_indices
from ganzoo.translation import data_keys, take, translate


# -- the data ------------------------------------------------------------------------------------
def open_split(dataset: Any, split: str, options: Mapping[str, Any] | None) -> tuple[Any, str | None, str]:
    """The dataset object, its registered name (if any) and split."""
    if dataset is None:
        raise UsageError("no dataset to evaluate on; pass dataset='NAME:SPLIT' (--reference on the command line)")
    if not isinstance(dataset, (str, Path)):
        info = getattr(dataset, "info", None)
        return dataset, getattr(info, "name", None), str(getattr(info, "split", split))
    from ganzoo.data import build_dataset

    name = str(dataset)
    if ":" in name:  # DATASET:SPLIT, checked against the registry (never None with a colon)
        spec = parse_dataset_split(name, what="--reference")
        name, split = str(spec.dataset), str(spec.split)  # type: ignore[union-attr]
    built = build_dataset(name, split, **dict(options or {}))
    probe = built[0]
    if "source" not in probe or "image" not in probe:
        raise UsageError(f"dataset '{name}' has no 'source' images, so an image-to-image model cannot be scored "
                         f"on it; give --reference DATASET:SPLIT of a paired or unpaired image-to-image dataset")
    return built, name, split


def other_split(name: str | None, split: str, options: Mapping[str, Any] | None) -> tuple[Any, str] | None:
    """The dataset's other split (train for test), for the real-data column; ``None`` when there is none."""
    if not name:
        return None
    from ganzoo.data import build_dataset
    from ganzoo.errors import GanzooError
    from ganzoo.plugins import get_registry

    if name not in get_registry("datasets"):
        return None
    other = ReferenceSpec(name, split).baseline()
    if other is None:
        return None
    try:
        return build_dataset(name, str(other.split), **dict(options or {})), str(other.split)
    except GanzooError:
        return None


# -- translating and extracting ------------------------------------------------------------------
@dataclass
class Translated:
    """What one pass over a split keeps: features and logits of outputs, targets and inputs, L1 means."""

    outputs: Features | None = None
    targets: Features | None = None
    inputs: Features | None = None
    output_logits: Tensor | None = None
    target_logits: Tensor | None = None
    input_logits: Tensor | None = None
    l1: float | None = None
    l1_copy: float | None = None


def translate_split(model: Any, data: Any, index: Tensor, direction: str, extractor: FeatureExtractor | None,
                    judge: FeatureExtractor | None, precision: str, batch_size: int, show: bool,
                    paired: bool) -> Translated:
    """Translate the split's inputs chunk by chunk; keep features, logits and L1 sums, never all images."""
    source_key, target_key, _ = data_keys(direction)
    feats: dict[str, list[Tensor]] = {"outputs": [], "targets": [], "inputs": []}
    logits: dict[str, list[Tensor]] = {"outputs": [], "targets": [], "inputs": []}
    l1_sum, copy_sum, l1_ok, copy_ok = 0.0, 0.0, paired, paired
    chunks = index.split(batch_size)  # type: ignore[no-untyped-call]  # Tensor.split is unannotated in torch
    for chunk in counted(iter(chunks), len(index), f"translating {direction}", show):
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
                got = extract((images,), extractor, precision=precision)
                feats[key].append(got.features)
                if judge is extractor and got.logits is not None:
                    logits[key].append(got.logits)
            if judge is not None and judge is not extractor:
                logits[key].append(extract((images,), judge, precision="fp32").logits)  # type: ignore[arg-type]
    n = len(index)
    result = Translated(l1=l1_sum / n if l1_ok else None, l1_copy=copy_sum / n if copy_ok else None)
    for key in ("outputs", "targets", "inputs"):
        if feats[key]:
            setattr(result, key, Features(torch.cat(feats[key]), torch.cat(logits[key]) if logits[key] else None))
        if logits[key]:
            setattr(result, f"{key[:-1]}_logits", torch.cat(logits[key]))
    return result


def target_features(other: tuple[Any, str], direction: str, n: int, seed: int, extractor: FeatureExtractor,
                    precision: str, batch_size: int) -> Features | None:
    """Features of ``n`` target-domain images of the other split: real data scored like outputs."""
    data = other[0]
    _, target_key, _ = data_keys(direction)
    chunks = sample_indices(len(data), n, seed).split(batch_size)  # type: ignore[no-untyped-call]  # Tensor.split is unannotated in torch
    if target_key not in take(data, chunks[0][:1], (target_key,)):
        return None
    batches = (take(data, chunk, (target_key,))[target_key].float() for chunk in chunks)
    return extract(batches, extractor, precision=precision)


# -- classes ---------------------------------------------------------------------------------------
def judge_labels(data: Any, index: Tensor, direction: str, judge: Any) -> Tensor | None:
    """The intended class of each output, in the classifier's class indices; ``None`` when unknown.

    Datasets label items with their own class indices (a two-class subset says 0 and 1); they
    are matched to the classifier's classes by name through ``dataset.info`` (``classes``, and
    ``source_classes`` for ``source_label`` when the two domains are listed apart).
    """
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
    from ganzoo.plugins import get_registry

    domain = getattr(judge, "domain", None)
    registry = get_registry("datasets")
    if domain and domain in registry:
        classes = registry.get(domain).metadata.get("classes")
        return list(classes) if classes else None
    return None


def class_accuracy(logits: Tensor | None, labels: Tensor) -> float:
    """The share of ``logits`` whose top class is ``labels``; an error for a classifier without a class head."""
    if logits is None:
        raise CheckpointError("the classifier gave no class logits; pick a classifier with a class head")
    return float((logits.argmax(dim=1) == labels).float().mean().item())
