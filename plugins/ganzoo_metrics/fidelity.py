"""The metrics, computed from feature tensors that were extracted once and are shared by all.

FID and IS are torchmetrics' own classes, each given a pass-through "feature network" (an
``nn.Module`` with ``num_features`` that returns its input), so they see the features
:mod:`ganzoo.eval` already extracted instead of running a network per metric. KID follows
torchmetrics' estimator with float64 sums (see :class:`KID` for why). torchmetrics has no
improved precision/recall or density/coverage; those are k-nearest-neighbour computations over
blocks of pairwise distances, in :mod:`ganzoo_metrics.knn`.

Every random choice (KID's subsets, IS's split shuffle) is drawn from ``seed`` without touching
the caller's RNG, so a metric gives the same value on every run.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.plugin import Features, GanzooError, Metric, UsageError
from ganzoo_metrics.knn import coverage_and_density, precision_and_recall

#: Rows per ``update`` call: accumulation order is then the same whatever batch size extracted them.
_CHUNK = 4096
#: Kernel entries computed at once by KID (10 subsets of 1000: 40 MB of float32 per kernel).
_SUBSET_ELEMENTS = 10_000_000


class _Given(nn.Module):
    """torchmetrics' custom feature module, standing in for features computed beforehand."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: Tensor) -> Tensor:
        return features


def _chunks(x: Tensor) -> Iterator[Tensor]:
    for start in range(0, x.shape[0], _CHUNK):
        yield x[start:start + _CHUNK]


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed torch's global RNG (which torchmetrics draws from) without changing it for the caller."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def _need(real: Features | None, name: str, fake: Features | None = None) -> Features:
    """``real``, once it and ``fake`` are known to be finite: NaN must never reach linear algebra (issue 22)."""
    if real is None:
        raise UsageError(f"{name} compares two sets of images and needs reference features")
    for source, given in (("the generated samples", fake), ("the reference images", real)):
        if given is not None and given.features.numel() and not bool(torch.isfinite(given.features).all()):
            raise GanzooError(f"{name} cannot be computed: {source} give NaN or infinite features")
    return real


def _at_least(n: int, minimum: int, name: str) -> None:
    if n < minimum:
        raise UsageError(f"{name} needs at least {minimum} images per set, got {n}; raise --num-samples")


class FID(Metric):
    """Frechet distance between Gaussians fitted to the two feature sets, in float64."""

    outputs = ("FID",)

    def compute(self, fake: Features, real: Features | None, *, seed: int = 0) -> dict[str, float]:
        from torchmetrics.image.fid import FrechetInceptionDistance

        real = _need(real, "FID", fake)
        _at_least(min(len(fake), len(real)), 2, "FID")
        metric = FrechetInceptionDistance(feature=_Given(fake.features.shape[1]))
        for chunk in _chunks(real.features):
            metric.update(chunk.double(), real=True)
        for chunk in _chunks(fake.features):
            metric.update(chunk.double(), real=False)
        value = float(metric.compute())
        if not math.isfinite(value):
            raise GanzooError(f"FID came out as {value} from finite features; the feature sets are degenerate "
                              f"(all images alike?): raise --num-samples or check the images")
        return {"FID": value}


def _poly_kernel_sums(a: Tensor, b: Tensor, gamma: float, degree: int) -> tuple[Tensor, Tensor]:
    """Sums (and diagonal sums) of (gamma a.b + 1)^degree per subset, for batches of subsets [S, m, d].

    Kernels are float32 (one fused batched product, then an in-place power); the sums float64.
    """
    kernels = torch.baddbmm(torch.ones((), dtype=a.dtype), a, b.transpose(1, 2), alpha=gamma).pow_(degree)
    total = kernels.sum(dim=(1, 2), dtype=torch.float64)
    diagonal = kernels.diagonal(dim1=1, dim2=2).sum(dim=1, dtype=torch.float64)
    return total, diagonal


def _unbiased_mmd(real: Tensor, fake: Tensor, degree: int) -> Tensor:
    """The unbiased MMD^2 estimate of each pair of subsets ``real[s]``, ``fake[s]`` (diagonals left out)."""
    m, gamma = real.shape[1], 1.0 / real.shape[2]
    xx, xx_diag = _poly_kernel_sums(real, real, gamma, degree)
    yy, yy_diag = _poly_kernel_sums(fake, fake, gamma, degree)
    xy, _ = _poly_kernel_sums(real, fake, gamma, degree)
    return (xx - xx_diag + yy - yy_diag) / (m * (m - 1)) - 2 * xy / (m * m)


class KID(Metric):
    """Mean (and spread) of the unbiased MMD^2 over random subsets, cubic polynomial kernel.

    The estimator and its defaults (100 subsets of 1000) are torchmetrics' and torch-fidelity's;
    the computation is written here because KID is a small difference of large kernel sums:
    torchmetrics sums in the features' dtype, float64 kernels cost ~10x more memory traffic on a
    CPU, and one subset at a time means thousands of small operations. Here kernels are float32,
    every sum is float64 (``tests/eval/test_metrics.py`` checks the result against torchmetrics'),
    ten subsets go through each batched product, and subsets come from a ``torch.Generator``
    seeded with ``seed``.
    """

    outputs = ("KID",)

    def __init__(self, subsets: int = 100, subset_size: int = 1000, degree: int = 3) -> None:
        super().__init__(subsets=int(subsets), subset_size=int(subset_size), degree=int(degree))

    def effective_settings(self, n_fake: int, n_real: int) -> dict[str, Any]:
        # Small evaluations (tests, quick looks) shrink the subsets rather than failing.
        return {**self.settings, "subset_size": min(self.settings["subset_size"], n_fake, n_real)}

    def compute(self, fake: Features, real: Features | None, *, seed: int = 0) -> dict[str, float]:
        real = _need(real, "KID", fake)
        _at_least(min(len(fake), len(real)), 2, "KID")
        used = self.effective_settings(len(fake), len(real))
        size, degree = used["subset_size"], used["degree"]
        f_real, f_fake = real.features.float(), fake.features.float()
        generator = torch.Generator().manual_seed(seed)
        picks = [(torch.randperm(f_real.shape[0], generator=generator)[:size],
                  torch.randperm(f_fake.shape[0], generator=generator)[:size]) for _ in range(used["subsets"])]
        per_batch = max(1, _SUBSET_ELEMENTS // (size * size))  # subsets per batched product
        scores = []
        for start in range(0, len(picks), per_batch):
            chunk = picks[start:start + per_batch]
            r = torch.stack([f_real[i] for i, _ in chunk])
            f = torch.stack([f_fake[j] for _, j in chunk])
            scores.append(_unbiased_mmd(r, f, degree))
        values = torch.cat(scores)
        return {"KID": float(values.mean()), "KID_std": float(values.std(unbiased=False))}


class InceptionScore(Metric):
    """exp(E_x KL(p(y|x) || p(y))) over the extractor's classes, averaged over ``splits`` parts."""

    outputs = ("IS",)
    needs_reference = False
    needs_logits = True
    higher_is_better = ("IS",)

    def __init__(self, splits: int = 10) -> None:
        super().__init__(splits=int(splits))

    def effective_settings(self, n_fake: int, n_real: int) -> dict[str, Any]:
        return {**self.settings, "splits": max(1, min(self.settings["splits"], n_fake))}

    def compute(self, fake: Features, real: Features | None, *, seed: int = 0) -> dict[str, float]:
        from torchmetrics.image.inception import InceptionScore as _TorchmetricsIS

        if fake.logits is None:
            raise UsageError("the Inception Score needs class logits, and this feature extractor has no classifier")
        splits = self.effective_settings(len(fake), 0)["splits"]
        with warnings.catch_warnings():  # "will save all extracted features": that is the point here
            warnings.simplefilter("ignore", UserWarning)
            metric = _TorchmetricsIS(feature=_Given(fake.logits.shape[1]), splits=splits)
        metric.update(fake.logits.double())
        with _seeded(seed), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch warns about the std of one split
            mean, std = metric.compute()
        std_value = float(std) if splits > 1 else 0.0  # one split has no spread (torch says NaN)
        return {"IS": float(mean), "IS_std": std_value}


class PrecisionRecall(Metric):
    """Improved precision (fakes inside the real manifold) and recall (reals inside the fake one)."""

    outputs = ("Precision", "Recall")
    higher_is_better = ("Precision", "Recall")

    def __init__(self, k: int = 3) -> None:
        super().__init__(k=int(k))

    def compute(self, fake: Features, real: Features | None, *, seed: int = 0) -> dict[str, float]:
        real = _need(real, "precision/recall", fake)
        k = self.settings["k"]
        _at_least(min(len(fake), len(real)), k + 1, f"precision/recall with k={k}")
        precision, recall = precision_and_recall(real.features, fake.features, k)
        return {"Precision": precision, "Recall": recall}


class DensityCoverage(Metric):
    """Density (how many real k-NN balls hold each fake, over k) and coverage (reals whose ball holds one)."""

    outputs = ("Density", "Coverage")
    higher_is_better = ("Density", "Coverage")

    def __init__(self, k: int = 5) -> None:
        super().__init__(k=int(k))

    def compute(self, fake: Features, real: Features | None, *, seed: int = 0) -> dict[str, float]:
        real = _need(real, "density/coverage", fake)
        k = self.settings["k"]
        _at_least(min(len(fake), len(real)), k + 1, f"density/coverage with k={k}")
        coverage, density = coverage_and_density(real.features, fake.features, k)
        return {"Density": density, "Coverage": coverage}
