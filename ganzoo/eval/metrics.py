"""Metrics: what a registered metric is, and choosing metrics by the names users type.

A metric compares the features of generated images with those of real ones (or, for the
Inception Score, looks at the generated images' logits alone). It is registered in the metrics
registry with ``metadata={"outputs": [...], "aliases": [...]}`` and its target
is a :class:`Metric` subclass; ``--metrics fid,kid,is,pr`` picks them by name or alias
(:func:`ganzoo.eval.names.parse_metrics`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ganzoo.errors import UsageError
from ganzoo.eval.names import DEFAULT_METRICS, parse_metrics

if TYPE_CHECKING:
    from ganzoo.eval.features import Features

__all__ = ["DEFAULT_METRICS", "Metric", "build_metric", "metric_label", "parse_metrics"]


class Metric:
    """Base class of metrics computed from :class:`~ganzoo.eval.features.Features`.

    Subclasses set :attr:`outputs` and the settings they accept (keyword arguments with
    defaults) and implement :meth:`compute`. :attr:`settings` is what a result records, and part
    of the cache key of the real-vs-real baseline.
    """

    #: The values :meth:`compute` returns, e.g. ``("Precision", "Recall")``.
    outputs: ClassVar[tuple[str, ...]] = ()
    #: Compare against reference features (False: the generated set alone, like IS).
    needs_reference: ClassVar[bool] = True
    #: Needs class logits rather than features (IS).
    needs_logits: ClassVar[bool] = False
    #: Outputs for which larger is better; the rest are distances (smaller is better).
    higher_is_better: ClassVar[tuple[str, ...]] = ()
    #: ``compute`` also takes ``labels=``: the class each generated image was made for.
    needs_labels: ClassVar[bool] = False
    #: The feature extractor this metric is defined in (a registered ``features`` name), or ``None``
    #: for any: a pixel-space metric names its own weight-free extractor, so ``--feature`` cannot
    #: put it in another space and ``--metrics all`` leaves it out where another extractor is used.
    features: ClassVar[str | None] = None

    def __init__(self, **settings: Any) -> None:
        self.settings: dict[str, Any] = dict(settings)

    def compute(self, fake: "Features", real: "Features | None", *, seed: int = 0) -> dict[str, float]:
        """``{output: value}`` for generated features ``fake`` against reference features ``real``.

        ``fake.features`` is ``[N, num_features]`` float32 on the CPU, ``fake.logits`` ``[N,
        num_classes]`` or ``None``; ``real`` is ``None`` unless :attr:`needs_reference`. Each
        output may add ``"{output}_std"``. Metrics with :attr:`needs_labels` get ``labels=``.
        """
        raise NotImplementedError

    def effective_settings(self, n_fake: int, n_real: int) -> dict[str, Any]:
        """The settings actually used for sets of these sizes (a subset size may shrink, say)."""
        return dict(self.settings)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings.items())
        return f"{type(self).__name__}({args})"


def build_metric(name: str, settings: Mapping[str, Any] | None = None) -> Metric:
    """The metric object registered as ``name``, with ``settings`` overriding its defaults."""
    from ganzoo.plugins import get_registry

    spec = get_registry("metrics").get(name)
    cls = spec.load()
    try:
        metric = cls(**dict(settings or {}))
    except TypeError as exc:
        raise UsageError(f"bad settings for metric '{name}': {exc}") from None
    if not isinstance(metric, Metric):
        raise UsageError(f"'{name}' is registered by plugin '{spec.plugin}' but is not a ganzoo Metric")
    return metric


def metric_label(output: str, extractor: str) -> str:
    """``FID[fmnist-cnn]``: a value's name carries the extractor it was computed with."""
    return f"{output}[{extractor}]"
