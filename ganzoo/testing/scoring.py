"""Checks on every registered metric and feature extractor: the scoring contract of docs/plugins.md.

An extractor is built with its defaults (where its weights are not on this machine, a one-line
:class:`~ganzoo.errors.GanzooError` saying where to get them is the contract) and fed random
images of both channel counts and an odd size. A metric computes on random features; what it
returns must be every declared output, as finite floats, the same for the same seed.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

from ganzoo.testing.framework import CheckContext, ConformanceError, conformance_check
from ganzoo.testing.framework import expect as _expect

#: Feature width and class count of the random features a metric is checked on.
_FEATURES, _CLASSES, _N = 16, 5, 40


def _build_extractor(ctx: CheckContext) -> Any:
    """The extractor with default weights, never downloaded; ``None`` after a proper one-line refusal."""
    from ganzoo.errors import GanzooError

    previous = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        return ctx.factory()()
    except GanzooError as exc:
        _expect(bool(str(exc)) and "\n" not in str(exc), f"the error without its weights must be one line: {exc!r}")
        return None
    finally:
        if previous is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = previous


@conformance_check("features", "extracts")
def _extracts(ctx: CheckContext) -> None:
    """Attributes declared; features ``[N, num_features]`` and logits ``[N, num_classes]`` (or None) of any images.

    Runs through :func:`ganzoo.eval.features.extract`, as evaluation does, so an extractor
    without weights (a pixel-space one) must work too.
    """
    import torch

    from ganzoo.eval.features import FeatureExtractor, extract

    extractor = _build_extractor(ctx)
    if extractor is None:
        return
    _expect(isinstance(extractor, FeatureExtractor),
            f"the factory returned {type(extractor).__name__}, not a ganzoo.plugin FeatureExtractor subclass")
    _expect(extractor.name == ctx.name, f"extractor.name is {extractor.name!r} but it is registered as {ctx.name!r}")
    for attribute in ("num_features", "input_size"):
        value = getattr(extractor, attribute)
        _expect(isinstance(value, int) and value > 0, f"extractor.{attribute} must be a positive int, got {value!r}")
    _expect(isinstance(extractor.num_classes, int) and extractor.num_classes >= 0,
            f"extractor.num_classes must be an int >= 0 (0: no logits), got {extractor.num_classes!r}")
    _expect(extractor.input_channels in (1, 3), f"extractor.input_channels must be 1 or 3, "
                                                f"got {extractor.input_channels!r}")
    _expect(isinstance(extractor.sha256, str), "extractor.sha256 must be a string (empty when it has no weights)")
    try:
        json.dumps(extractor.describe())
    except (TypeError, ValueError) as exc:
        raise ConformanceError(f"extractor.describe() is not JSON-able: {exc}") from exc
    generator = torch.Generator().manual_seed(0)
    for channels in (1, 3):
        images = torch.rand(3, channels, 20, 20, generator=generator) * 2 - 1
        found = extract([images[:2], images[2:]], extractor.eval(), precision="fp32")
        again = extract([images], extractor, precision="fp32")
        shape = tuple(found.features.shape)
        _expect(shape == (3, extractor.num_features), f"features of 3 {channels}-channel images have shape {shape}, "
                                                      f"expected (3, {extractor.num_features})")
        _expect(bool(torch.isfinite(found.features).all()), "features hold NaN or inf")
        if extractor.num_classes:
            logits = found.logits
            _expect(logits is not None and tuple(logits.shape) == (3, extractor.num_classes),
                    f"num_classes is {extractor.num_classes} but logits are "
                    f"{None if logits is None else tuple(logits.shape)}")
        else:
            _expect(found.logits is None, "num_classes is 0 but _features_and_logits returned logits")
        _expect(torch.allclose(found.features, again.features, atol=1e-4),
                "the same images gave other features in another batch (batch norm in training mode?)")


@conformance_check("metrics", "computes")
def _computes(ctx: CheckContext) -> None:
    """A ``Metric`` subclass whose ``compute`` gives every declared output as a finite float, repeatably.

    Its registry metadata's ``outputs`` match the class's; a metric that names its own
    ``features`` names a registered extractor.
    """
    import torch

    from ganzoo.eval.features import Features
    from ganzoo.eval.metrics import Metric

    cls = ctx.factory()
    _expect(isinstance(cls, type) and issubclass(cls, Metric),
            f"{ctx.spec.target if ctx.spec else ctx.name} is not a subclass of ganzoo.plugin Metric")
    metric = cls()
    outputs = tuple(metric.outputs)
    _expect(bool(outputs) and all(isinstance(o, str) for o in outputs), "Metric.outputs must name its values")
    declared = ctx.spec.metadata.get("outputs") if ctx.spec else None
    _expect(declared is None or list(declared) == list(outputs),
            f"the registry metadata says outputs {declared} but the class says {list(outputs)}")
    _expect(set(metric.higher_is_better) <= set(outputs),
            f"higher_is_better {metric.higher_is_better} names values that are not outputs {outputs}")
    if metric.features is not None:
        from ganzoo.plugins import get_registry

        _expect(metric.features in get_registry("features"),
                f"the metric is computed on features {metric.features!r}, which no plugin registers")
    generator = torch.Generator().manual_seed(0)

    def features() -> Features:
        return Features(torch.randn(_N, _FEATURES, generator=generator),
                        torch.randn(_N, _CLASSES, generator=generator))

    fake, real = features(), features()
    extra: dict[str, Any] = {}
    if getattr(metric, "needs_labels", False):
        extra["labels"] = torch.randint(0, _CLASSES, (_N,), generator=generator)
    first = metric.compute(fake, real if metric.needs_reference else None, seed=0, **extra)
    again = metric.compute(fake, real if metric.needs_reference else None, seed=0, **extra)
    _expect(isinstance(first, dict), f"compute must return a dict of floats, got {type(first).__name__}")
    for output in outputs:
        value = first.get(output)
        _expect(isinstance(value, float) and math.isfinite(value),
                f"compute gave {output}={value!r}; every output must be a finite float")
        _expect(again.get(output) == value, f"{output} changed between two computations with seed 0")
    try:
        json.dumps(metric.effective_settings(_N, _N))
    except (TypeError, ValueError) as exc:
        raise ConformanceError(f"effective_settings() is not JSON-able: {exc}") from exc
