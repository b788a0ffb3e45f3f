"""The metrics against their definitions, on feature tensors whose answers are known.

No network runs here: features are built with exactly the moments, spreads or logits that make
the right value computable by hand (or by an independent formula).
"""

from __future__ import annotations

import math

import pytest
import torch

from ganzoo.errors import UsageError
from ganzoo.eval.features import Features
from ganzoo.eval.metrics import Metric, build_metric
from ganzoo.eval.names import parse_metrics
from ganzoo.plugins import get_registry

D = 16


def with_moments(n: int, mean: torch.Tensor, var: torch.Tensor, seed: int) -> torch.Tensor:
    """n samples whose *sample* mean is ``mean`` and sample covariance is exactly ``diag(var)``."""
    x = torch.randn(n, mean.numel(), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    q, _ = torch.linalg.qr(x - x.mean(dim=0))  # orthonormal, zero-mean columns
    return mean + q * math.sqrt(n - 1) * var.sqrt()


def fid(a: torch.Tensor, b: torch.Tensor) -> float:
    return build_metric("fid").compute(Features(a), Features(b))["FID"]


# -- FID -------------------------------------------------------------------------------------------


def test_fid_of_diagonal_gaussians_matches_the_closed_form():
    g = torch.Generator().manual_seed(1)
    mu1, mu2 = torch.randn(D, generator=g, dtype=torch.float64), torch.randn(D, generator=g, dtype=torch.float64)
    var1 = torch.rand(D, generator=g, dtype=torch.float64) * 3 + 0.1
    var2 = torch.rand(D, generator=g, dtype=torch.float64) * 3 + 0.1
    a, b = with_moments(500, mu1, var1, 2), with_moments(700, mu2, var2, 3)
    assert torch.allclose(torch.cov(a.T), torch.diag(var1), atol=1e-10)  # the construction is exact
    expected = float(((mu1 - mu2) ** 2).sum() + (var1 + var2 - 2 * (var1 * var2).sqrt()).sum())
    assert fid(a, b) == pytest.approx(expected, rel=1e-6)


def test_fid_of_correlated_features_matches_an_independent_formula():
    """Tr((S1 S2)^1/2) computed as Tr((S1^1/2 S2 S1^1/2)^1/2) with symmetric eigendecompositions."""
    g = torch.Generator().manual_seed(4)
    a = torch.randn(800, D, generator=g, dtype=torch.float64) @ torch.randn(D, D, generator=g, dtype=torch.float64)
    b = torch.randn(600, D, generator=g, dtype=torch.float64) @ torch.randn(D, D, generator=g, dtype=torch.float64) + 0.5

    def sqrtm_psd(m: torch.Tensor) -> torch.Tensor:
        values, vectors = torch.linalg.eigh(m)
        return vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T

    s1, s2 = torch.cov(a.T), torch.cov(b.T)
    root = sqrtm_psd(s1)
    expected = float((a.mean(0) - b.mean(0)).pow(2).sum() + s1.trace() + s2.trace()
                     - 2 * sqrtm_psd(root @ s2 @ root).trace())
    assert fid(a, b) == pytest.approx(expected, rel=1e-6)


def test_fid_is_zero_for_one_set_and_symmetric():
    a = torch.randn(300, D, generator=torch.Generator().manual_seed(5))
    b = a * 1.5 + 0.2
    assert abs(fid(a, a)) < 1e-6
    assert fid(a, b) == pytest.approx(fid(b, a), rel=1e-9)


def test_fid_needs_a_reference():
    with pytest.raises(UsageError, match="reference"):
        build_metric("fid").compute(Features(torch.randn(10, 4)), None)


# -- KID -------------------------------------------------------------------------------------------


def test_kid_of_identical_sets_is_about_zero_and_of_different_sets_is_not():
    g = torch.Generator().manual_seed(6)
    a = torch.randn(400, D, generator=g).relu()
    b = a + 0.5
    kid = build_metric("kid", {"subsets": 20, "subset_size": 200})
    same, other = kid.compute(Features(a), Features(a), seed=0), kid.compute(Features(b), Features(a), seed=0)
    assert abs(same["KID"]) < 0.02 * other["KID"]
    assert other["KID"] > 0.1


@pytest.mark.filterwarnings("ignore:Metric `Kernel Inception Distance` will save")
def test_kid_agrees_with_torchmetrics():
    """One subset holding every sample (the estimate is then order-free): torchmetrics in float64."""
    from torchmetrics.image.kid import KernelInceptionDistance

    g = torch.Generator().manual_seed(12)
    a, b = torch.randn(300, D, generator=g).relu() * 3, torch.randn(300, D, generator=g).relu() * 3.3
    ours = build_metric("kid", {"subsets": 3, "subset_size": 300}).compute(Features(b), Features(a))
    reference = KernelInceptionDistance(feature=_Identity(D), subsets=1, subset_size=300)
    reference.update(a.double(), real=True)
    reference.update(b.double(), real=False)
    assert ours["KID"] == pytest.approx(float(reference.compute()[0]), rel=1e-6)
    assert ours["KID_std"] < 1e-9 * abs(ours["KID"])


class _Identity(torch.nn.Module):
    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def test_kid_is_seeded_and_leaves_the_global_rng_alone():
    a, b = torch.randn(300, D), torch.randn(300, D) + 0.3
    kid = build_metric("kid", {"subsets": 10, "subset_size": 100})
    torch.manual_seed(123)
    state = torch.get_rng_state()
    first = kid.compute(Features(a), Features(b), seed=7)
    assert torch.equal(torch.get_rng_state(), state)
    assert kid.compute(Features(a), Features(b), seed=7) == first
    assert kid.compute(Features(a), Features(b), seed=8) != first


def test_kid_shrinks_its_subsets_for_small_sets():
    kid = build_metric("kid")
    assert kid.effective_settings(50, 80)["subset_size"] == 50
    assert math.isfinite(kid.compute(Features(torch.randn(50, 4)), Features(torch.randn(80, 4)))["KID"])


# -- Inception Score -------------------------------------------------------------------------------


def inception_score(logits: torch.Tensor, **settings: int) -> float:
    return build_metric("is", settings).compute(Features(torch.zeros(len(logits), 1), logits), None)["IS"]


def test_is_of_uniform_predictions_is_one():
    assert inception_score(torch.zeros(1000, 10)) == pytest.approx(1.0, abs=1e-9)


def test_is_of_confident_evenly_spread_predictions_is_the_number_of_classes():
    classes = torch.arange(10_000) % 10
    logits = torch.nn.functional.one_hot(classes, 10).double() * 100
    assert inception_score(logits, splits=1) == pytest.approx(10.0, rel=1e-6)
    assert inception_score(logits) == pytest.approx(10.0, rel=0.01)  # 10 random splits: nearly even


def test_is_of_confident_predictions_of_one_class_is_one():
    logits = torch.nn.functional.one_hot(torch.full((200,), 3), 10).double() * 100
    assert inception_score(logits, splits=1) == pytest.approx(1.0, abs=1e-6)


def test_is_needs_logits():
    with pytest.raises(UsageError, match="logits"):
        build_metric("is").compute(Features(torch.randn(20, 4)), None)


# -- precision / recall and density / coverage ------------------------------------------------------


def pr(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> tuple[float, float]:
    out = build_metric("precision-recall", {"k": k}).compute(Features(fake), Features(real))
    return out["Precision"], out["Recall"]


def test_precision_recall_of_a_set_against_itself_is_one_one():
    a = torch.randn(500, D, generator=torch.Generator().manual_seed(7))
    assert pr(a, a) == (1.0, 1.0)
    assert pr(a, a, k=1) == (1.0, 1.0)


def test_precision_recall_of_far_apart_sets_is_zero_zero():
    a = torch.randn(300, D, generator=torch.Generator().manual_seed(8))
    assert pr(a, a + 100.0) == (0.0, 0.0)


def test_mode_collapse_keeps_precision_and_loses_recall():
    """Reals in two far-apart clusters; fakes from one cluster only: precision ~1, recall ~1/2."""
    g = torch.Generator().manual_seed(9)
    left, right = torch.randn(500, 2, generator=g), torch.randn(500, 2, generator=g) + 50.0
    real = torch.cat([left, right])
    fake = torch.randn(500, 2, generator=g)  # 2-d, where 500 k-NN balls cover a Gaussian well
    precision, recall = pr(real, fake)
    assert precision > 0.9
    assert 0.4 < recall < 0.55


def test_precision_recall_survive_duplicate_points_and_large_offsets():
    a = torch.randn(200, D, generator=torch.Generator().manual_seed(10)) + 1e3  # centring keeps float32 exact enough
    assert pr(a, a) == (1.0, 1.0)
    duplicated = torch.cat([a, a[:50]])
    assert pr(duplicated, duplicated) == (1.0, 1.0)


def test_density_and_coverage():
    g = torch.Generator().manual_seed(11)
    a = torch.randn(600, D, generator=g)
    metric = build_metric("density-coverage")
    same = metric.compute(Features(a), Features(a))
    assert same["Coverage"] == 1.0 and 0.8 < same["Density"] < 1.6
    other = metric.compute(Features(torch.randn(600, D, generator=g)), Features(a))
    assert 0.7 < other["Density"] < 1.3 and 0.8 < other["Coverage"] <= 1.0
    far = metric.compute(Features(a + 100.0), Features(a))
    assert far == {"Density": 0.0, "Coverage": 0.0}


def test_precision_recall_needs_more_points_than_k():
    with pytest.raises(UsageError, match="at least 4"):
        pr(torch.randn(3, 2), torch.randn(3, 2))


# -- names and the registry -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, ["fid", "kid", "is", "precision-recall"]),
        ("fid,kid,is,pr", ["fid", "kid", "is", "precision-recall"]),
        (" FID , pr ", ["fid", "precision-recall"]),
        ("fid,fid", ["fid"]),
        ("dc", ["density-coverage"]),
        ("inception-score", ["is"]),
        (["kid", "precision-recall"], ["kid", "precision-recall"]),
        ("all", ["fid", "kid", "is", "precision-recall", "density-coverage"]),
    ],
)
def test_parse_metrics(text, expected):
    assert parse_metrics(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("fdi", "unknown metric 'fdi'; did you mean 'fid'?"),
    ("fid,,", None),
    (",", "no metrics given"),
    ("fmnist-cnn", "unknown metric 'fmnist-cnn'"),  # an extractor, not a metric
])
def test_parse_metrics_rejects_bad_names(text, message):
    if message is None:
        assert parse_metrics(text) == ["fid"]
        return
    with pytest.raises(UsageError, match=message.replace("?", r"\?")) as info:
        parse_metrics(text)
    assert "choose from: fid, kid, is, pr (precision-recall)" in str(info.value)


def test_every_registered_metric_is_a_metric_with_its_outputs():
    registry = get_registry("metrics")
    assert {"fid", "kid", "is", "precision-recall", "density-coverage"} <= set(registry.names())
    # feature extractors are a kind of their own, not metrics
    assert {"fmnist-cnn", "inception"} <= set(get_registry("features").names())
    assert not {"fmnist-cnn", "inception"} & set(registry.names())
    for spec in registry:
        metric = build_metric(spec.name)
        assert isinstance(metric, Metric)
        assert list(metric.outputs) == list(spec.metadata["outputs"])


def test_bad_metric_settings_are_usage_errors():
    with pytest.raises(UsageError, match="bad settings for metric 'kid'"):
        build_metric("kid", {"subset": 10})
