"""The three terms neural style minimises: content, style (Gram matrices) and total variation.

Gatys et al. weight each layer's squared Gram error by ``1 / (4 N^2 M^2)`` and pick weights
that suit ImageNet VGG19 activations. ganzoo divides each term by the size of its own target
instead: the content term by the mean square of the content's features, each style layer by the
squared norm of the style's Gram matrix. The five style layers then count equally and the
weights mean the same whatever the network (ImageNet or random weights) and image size, which
is what lets one set of defaults serve both. It is a re-weighting of the paper's layers, not a
different objective.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from ganzoo_style.vgg import VGGFeatures

_EPS = 1e-12


def gram(features: Tensor) -> Tensor:
    """Channel correlations ``F F^T / (H W)`` of ``[N, C, H, W]`` maps: ``[N, C, C]``.

    Dividing by the number of positions makes the Gram matrix of a style image comparable
    with that of an output of another size.
    """
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    return flat @ flat.transpose(1, 2) / (h * w)


def content_term(features: Tensor, target: Tensor) -> Tensor:
    """Mean squared feature error, relative to the target's mean square."""
    return (features - target).pow(2).mean() / target.pow(2).mean().clamp_min(_EPS)


def style_term(gram_matrix: Tensor, target: Tensor) -> Tensor:
    """Squared Gram error, relative to the squared norm of the target Gram matrix."""
    return (gram_matrix - target).pow(2).sum() / target.pow(2).sum().clamp_min(_EPS)


def total_variation(images: Tensor) -> Tensor:
    """Mean squared difference between neighbouring pixels: penalises high-frequency noise."""
    dy = images[..., 1:, :] - images[..., :-1, :]
    dx = images[..., :, 1:] - images[..., :, :-1]
    return dy.pow(2).mean() + dx.pow(2).mean()


@dataclass(frozen=True)
class Weights:
    """How much each term counts; the defaults of ``ganzoo style-transfer``."""

    content: float = 1.0
    style: float = 1e3
    tv: float = 1.0


class StyleObjective:
    """The weighted loss of one image against fixed content and (blended) style targets.

    The targets are computed once. Several styles are blended by averaging their Gram
    matrices with the given weights, which is the same as a weighted sum of squared errors
    against each style up to a constant.
    """

    def __init__(self, features: VGGFeatures, content: Tensor, styles: Sequence[Tensor], blend: Sequence[float],
                 *, content_layers: Sequence[str], style_layers: Sequence[str], weights: Weights) -> None:
        self.features = features
        self.content_layers = tuple(content_layers)
        self.style_layers = tuple(style_layers)
        self.layers = tuple(dict.fromkeys(self.content_layers + self.style_layers))
        self.weights = weights
        with torch.no_grad():
            found = features(content, self.content_layers)
            self.content_targets = {name: found[name].detach() for name in self.content_layers}
            self.style_targets = {name: torch.zeros(()) for name in self.style_layers}
            for style, share in zip(styles, blend):
                found = features(style, self.style_layers)
                for name in self.style_layers:
                    self.style_targets[name] = self.style_targets[name] + share * gram(found[name])

    def __call__(self, image: Tensor) -> tuple[Tensor, dict[str, float]]:
        """The total loss (with autograd) and each unweighted term as a float."""
        found = self.features(image, self.layers)
        content = torch.stack([content_term(found[n], self.content_targets[n]) for n in self.content_layers]).mean()
        style = torch.stack([style_term(gram(found[n]), self.style_targets[n]) for n in self.style_layers]).mean()
        tv = total_variation(image)
        w = self.weights
        total = w.content * content + w.style * style + w.tv * tv
        return total, {"content": float(content.detach()), "style": float(style.detach()), "tv": float(tv.detach())}
