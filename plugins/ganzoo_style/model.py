"""``NeuralStyle``: Gatys, Ecker & Bethge (2016), "Image Style Transfer Using Convolutional Neural
Networks" (arXiv:1508.06576), as a frozen VGG19 with a ``transfer`` method.

It is not a GAN and has no trainer: each call optimises the pixels of one image so that its
VGG19 features match the content image at ``relu4_2`` and the Gram matrices of the style
image(s) at ``relu1_1`` ... ``relu5_1``, with a total-variation term against noise.

    >>> model = NeuralStyle(weights="random")                             # doctest: +SKIP
    >>> out = model.transfer("photo.jpg", "waves.png", size=256, steps=100)   # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.plugin import UsageError
from ganzoo_style import color
from ganzoo_style.inputs import ImageLike, resize, style_size, to_signed, to_unit_batch, working_size
from ganzoo_style.losses import StyleObjective, Weights
from ganzoo_style.optimise import optimise
from ganzoo_style.vgg import CONTENT_LAYERS, POOLS, STYLE_LAYERS, VGGFeatures, check_layers
from ganzoo_style.weights import load_weights

INITS = ("content", "noise", "style")
#: ``callback(step, logs, image)``: after every step, with the current image [3, H, W] in [-1, 1].
Callback = Callable[[int, "dict[str, float]", Tensor], None]


def blend_weights(count: int, blend: Sequence[float] | None) -> list[float]:
    """One non-negative share per style, normalised to sum to 1 (equal shares when None)."""
    if blend is None:
        return [1.0 / count] * count
    shares = [float(b) for b in blend]
    if len(shares) != count:
        raise UsageError(f"got {len(shares)} style blend weights for {count} style image(s); give one per style")
    if any(s < 0 for s in shares) or sum(shares) <= 0:
        raise UsageError(f"style blend weights must be non-negative and not all zero, got {shares}")
    return [s / sum(shares) for s in shares]


class NeuralStyle(nn.Module):
    """A frozen VGG19 (up to ``relu5_1``) that restyles images with :meth:`transfer`.

    Args:
        weights: ``"imagenet"`` (torchvision's file, downloaded once when missing and allowed),
            ``"random"`` (untrained, fixed seed: tests and experiments) or a ``.pth`` /
            ``.safetensors`` path.
        pool: ``"max"`` (VGG's own) or ``"avg"`` (the paper's suggestion for smoother images).
        content_layers: layers whose activations the output keeps from the content image.
        style_layers: layers whose Gram matrices the output takes from the style image(s).
        download: whether ``"imagenet"`` may be downloaded; not part of ``config``.
    """

    task = "style-transfer"

    def __init__(self, weights: str | os.PathLike[str] = "imagenet", pool: str = "max",
                 content_layers: Sequence[str] = CONTENT_LAYERS, style_layers: Sequence[str] = STYLE_LAYERS,
                 *, download: bool = True) -> None:
        super().__init__()
        weights = os.fspath(weights)  # a Path is fine; config keeps a string
        if pool not in POOLS:
            raise UsageError(f"pool must be one of {', '.join(POOLS)}, not {pool!r}")
        self.content_layers = check_layers(content_layers, "content")
        self.style_layers = check_layers(style_layers, "style")
        self.config: dict[str, Any] = {"weights": weights, "pool": pool, "content_layers": list(self.content_layers),
                                       "style_layers": list(self.style_layers)}
        self.vgg = VGGFeatures(pool)
        #: Where the weights came from: ``random (seed 0)`` or the file read.
        self.weights_source = load_weights(self.vgg.features, weights, download=download)
        self.vgg.requires_grad_(False)
        self.eval()

    @property
    def device(self) -> torch.device:
        return self.vgg.mean.device

    def transfer(
        self,
        content: ImageLike,
        style: ImageLike | Sequence[ImageLike],
        *,
        blend: Sequence[float] | None = None,
        size: int | None = None,
        style_scale: float = 1.0,
        content_weight: float = Weights.content,
        style_weight: float = Weights.style,
        tv_weight: float = Weights.tv,
        steps: int = 300,
        optimizer: str = "lbfgs",
        lr: float | None = None,
        init: str = "content",
        seed: int = 0,
        preserve_color: bool = False,
        callback: Callback | None = None,
        progress: bool = False,
    ) -> Tensor:
        """``content`` painted in the manner of ``style``: one image ``[3, H, W]`` in [-1, 1] (CPU).

        Args:
            content: path, Pillow image or ``[C, H, W]`` tensor in [-1, 1].
            style: one such image or a list of them, mixed by ``blend`` (equal by default).
            size: the output's longer side in pixels, at most 8192 (default: the content's own size,
                shrunk to 512 when larger: see :data:`ganzoo_style.inputs.DEFAULT_SIDE`).
            style_scale: the style images' longer side relative to the output's; smaller
                values give finer brush strokes.
            content_weight, style_weight, tv_weight: how much each term counts (each term is
                relative to its target's size, see :mod:`ganzoo_style.losses`).
            steps: L-BFGS iterations or Adam updates.
            optimizer: ``"lbfgs"`` (the paper's) or ``"adam"``; ``lr`` defaults to 1 and 0.02.
            init: start from the ``"content"``, from uniform ``"noise"`` (the paper's choice,
                seeded by ``seed``) or from the first ``"style"`` image.
            preserve_color: transfer on luminance only and keep the content's colours.
            callback: ``callback(step, logs, image)`` after every step.
            progress: show a progress bar with the loss terms.
        """
        if init not in INITS:
            raise UsageError(f"init must be one of {', '.join(INITS)}, not {init!r}")
        if not style_scale > 0:
            raise UsageError(f"style_scale must be positive, got {style_scale}")
        for name, value in (("content", content_weight), ("style", style_weight), ("tv", tv_weight)):
            if not value >= 0:
                raise UsageError(f"the {name} weight must be zero or more, got {value}")
        styles: list[ImageLike] = list(style) if isinstance(style, (list, tuple)) else [style]  # type: ignore[list-item]
        if not styles:
            raise UsageError("give at least one style image")
        shares = blend_weights(len(styles), blend)
        device = self.device

        content_batch = to_unit_batch(content, "content image", lambda h, w: working_size(h, w, size)).to(device)
        height, width = content_batch.shape[-2:]
        style_side = max(height, width) * style_scale
        style_batches = []
        for index, item in enumerate(styles, 1):
            batch = to_unit_batch(item, f"style image {index}", lambda h, w: style_size(h, w, style_side))
            style_batches.append(batch.to(device))

        if preserve_color:
            content_y = color.luminance(content_batch)
            targets_content = content_y.expand(-1, 3, -1, -1)
            targets_styles = [color.match_luminance(color.luminance(s), content_y).expand(-1, 3, -1, -1)
                              for s in style_batches]
        else:
            targets_content, targets_styles = content_batch, style_batches
        objective = StyleObjective(self.vgg, targets_content, targets_styles, shares,
                                   content_layers=self.content_layers, style_layers=self.style_layers,
                                   weights=Weights(content_weight, style_weight, tv_weight))
        channels = 1 if preserve_color else 3
        image = self._initial(init, targets_content, targets_styles[0], seed)[:, :channels].clone().contiguous()

        def to_rgb(pixels: Tensor) -> Tensor:
            return color.with_chroma(pixels, content_batch) if preserve_color else pixels

        def loss_fn(pixels: Tensor) -> tuple[Tensor, dict[str, float]]:
            return objective(pixels.expand(-1, 3, -1, -1) if preserve_color else pixels)

        step_callback = None
        if callback is not None:
            def step_callback(step: int, pixels: Tensor, logs: dict[str, float]) -> None:
                callback(step, logs, to_rgb(pixels)[0] * 2 - 1)

        with torch.enable_grad():
            optimise(image, loss_fn, steps=steps, optimizer=optimizer, lr=lr, callback=step_callback,
                     progress=progress)
        with torch.no_grad():
            return to_signed(to_rgb(image))

    @staticmethod
    def _initial(init: str, content: Tensor, style: Tensor, seed: int) -> Tensor:
        if init == "content":
            return content
        if init == "style":
            return resize(style, (int(content.shape[-2]), int(content.shape[-1])), "style image")
        generator = torch.Generator().manual_seed(seed)
        return torch.rand(content.shape, generator=generator).to(content.device)
