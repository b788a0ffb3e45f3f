"""Each adversarial loss and regulariser against its formula, on numbers worked out by hand.

Expected values come from the textbook formulas (``-log D(x)`` with ``D = sigmoid(logit)``),
never from the softplus forms the implementation uses.
"""

from __future__ import annotations

import math

import pytest
import torch

import ganzoo
from ganzoo.errors import UnknownNameError, UsageError
from ganzoo.losses import AdversarialLoss, Objective, build_objective, create_loss

REAL = [1.0, -2.0]
FAKE = [0.5, -1.0]


def sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def t(values, grad: bool = False) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64, requires_grad=grad)


# -- adversarial losses --------------------------------------------------------------------------


def test_non_saturating():
    loss = create_loss("non-saturating")
    d = mean(-math.log(sig(r)) for r in REAL) + mean(-math.log(1 - sig(f)) for f in FAKE)
    g = mean(-math.log(sig(f)) for f in FAKE)
    assert loss.d_loss(t(REAL), t(FAKE)).item() == pytest.approx(d, rel=1e-12)
    assert loss.g_loss(t(FAKE)).item() == pytest.approx(g, rel=1e-12)


def test_minimax_shares_the_discriminator_and_flips_the_generator():
    loss = create_loss("minimax")
    d = mean(-math.log(sig(r)) for r in REAL) + mean(-math.log(1 - sig(f)) for f in FAKE)
    g = mean(math.log(1 - sig(f)) for f in FAKE)  # G minimises log(1 - D(G(z)))
    assert loss.d_loss(t(REAL), t(FAKE)).item() == pytest.approx(d, rel=1e-12)
    assert loss.g_loss(t(FAKE)).item() == pytest.approx(g, rel=1e-12)


def test_generator_gradients_non_saturating_vs_minimax():
    """d/dl of -log sig(l) is -(1 - sig(l)); of log(1 - sig(l)) it is -sig(l): minimax saturates."""
    fake = [-5.0, 0.0, 2.0]
    grads = {}
    for name in ("non-saturating", "minimax"):
        logits = t(fake, grad=True)
        create_loss(name).g_loss(logits).backward()
        grads[name] = logits.grad.tolist()
    assert grads["non-saturating"] == pytest.approx([-(1 - sig(f)) / 3 for f in fake], rel=1e-12)
    assert grads["minimax"] == pytest.approx([-sig(f) / 3 for f in fake], rel=1e-12)
    # where D confidently rejects a fake (logit -5), minimax gives ~150x less signal
    assert abs(grads["non-saturating"][0]) > 100 * abs(grads["minimax"][0])


def test_discriminator_gradients_of_the_bce_losses():
    real, fake = t(REAL, grad=True), t(FAKE, grad=True)
    create_loss("non-saturating").d_loss(real, fake).backward()
    assert real.grad.tolist() == pytest.approx([-(1 - sig(r)) / 2 for r in REAL], rel=1e-12)
    assert fake.grad.tolist() == pytest.approx([sig(f) / 2 for f in FAKE], rel=1e-12)


def test_lsgan():
    loss = create_loss("lsgan")
    # 1/2 mean((r-1)^2) + 1/2 mean(f^2) = 1/2 * (0 + 9)/2 + 1/2 * (0.25 + 1)/2
    assert loss.d_loss(t(REAL), t(FAKE)).item() == pytest.approx(2.5625, rel=1e-12)
    # 1/2 mean((f-1)^2) = 1/2 * (0.25 + 4)/2
    assert loss.g_loss(t(FAKE)).item() == pytest.approx(1.0625, rel=1e-12)


def test_hinge_on_both_sides_of_the_margin():
    loss = create_loss("hinge")
    real, fake = [2.0, 0.5], [-2.0, 0.25]
    # mean(max(0, 1 - r)) + mean(max(0, 1 + f)) = (0 + 0.5)/2 + (0 + 1.25)/2
    assert loss.d_loss(t(real), t(fake)).item() == pytest.approx(0.875, rel=1e-12)
    assert loss.g_loss(t(fake)).item() == pytest.approx(-mean(fake), rel=1e-12)
    real_g, fake_g = t(real, grad=True), t(fake, grad=True)
    loss.d_loss(real_g, fake_g).backward()
    assert real_g.grad.tolist() == [0.0, -0.5] and fake_g.grad.tolist() == [0.0, 0.5]  # no push past the margin


def test_wasserstein():
    loss = create_loss("wasserstein")
    assert loss.d_loss(t(REAL), t(FAKE)).item() == pytest.approx(mean(FAKE) - mean(REAL), rel=1e-12)  # 0.25
    assert loss.g_loss(t(FAKE)).item() == pytest.approx(-mean(FAKE), rel=1e-12)


# -- soft targets and label tricks through the Objective --------------------------------------------


def test_label_smoothing_makes_real_targets_one_minus_s():
    objective = build_objective("non-saturating", label_smoothing=0.1)
    d = mean(-(0.9 * math.log(sig(r)) + 0.1 * math.log(1 - sig(r))) for r in REAL)
    d += mean(-math.log(1 - sig(f)) for f in FAKE)  # one-sided: fake targets stay 0
    assert objective.d_loss(t(REAL), t(FAKE)).item() == pytest.approx(d, rel=1e-12)
    assert objective.g_loss(t(FAKE)).item() == pytest.approx(mean(-math.log(sig(f)) for f in FAKE), rel=1e-12)


def test_soft_targets_per_element():
    loss = create_loss("non-saturating")
    targets = [0.8, 1.0]
    d = mean(-(y * math.log(sig(r)) + (1 - y) * math.log(1 - sig(r))) for r, y in zip(REAL, targets, strict=True))
    d += mean(-(0.2 * math.log(sig(f)) + 0.8 * math.log(1 - sig(f))) for f in FAKE)
    assert loss.d_loss(t(REAL), t(FAKE), t(targets), 0.2).item() == pytest.approx(d, rel=1e-12)


def test_label_noise_flips_targets():
    torch.manual_seed(0)
    objective = build_objective("non-saturating", label_noise=0.999)  # (almost) every target flipped
    d = mean(-math.log(1 - sig(r)) for r in REAL) + mean(-math.log(sig(f)) for f in FAKE)
    assert objective.d_loss(t(REAL), t(FAKE)).item() == pytest.approx(d, rel=1e-6)


def test_instance_noise():
    images = torch.zeros(4000)
    assert build_objective().noisy(images) is images
    torch.manual_seed(0)
    noisy = build_objective(instance_noise=0.5).noisy(images)
    assert noisy.std().item() == pytest.approx(0.5, rel=0.05)


# -- regularisers on a linear critic: grad_x (w . x) = w everywhere -------------------------------------


def linear_critic():
    w = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)  # ||w|| = 5
    return w, (lambda x: x.flatten(1) @ w)


def images():
    torch.manual_seed(0)
    return torch.randn(4, 1, 1, 2, dtype=torch.float64), torch.randn(4, 1, 1, 2, dtype=torch.float64)


@pytest.mark.parametrize("weight", [10.0, 2.0])
def test_gradient_penalty_on_a_linear_critic(weight):
    w, critic = linear_critic()
    penalty = create_loss("gradient-penalty", weight=weight)(critic, *images())
    assert penalty.item() == pytest.approx(weight * (5 - 1) ** 2, rel=1e-6)
    penalty.backward()  # create_graph: the penalty's gradient reaches the critic's parameters
    # d/dw weight * (||w|| - 1)^2 = weight * 2 (||w|| - 1) w / ||w||
    assert w.grad.tolist() == pytest.approx([weight * 2 * 4 * 3 / 5, weight * 2 * 4 * 4 / 5], rel=1e-6)


def test_r1_on_a_linear_critic():
    w, critic = linear_critic()
    penalty = create_loss("r1", weight=10.0)(critic, *images())
    assert penalty.item() == pytest.approx(10.0 / 2 * 25, rel=1e-6)
    penalty.backward()
    assert w.grad.tolist() == pytest.approx([10.0 * 3, 10.0 * 4], rel=1e-6)  # d/dw weight/2 ||w||^2


def test_gradient_penalty_trains_an_nn_critic():
    critic = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    real, fake = torch.randn(3, 1, 2, 2), torch.randn(3, 1, 2, 2)
    penalty = create_loss("gradient-penalty")(lambda x: critic(x).view(-1), real, fake)
    penalty.backward()
    # every parameter that shapes grad_x D gets a gradient (the last bias does not shape it)
    for p in (critic[1].weight, critic[1].bias, critic[3].weight):
        assert p.grad is not None and p.grad.abs().sum() > 0


def test_objective_sums_its_penalties():
    _, critic = linear_critic()
    objective = build_objective("wasserstein", {"gradient-penalty": 10.0, "r1": 2.0})
    assert objective.penalty(critic, *images()).item() == pytest.approx(160 + 25, rel=1e-6)
    assert build_objective("hinge").penalty(critic, *images()) is None


# -- build_objective and create_loss errors ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: build_objective("gradient-penalty"), UsageError, "'gradient-penalty' is a regulariser, not an adversarial loss"),
        (lambda: build_objective("hinge", {"wasserstein": 1.0}), UsageError, "'wasserstein' is an adversarial loss, not a regulariser"),
        (lambda: build_objective("hinge", label_smoothing=0.1), UsageError, "label smoothing and label noise need a BCE-type loss"),
        (lambda: build_objective("lsgan", label_noise=0.05), UsageError, "need a BCE-type loss, not LeastSquares"),
        (lambda: build_objective("non-saturating", label_smoothing=1.0), UsageError, r"label_smoothing must be in \[0, 1\)"),
        (lambda: build_objective("non-saturating", label_noise=-0.1), UsageError, r"label_noise must be in \[0, 1\)"),
        (lambda: build_objective(instance_noise=-1.0), UsageError, "cannot be negative"),
        (lambda: build_objective("hing"), UnknownNameError, r"unknown loss 'hing'; did you mean 'hinge'\?"),
        (lambda: build_objective("hinge", {"gradient-penalties": 1.0}), UnknownNameError, "did you mean 'gradient-penalty'"),
        (lambda: create_loss("gradient-penalty", strength=3), UsageError, "bad options for regulariser 'gradient-penalty'"),
    ],
    ids=["reg-as-loss", "loss-as-reg", "smoothing-hinge", "noise-lsgan", "smoothing-range", "noise-range",
         "instance-noise", "typo", "typo-reg", "bad-kwarg"],
)
def test_objective_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_default_objective():
    objective = build_objective()
    assert type(objective.adversarial).__name__ == "NonSaturating" and objective.regularisers == []
    assert not objective.g_needs_real


# -- losses whose generator step needs the real logits (relativistic) -------------------------------------


class RecordsReal(AdversarialLoss):
    uses_real_in_g = True
    seen: list = []

    def d_loss(self, real, fake, real_target=1.0, fake_target=0.0):
        return (fake - real).mean()

    def g_loss(self, fake, real=None):
        self.seen.append(real)
        return -(fake.mean() - real.mean())


def test_objective_passes_real_logits_only_to_losses_that_need_them():
    objective = Objective(RecordsReal())
    assert objective.g_needs_real
    with pytest.raises(UsageError, match="needs the real images' logits"):
        objective.g_loss(torch.zeros(2))
    assert objective.g_loss(torch.zeros(2), torch.ones(2)).item() == 1.0


def test_a_family_hands_real_logits_to_a_relativistic_loss():
    model = ganzoo.create_model("vanilla", latent_dim=4, hidden=[8])
    RecordsReal.seen.clear()
    loss, logs = model.g_loss({"image": torch.rand(3, 1, 28, 28) * 2 - 1}, Objective(RecordsReal()))
    (real,) = RecordsReal.seen
    assert real.shape == (3,) and not real.requires_grad  # real logits are constants for G
    loss.backward()
    assert all(p.grad is not None for p in model.generator.parameters())
    assert set(logs) == {"g_loss"}
