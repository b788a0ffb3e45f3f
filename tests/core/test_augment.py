"""DiffAugment: differentiable, the same for real and fake, in both players' steps; ADA's controller."""

from __future__ import annotations

import pytest
import torch

from ganzoo.errors import UsageError
from ganzoo.losses import build_objective
from ganzoo.models import build_model
from ganzoo.nn.augment import AdaptiveP, DiffAugment, cutout, parse_policy, translate

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("policy,channels", [("translation", 1), ("cutout", 1), ("color", 3),
                                             ("translation,cutout,color", 3)])
def test_every_policy_is_differentiable(policy, channels):
    torch.manual_seed(0)
    images = torch.randn(6, channels, 16, 16, requires_grad=True)
    out = DiffAugment(policy)(images)
    assert out.shape == images.shape
    (out * torch.randn_like(out)).sum().backward()
    assert images.grad is not None and images.grad.abs().sum() > 0


def test_translation_shifts_whole_pixels_and_fills_with_the_edge():
    torch.manual_seed(1)
    image = torch.arange(64.0).view(1, 1, 8, 8).repeat(32, 1, 1, 1)
    out = translate(image, ratio=0.25)
    assert not torch.equal(out, image)  # 32 random shifts: some moved
    for shifted in out[:, 0]:
        # each row is a run of consecutive values from one source row, clamped at the borders
        steps = shifted[:, 1:] - shifted[:, :-1]
        assert set(steps.unique().tolist()) <= {0.0, 1.0}
        assert set(shifted.flatten().tolist()) <= set(range(64))


def test_cutout_blanks_a_square_of_half_the_side():
    torch.manual_seed(2)
    ones = torch.ones(64, 1, 16, 16)
    out = cutout(ones)
    blanked = (out == 0).flatten(1).sum(1)
    assert blanked.max() == 64  # an 8x8 square when it lies wholly inside
    assert (blanked > 0).all() and (blanked <= 64).all()
    assert set(out.unique().tolist()) <= {0.0, 1.0}


def test_color_needs_rgb_and_the_policy_names_are_checked():
    with pytest.raises(UsageError, match="RGB"):
        DiffAugment("color")(torch.zeros(2, 1, 8, 8))
    with pytest.raises(UsageError, match="unknown augmentation 'flip'"):
        parse_policy("translation,flip")
    assert parse_policy("cutout, colour,translation") == ("translation", "cutout", "color")
    assert parse_policy("none") == () and not DiffAugment("")


def test_probability_zero_is_the_identity_and_one_always_augments():
    images = torch.randn(16, 1, 8, 8)
    assert torch.equal(DiffAugment("cutout", p=0.0)(images), images)
    torch.manual_seed(3)
    always = DiffAugment("cutout", p=1.0)(images)
    assert all(not torch.equal(a, b) for a, b in zip(always, images))


class Recorder(DiffAugment):
    """Counts which tensors pass through the augmentation."""

    def __init__(self) -> None:
        super().__init__("translation,cutout")
        self.seen: list[tuple[int, bool]] = []

    def __call__(self, images):
        self.seen.append((images.shape[0], images.requires_grad))
        return super().__call__(images)


@pytest.mark.parametrize("arch,kwargs", [("dcgan", {"base_channels": 8, "latent_dim": 8}),
                                         ("sngan", {"image_size": 28, "g_channels": 8, "d_channels": 8,
                                                    "latent_dim": 8}),
                                         ("cgan", {"num_classes": 3, "base_channels": 8, "latent_dim": 8,
                                                   "embed_dim": 4})])
def test_real_and_fake_are_augmented_in_both_steps(arch, kwargs):
    torch.manual_seed(0)
    gan = build_model(arch, **kwargs).train()
    recorder = Recorder()
    objective = build_objective("hinge")
    objective.augment = recorder
    batch = {"image": torch.rand(4, 1, 28, 28) * 2 - 1, "label": torch.tensor([0, 1, 2, 0])}
    loss, _ = gan.d_loss(batch, objective)
    d_step = list(recorder.seen)
    assert len(d_step) == 2  # the real batch and the fake batch, each of 4 images
    assert [n for n, _ in d_step] == [4, 4]
    recorder.seen.clear()
    g_loss, _ = gan.g_loss(batch, objective)
    assert recorder.seen and recorder.seen[-1] == (4, True)  # the fakes, with the generator's graph
    g_loss.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in gan.generator.parameters())


def test_adaptive_p_follows_the_sign_of_the_real_scores():
    augment = DiffAugment("translation", p=0.5)
    controller = AdaptiveP(augment, target=0.6, interval=2, speed_images=100)
    for _ in range(2):
        controller.observe(torch.ones(10))  # D is sure of every real image: overfitting
    assert augment.p == pytest.approx(0.7) and controller.last_r == 1.0
    for _ in range(2):
        controller.observe(-torch.ones(10))
    assert augment.p == pytest.approx(0.5)
    state = controller.state_dict()
    other = AdaptiveP(DiffAugment("translation", p=0.0), interval=2, speed_images=100)
    other.load_state_dict(state)
    assert other.augment.p == pytest.approx(0.5) and other.last_r == -1.0
    for _ in range(40):
        controller.observe(torch.ones(10))
    assert augment.p == 1.0  # clamped
