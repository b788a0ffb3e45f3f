"""What an evaluation returns: values with their real-vs-real baselines, and where they came from.

A number like ``FID = 12.3`` means little without knowing the feature extractor (and its exact
weights), the reference data, the sample counts, the seed and the library versions; every
:class:`EvalResults` carries all of them (``provenance``), and :func:`checkpoint_metrics` turns
one into the ``metrics`` list of a checkpoint's ``config.json``.
"""

from __future__ import annotations

import platform
from dataclasses import asdict, dataclass, field
from typing import Any

from ganzoo.errors import UsageError


@dataclass
class MetricValue:
    """One number: ``FID[fmnist-cnn] = 12.3`` (real-vs-real: 0.9), with the settings used."""

    name: str
    metric: str
    output: str
    value: float
    std: float | None = None
    baseline: float | None = None
    baseline_std: float | None = None
    higher_is_better: bool = False
    #: Whether the value compares with the reference (False for IS, which reads the logits alone).
    uses_reference: bool = True
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class EvalResults:
    """Values of one evaluation, in the order asked for, and their provenance.

    >>> results["FID[fmnist-cnn]"], results["FID"]     # doctest: +SKIP
    (12.3, 12.3)
    """

    values: list[MetricValue]
    provenance: dict[str, Any]

    def get(self, name: str) -> MetricValue:
        """The value called ``FID[fmnist-cnn]`` -- or just ``FID`` when one extractor was used."""
        for value in self.values:
            if name in (value.name, value.output, value.output.lower()):
                return value
        known = ", ".join(v.name for v in self.values)
        raise KeyError(f"no value '{name}' in these results; they hold {known}")

    def __getitem__(self, name: str) -> float:
        return self.get(name).value

    def as_dict(self) -> dict[str, float]:
        """``{"FID[fmnist-cnn]": 12.3, ...}``."""
        return {v.name: v.value for v in self.values}

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-able (``ganzoo eval --json`` prints this)."""
        return {"metrics": [asdict(v) for v in self.values], "provenance": self.provenance}

    def checkpoint_metrics(self) -> list[dict[str, Any]]:
        """See :func:`checkpoint_metrics`."""
        return checkpoint_metrics(self)


def _significant(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else float(f"{value:.{digits}g}")


def checkpoint_metrics(results: EvalResults) -> list[dict[str, Any]]:
    """The ``metrics`` list of a checkpoint's ``config.json`` (model cards render it).

    One dict per value, with enough provenance to tell whether two numbers are comparable::

        {"name": "FID[fmnist-cnn]", "value": 12.3, "split": "test", "dataset": "fashion-mnist",
         "num_samples": 10000, "extractor": "fmnist-cnn", "extractor_sha256": "...", "seed": 0,
         "versions": {"ganzoo": ..., "torch": ..., "torchmetrics": ...}, ...}

    >>> export_run(run, out, metrics=checkpoint_metrics(evaluate(run)))   # doctest: +SKIP
    """
    if not isinstance(results, EvalResults):
        raise UsageError(f"checkpoint_metrics() takes the EvalResults of evaluate(), got {type(results).__name__}")
    prov = results.provenance
    reference = prov.get("reference") or {}
    if reference.get("kind") == "dataset":
        dataset, split = reference.get("dataset"), reference.get("split")
    else:
        dataset, split = reference.get("path"), None
    extractor = prov.get("extractor") or {}
    rows = []
    truncation = prov.get("truncation")
    for value in results.values:
        row: dict[str, Any] = {
            # a truncated score is another number than the plain one, so it gets a name of its own
            "name": value.name if truncation is None else f"{value.name}@truncation={truncation:g}",
            "truncation": truncation,
            "value": _significant(value.value),
            "split": split,
            "dataset": dataset,
            "num_samples": prov.get("num_samples"),
            "reference_num_samples": reference.get("num_samples") if value.uses_reference else None,
            "extractor": extractor.get("name"),
            "extractor_sha256": extractor.get("sha256"),
            "seed": prov.get("seed"),
            "real_vs_real": _significant(value.baseline),
            "settings": dict(value.settings),
            "versions": dict(prov.get("versions") or {}),
        }
        if value.std is not None:
            row["std"] = _significant(value.std)
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def library_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Versions of what the numbers depend on: ganzoo, torch, torchmetrics, python, and ``extra``."""
    from importlib import metadata

    import torch

    from ganzoo.version import __version__

    versions = {"ganzoo": __version__, "torch": torch.__version__.split("+")[0]}
    for dist in ("torchmetrics", *extra):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    versions["python"] = platform.python_version()
    return versions
