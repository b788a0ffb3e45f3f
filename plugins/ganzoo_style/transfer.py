"""``style_transfer``: the one-call Python API of neural style.

    >>> from ganzoo_style.transfer import style_transfer
    >>> image = style_transfer("photo.jpg", ["waves.png", "stars.jpg"], blend=[0.7, 0.3], size=256)  # doctest: +SKIP
    >>> ganzoo.images.write_image(image, "out.png")                                                   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import Tensor

from ganzoo_style.inputs import ImageLike
from ganzoo_style.model import NeuralStyle


def style_transfer(content: ImageLike, styles: ImageLike | Sequence[ImageLike], *, weights: str = "imagenet",
                   pool: str = "max", device: str | None = None, download: bool = True, **options: Any) -> Tensor:
    """Restyle ``content`` with ``styles``; returns one image ``[3, H, W]`` in [-1, 1].

    ``weights`` and ``pool`` build the VGG19 (see :class:`~ganzoo_style.model.NeuralStyle`);
    every other keyword (``blend``, ``size``, ``style_weight``, ``steps``, ``optimizer``,
    ``init``, ``seed``, ``preserve_color`` ...) goes to :meth:`NeuralStyle.transfer`. Build a
    :class:`NeuralStyle` yourself to restyle many images without reloading the weights.
    """
    model = NeuralStyle(weights=weights, pool=pool, download=download)
    if device is not None:
        model.to(device)
    return model.transfer(content, styles, **options)
