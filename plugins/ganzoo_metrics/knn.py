"""k-nearest-neighbour manifolds of feature sets: precision/recall and density/coverage.

Both metrics put a ball around every sample whose radius is the distance to its k-th nearest
neighbour in its own set, then ask which samples of the *other* set fall inside those balls.
10,000 x 10,000 distances do not fit comfortably in memory at once, so they are computed a block
of rows at a time, in float32, after moving the origin to the real features' mean (small norms,
small rounding error: a point's distance to itself stays far below any real radius).

Squared distances are ``|a|^2 + |b|^2 - 2 a.b``; every test below is rearranged so that one fused
``addmm`` per block produces everything that depends on both points, and a single reduction
(``amin``, ``topk``, a count) follows -- the blocks are the cost, so each is touched twice only.
"""

from __future__ import annotations

import torch
from torch import Tensor

#: Rows per block: 1024 x 10,000 float32 values is 40 MB.
BLOCK = 1024


def _centred(real: Tensor, fake: Tensor) -> tuple[Tensor, Tensor]:
    """Both sets as float32, shifted by the mean of ``real`` (distances do not change)."""
    real, fake = real.float(), fake.float()
    origin = real.mean(dim=0, keepdim=True)
    return real - origin, fake - origin


def _sq_norms(x: Tensor) -> Tensor:
    return x.pow(2).sum(dim=1)


def knn_radii_sq(points: Tensor, k: int, block: int = BLOCK) -> Tensor:
    """Squared distance from each point to its k-th nearest neighbour among the others."""
    norms = _sq_norms(points)
    radii = torch.empty(points.shape[0], dtype=points.dtype)
    for start in range(0, points.shape[0], block):
        rows = slice(start, start + block)
        partial = torch.addmm(norms, points[rows], points.T, alpha=-2.0)  # d^2 - |a|^2
        # k + 1 smallest: the point itself comes first.
        kth = partial.topk(k + 1, dim=1, largest=False).values[:, k]
        radii[rows] = (kth + norms[rows]).clamp_min_(0.0)
    return radii


def _nearest_margin(queries: Tensor, centres: Tensor, offsets: Tensor, block: int = BLOCK) -> Tensor:
    """``min_c (|c|^2 + offsets_c - 2 q.c) + |q|^2`` per query: <= 0 when some ball holds it."""
    query_norms = _sq_norms(queries)
    bias = _sq_norms(centres) + offsets
    out = torch.empty(queries.shape[0], dtype=queries.dtype)
    for start in range(0, queries.shape[0], block):
        rows = slice(start, start + block)
        out[rows] = torch.addmm(bias, queries[rows], centres.T, alpha=-2.0).amin(dim=1) + query_norms[rows]
    return out


def _inside_any(queries: Tensor, centres: Tensor, radii_sq: Tensor) -> Tensor:
    """For each query, whether some centre's closed ball (radius^2 ``radii_sq``) contains it."""
    return _nearest_margin(queries, centres, -radii_sq) <= 0


def precision_and_recall(real: Tensor, fake: Tensor, k: int = 3) -> tuple[float, float]:
    """Kynkaanniemi et al. (2019): precision = share of fakes inside the real manifold, recall the reverse.

    >>> precision_and_recall(feats, feats)    # a set against itself   # doctest: +SKIP
    (1.0, 1.0)
    """
    real, fake = _centred(real, fake)
    precision = _inside_any(fake, real, knn_radii_sq(real, k)).double().mean().item()
    recall = _inside_any(real, fake, knn_radii_sq(fake, k)).double().mean().item()
    return precision, recall


def coverage_and_density(real: Tensor, fake: Tensor, k: int = 5, block: int = BLOCK) -> tuple[float, float]:
    """Naeem et al. (2020), with the real k-NN balls only (open balls, as in the paper's code).

    Coverage is the share of real samples whose ball holds at least one fake; density counts how
    many real balls hold each fake, divided by k (1 on average when the two sets match; above 1
    when fakes crowd into dense real regions).
    """
    real, fake = _centred(real, fake)
    radii = knn_radii_sq(real, k)
    real_norms, fake_norms = _sq_norms(real), _sq_norms(fake)
    bias = real_norms - radii  # fake f is inside ball i when |f|^2 + bias_i - 2 f.r_i < 0
    count = 0
    for start in range(0, fake.shape[0], block):
        rows = slice(start, start + block)
        partial = torch.addmm(bias, fake[rows], real.T, alpha=-2.0)
        count += int((partial < -fake_norms[rows].unsqueeze(1)).sum())
    nearest = _nearest_margin(real, fake, torch.zeros(fake.shape[0]), block)  # min_f d^2(r, f)
    coverage = (nearest < radii).double().mean().item()
    return coverage, count / (k * fake.shape[0])
