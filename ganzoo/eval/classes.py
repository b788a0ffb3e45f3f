"""Class fidelity: does a classifier see the class a model was asked for?

A conditional generator asked for "Sneaker" should draw something a good classifier calls a
sneaker; a translator from sneakers to boots should draw boots. Both are measured the same way:
the share of images whose predicted class is the intended one, with a classifier from the
features registry: the dataset's own (its metadata's ``"classifier"``), else the one the
``class-accuracy`` metric names (for Fashion-MNIST ``fmnist-cnn``, 93% accurate on its real test
images, so real data sets the ceiling).

    >>> class_agreement(images, torch.full((len(images),), 7)).accuracy   # doctest: +SKIP
    0.94

The metric is ``class-accuracy`` (``ganzoo eval --metrics acc``) for both kinds of
model; this module measures the same thing from Python, with per-class values.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ganzoo.errors import UsageError


@torch.no_grad()
def predict_classes(images: Tensor, *, classifier: str | None = None, batch_size: int = 500,
                    device: str | torch.device = "cpu", dataset: str | None = None) -> Tensor:
    """The classifier's predicted class of each image in [-1, 1], as a ``[N]`` long tensor.

    ``classifier=None`` is :func:`~ganzoo.eval.names.default_classifier` of ``dataset``.
    """
    from ganzoo.eval.features import load_extractor

    classifier = _classifier(classifier, dataset)
    extractor = load_extractor(classifier, device=device)
    if not getattr(extractor, "num_classes", 0):
        raise UsageError(f"feature extractor '{classifier}' has no classifier head; pick one with classes")
    predictions = []
    for chunk in images.split(batch_size):  # type: ignore[no-untyped-call]  # Tensor.split is unannotated in torch
        logits = extractor.features_and_logits(chunk.to(device))[1]
        if logits is None:
            raise UsageError(f"feature extractor '{classifier}' gives no class logits")
        predictions.append(logits.argmax(dim=1).cpu())
    return torch.cat(predictions) if predictions else torch.empty(0, dtype=torch.long)


@dataclass(frozen=True)
class ClassAgreement:
    """Overall and per-class share of images classified as intended."""

    accuracy: float
    per_class: dict[int, float]
    count: int


def _classifier(classifier: str | None, dataset: str | None) -> str:
    from ganzoo.eval.names import default_classifier

    chosen = classifier or default_classifier(dataset)
    if not chosen:
        raise UsageError(f"no classifier named, and {f'dataset {dataset!r}' if dataset else 'no dataset'} "
                         f"declares one; pass classifier=")
    return chosen


def class_agreement(images: Tensor, labels: Tensor | int, *, classifier: str | None = None,
                    device: str | torch.device = "cpu", dataset: str | None = None) -> ClassAgreement:
    """How often ``classifier`` predicts ``labels`` (one per image, or one for all) on ``images``."""
    if images.shape[0] == 0:
        raise UsageError("class accuracy needs at least one image")
    wanted = torch.as_tensor(labels, dtype=torch.long).flatten()
    if wanted.numel() == 1:
        wanted = wanted.expand(images.shape[0])
    if wanted.numel() != images.shape[0]:
        raise UsageError(f"got {images.shape[0]} images but {wanted.numel()} labels")
    predicted = predict_classes(images, classifier=_classifier(classifier, dataset), device=device)
    hits = (predicted == wanted.cpu()).float()
    classes = wanted.unique()  # type: ignore[no-untyped-call]  # Tensor.unique is unannotated in torch
    per_class = {int(c): hits[wanted == c].mean().item() for c in classes}
    return ClassAgreement(accuracy=hits.mean().item(), per_class=per_class, count=int(hits.numel()))
