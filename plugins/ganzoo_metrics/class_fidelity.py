"""Class fidelity: does the classifier see the class a model was asked for?

``ClassAccuracy`` is the share of generated images whose predicted class (the argmax of the
feature extractor's logits, e.g. the bundled ``fmnist-cnn``) is the label the generator was
given. :func:`ganzoo.eval.evaluate` hands the labels in (``labels=``), drawn with the latents,
so the images are generated and classified once for every metric of an evaluation.

Its real-data row is the classifier's accuracy on the reference images with their true labels
(93% for ``fmnist-cnn`` on the Fashion-MNIST test split): the ceiling of what a generator can
score, since the classifier errs on real images too. Per-class values come from
:func:`ganzoo.eval.classes.class_agreement`.

Image-to-image models report the same value under the same name (``ClassAccuracy[fmnist-cnn]
a2b``): :func:`ganzoo.eval.translation.evaluate_translation` scores each output against the
class of its intended target. ``class-agreement`` (``ca``), the name translators used first,
is an alias.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor

from ganzoo.plugin import Features, Metric, UsageError


def _predictions(fake: Features, labels: Tensor | None) -> tuple[Tensor, Tensor]:
    if fake.logits is None:
        raise UsageError("class accuracy needs class logits, and this feature extractor has no classifier; "
                         "use --feature fmnist-cnn")
    if labels is None:
        raise UsageError("class accuracy needs the class each image was generated for; evaluate a "
                         "class-conditional model (or a labelled DATASET:SPLIT)")
    labels = torch.as_tensor(labels, dtype=torch.long).reshape(-1).cpu()
    if labels.numel() != len(fake):
        raise UsageError(f"class accuracy got {len(fake)} images but {labels.numel()} labels")
    if labels.numel() and int(labels.max()) >= fake.logits.shape[1]:
        raise UsageError(f"class {int(labels.max())} was asked for, but the classifier knows only "
                         f"{fake.logits.shape[1]} classes")
    return fake.logits.argmax(dim=1).cpu(), labels


class ClassAccuracy(Metric):
    """Share of images the classifier assigns to the class they were generated for (higher is better)."""

    outputs = ("ClassAccuracy",)
    needs_reference = False
    needs_logits = True
    higher_is_better = ("ClassAccuracy",)
    #: ``compute`` takes ``labels=``: the class each generated image was asked to be.
    needs_labels: ClassVar[bool] = True

    def compute(self, fake: Features, real: Features | None, *, seed: int = 0,
                labels: Tensor | None = None) -> dict[str, float]:
        predicted, labels = _predictions(fake, labels)
        return {"ClassAccuracy": float((predicted == labels).double().mean())}

    def effective_settings(self, n_fake: int, n_real: int) -> dict[str, Any]:
        return {"real_data": "the reference images with their true labels"}
