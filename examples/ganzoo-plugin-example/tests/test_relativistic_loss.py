"""The relativistic average loss against its formula, on numbers worked out by hand."""

import math

import pytest
import torch

from ganzoo.plugin import UsageError
from ganzoo_plugin_example.losses import RelativisticAverage


def minus_log_sig(x: float) -> float:
    """-log sigmoid(x)."""
    return -math.log(1 / (1 + math.exp(-x)))


def minus_log_one_minus_sig(x: float) -> float:
    """-log(1 - sigmoid(x))."""
    return -math.log(1 - 1 / (1 + math.exp(-x)))


def test_relativistic_average_matches_its_formula():
    real, fake = [1.0, 3.0], [0.0, -2.0]
    mean_real, mean_fake = 2.0, -1.0
    # D: real should look more realistic than the average fake, fakes less than the average real
    d = (sum(minus_log_sig(r - mean_fake) for r in real) / 2
         + sum(minus_log_one_minus_sig(f - mean_real) for f in fake) / 2)
    # G: the same with the roles of real and fake swapped
    g = (sum(minus_log_sig(f - mean_real) for f in fake) / 2
         + sum(minus_log_one_minus_sig(r - mean_fake) for r in real) / 2)
    loss = RelativisticAverage()
    assert loss.d_loss(torch.tensor(real), torch.tensor(fake)).item() == pytest.approx(d, rel=1e-6)
    assert loss.g_loss(torch.tensor(fake), torch.tensor(real)).item() == pytest.approx(g, rel=1e-6)


def test_generator_loss_needs_the_real_logits():
    with pytest.raises(UsageError, match="real logits"):
        RelativisticAverage().g_loss(torch.zeros(2))
