"""Checks on every registered dataset: it builds (or says the data is missing), and its items fit.

A dataset is built with the tiny options it declares in ``metadata["test_kwargs"]`` (none
otherwise). Data that is not on this machine is no failure when the dataset says so with a
one-line :class:`~ganzoo.errors.DataUnavailableError`, and so is a dataset of the user's own files
(``root=FOLDER``) that declares no ``test_kwargs`` and says what it needs in a one-line usage
error; the item checks then have nothing to check.
"""

from __future__ import annotations

from typing import Any

from ganzoo.errors import DataUnavailableError, UsageError
from ganzoo.testing.framework import CheckContext, conformance_check
from ganzoo.testing.framework import expect as _expect

#: Items read by the item checks (the first ones, and the last).
ITEMS_CHECKED = 4


def _build(ctx: CheckContext) -> Any:
    """The dataset built from ``test_kwargs``, or ``None`` when its data is not on this machine."""
    from ganzoo.data import build_dataset

    try:
        return build_dataset(ctx.name, "train", **ctx.test_kwargs)
    except DataUnavailableError as exc:
        _expect(bool(str(exc)) and "\n" not in str(exc), f"DataUnavailableError must be one line: {exc!r}")
        return None
    except UsageError as exc:
        if ctx.test_kwargs:  # the declared test options must work
            raise
        # a dataset of the user's own files (root=FOLDER) cannot build without options: say so in one line
        _expect(bool(str(exc)) and "\n" not in str(exc), f"the error without options must be one line: {exc!r}")
        return None


@conformance_check("datasets", "builds")
def _builds(ctx: CheckContext) -> None:
    """``build_dataset(name, **test_kwargs)`` gives a sized dataset, or a clean DataUnavailableError."""
    dataset = _build(ctx)
    if dataset is None:
        return
    _expect(hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__"),
            f"the factory returned {type(dataset).__name__}, which has no __getitem__/__len__")
    _expect(len(dataset) > 0, "the dataset is empty")


@conformance_check("datasets", "items")
def _items(ctx: CheckContext) -> None:
    """Items are dicts with a float ``image`` tensor in [-1, 1] of the declared shape; labels in range."""
    import torch

    dataset = _build(ctx)
    if dataset is None or len(dataset) == 0:
        return
    meta = ctx.spec.metadata if ctx.spec is not None else {}
    info = getattr(dataset, "info", None)
    channels = getattr(info, "channels", None) or ctx.test_kwargs.get("channels") or meta.get("channels")
    size = getattr(info, "size", None) or ctx.test_kwargs.get("size")
    num_classes = getattr(info, "num_classes", 0) or 0
    indices = sorted({*range(min(ITEMS_CHECKED, len(dataset))), len(dataset) - 1})
    for index in indices:
        item = dataset[index]
        _expect(isinstance(item, dict), f"item {index} is a {type(item).__name__}, not a dict")
        image = item.get("image")
        _expect(isinstance(image, torch.Tensor), f"item {index} has no 'image' tensor")
        _expect(image.dim() == 3 and image.is_floating_point(),
                f"item {index}'s image must be a float [C, H, W] tensor, got {image.dtype} {tuple(image.shape)}")
        _expect(bool(torch.isfinite(image).all()) and float(image.min()) >= -1.0 and float(image.max()) <= 1.0,
                f"item {index}'s image leaves [-1, 1]: [{float(image.min()):.3f}, {float(image.max()):.3f}]")
        if channels:
            _expect(image.shape[0] == int(channels),
                    f"item {index}'s image has {image.shape[0]} channels, the dataset declares {channels}")
        if size:
            _expect(tuple(image.shape[1:]) == (int(size), int(size)),
                    f"item {index}'s image is {image.shape[1]}x{image.shape[2]}, the dataset declares {size}x{size}")
        if "label" in item and num_classes:
            label = int(item["label"])
            _expect(0 <= label < num_classes, f"item {index}'s label {label} is outside 0..{num_classes - 1}")
