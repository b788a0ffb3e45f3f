"""The public pieces families build on: ImageToImageGAN, the loss helpers, the DCGAN blocks and inits."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganzoo.errors import UsageError
from ganzoo.losses import Objective, build_objective
from ganzoo.models import ImageToImageGAN, generator_adversarial, has_batch_norm, score_together
from ganzoo.nn import dcgan_blocks as blocks
from ganzoo.nn.init import init_like_dcgan_paper, init_like_tensorflow

pytestmark = pytest.mark.usefixtures("one_thread")


# -- ImageToImageGAN --------------------------------------------------------------------------------
class Shift(ImageToImageGAN):
    """Adds a learned offset (a2b) or subtracts it (b2a); dropout shows whether it ran in train mode."""

    directions = ("a2b", "b2a")

    def __init__(self, domains=None) -> None:
        super().__init__({"domains": domains})
        self.domains = self.domain_names("shift", domains, default={"a": "low", "b": "high"})
        self.input_shape = self.image_shape = (1, 4, 4)
        self.generator = nn.Dropout(0.5)
        self.offset = nn.Parameter(torch.tensor(0.5))

    def _translate(self, inputs, direction):
        moved = inputs + self.offset if direction == "a2b" else inputs - self.offset
        return self.generator(moved) * 10  # clamped to [-1, 1] by translate


def test_translate_checks_runs_in_eval_mode_without_grad_and_restores_the_mode():
    model = Shift().train()
    x = torch.zeros(2, 1, 4, 4)
    out = model.translate(x, "a2b")
    assert model.training and not out.requires_grad
    assert torch.equal(out, torch.ones(2, 1, 4, 4))  # no dropout (eval), then clamped
    assert torch.equal(model.translate(x, "b2a"), -torch.ones(2, 1, 4, 4))
    assert torch.equal(model.sample(inputs=x), out)  # the first direction
    model.eval()
    model.translate(x)
    assert not model.training


@pytest.mark.parametrize(("call", "message"), [
    (lambda m: m.translate(torch.zeros(1, 1, 4, 4), "b2c"),
     r"unknown direction 'b2c'; this model translates: a2b \(low -> high\), b2a \(high -> low\)"),
    (lambda m: m.translate(torch.zeros(1, 3, 4, 4)), r"Shift expects input images \[N, 1, 4, 4\], got \[1, 3, 4, 4\]"),
    (lambda m: m.translate(torch.zeros(1, 4, 4)), r"expects input images \[N, 1, 4, 4\]"),
    (lambda m: m.sample(4), "translates images rather than sampling from noise; pass inputs=IMAGES"),
    (lambda m: m.generate(torch.zeros(1, 0)), "Shift has no latent space"),
    (lambda m: Shift(domains={"a": "x"}), 'shift option domains must name domains a and b, like {"a": "edge map"'),
])
def test_misuse_is_a_one_line_usage_error(call, message):
    with pytest.raises(UsageError, match=message) as info:
        call(Shift())
    assert "\n" not in str(info.value)


def test_each_direction_takes_its_own_domains_shape():
    model = Shift()
    model.input_shape = (3, 4, 4)  # A: colour; B: grey
    assert model.input_shape_for("a2b") == (3, 4, 4) and model.input_shape_for("b2a") == (1, 4, 4)
    assert model.translate(torch.zeros(2, 1, 4, 4), "b2a").shape == (2, 1, 4, 4)
    with pytest.raises(UsageError, match=r"\[N, 3, 4, 4\], got \[2, 1, 4, 4\]"):
        model.translate(torch.zeros(2, 1, 4, 4), "a2b")


def test_errors_use_the_registered_name_and_domains_are_kept():
    import ganzoo

    model = ganzoo.create_model("pix2pix", image_size=28, in_channels=1, channels=1, base_channels=2,
                                domains={"a": "edge map", "b": "garment"})
    assert model.task == "image-to-image" and model.directions == ("a2b",)
    assert model.domains == model.config["domains"] == {"a": "edge map", "b": "garment"}
    with pytest.raises(UsageError, match=r"^pix2pix expects input images"):
        model.translate(torch.zeros(1, 1, 32, 32))


# -- loss helpers -----------------------------------------------------------------------------------
def test_score_together_gives_the_scores_of_two_passes_and_keeps_channels_last():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 4 * 4, 1))
    real = torch.randn(3, 1, 6, 6).contiguous(memory_format=torch.channels_last)
    fake = torch.randn(3, 1, 6, 6)
    seen = []
    critic.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    real_scores, fake_scores = score_together(lambda x: critic(x).view(-1), real, fake)
    assert len(seen) == 1 and seen[0].is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(real_scores, critic(real).view(-1), atol=1e-6)
    assert torch.allclose(fake_scores, critic(fake).view(-1), atol=1e-6)


def test_has_batch_norm():
    assert has_batch_norm(nn.Sequential(nn.Conv2d(1, 1, 1), nn.BatchNorm2d(1)))
    assert has_batch_norm(nn.Sequential(nn.Sequential(nn.BatchNorm1d(3))))
    assert not has_batch_norm(nn.Sequential(nn.Conv2d(1, 1, 1), nn.GroupNorm(1, 1), nn.InstanceNorm2d(1)))


def test_generator_adversarial_passes_real_scores_only_to_losses_that_need_them():
    critic = nn.Linear(2, 1)
    fake, real = torch.randn(4, 2, requires_grad=True), torch.randn(4, 2)
    scored = lambda x: critic(x).view(-1)  # noqa: E731
    loss = generator_adversarial(build_objective(), scored, fake, real)
    assert torch.allclose(loss, build_objective().g_loss(scored(fake)))

    class Relativistic(type(build_objective().adversarial)):
        uses_real_in_g = True
        seen: list = []

        def g_loss(self, fake, real=None):
            self.seen.append(real)
            return (real.mean() - fake.mean())

    loss = generator_adversarial(Objective(Relativistic()), scored, fake, real)
    (given,) = Relativistic.seen
    assert torch.allclose(given, scored(real)) and not given.requires_grad  # a constant for G
    loss.backward()
    assert fake.grad is not None


# -- DCGAN blocks and inits -------------------------------------------------------------------------
def test_the_layouts_shapes():
    z = torch.randn(2, 10)
    assert blocks.tutorial_generator(10, 1, 4)(z).shape == (2, 1, 28, 28)
    assert blocks.example_generator(32, 10, 3, 4)(z).shape == (2, 3, 32, 32)
    assert blocks.example_generator(64, 10, 3, 4)(z).shape == (2, 3, 64, 64)
    assert blocks.example_widths(64, 4) == [4, 8, 16, 32]
    layers, depth = blocks.tutorial_convs(1, 4)
    assert nn.Sequential(*layers)(torch.zeros(2, 1, 28, 28)).shape == (2, depth, 7, 7) and depth == 8
    layers, depth = blocks.example_convs(64, 3, 4)
    assert nn.Sequential(*layers)(torch.zeros(2, 3, 64, 64)).shape == (2, depth, 4, 4) and depth == 32
    with pytest.raises(UsageError, match="fam supports image_size 28, 32, 64, not 48"):
        blocks.check_image_size("fam", 48)


def test_options_place_norm_dropout_and_biases_where_the_families_need_them():
    kinds = lambda layers: [type(m).__name__ for m in layers]  # noqa: E731
    layers, _ = blocks.tutorial_convs(1, 4, norm=lambda c: nn.GroupNorm(1, c), dropout=lambda: nn.Dropout(0.3))
    assert kinds(layers) == ["Conv2d", "LeakyReLU", "Dropout", "Conv2d", "GroupNorm", "LeakyReLU", "Dropout"]
    assert all(m.bias is not None for m in layers if isinstance(m, nn.Conv2d))  # Keras convolutions
    layers, _ = blocks.example_convs(32, 3, 4)  # the PyTorch example: batch norm, no biases
    assert kinds(layers) == ["Conv2d", "LeakyReLU", "Conv2d", "BatchNorm2d", "LeakyReLU", "Conv2d", "BatchNorm2d",
                             "LeakyReLU"]
    assert all(m.bias is None for m in layers if isinstance(m, nn.Conv2d))
    layers, _ = blocks.example_convs(32, 3, 4, norm=None, bias=True)
    assert all(m.bias is not None for m in layers if isinstance(m, nn.Conv2d))


def test_hwc_order_is_tensorflows_and_free_for_channels_last():
    x = torch.arange(2 * 3 * 2 * 2.0).view(2, 3, 2, 2).contiguous(memory_format=torch.channels_last)
    flat = blocks.FlattenHWC()(x)
    assert flat.data_ptr() == x.data_ptr()  # a view, no copy
    assert torch.equal(flat[0, :3], x[0, :, 0, 0])  # channels vary fastest
    assert torch.equal(blocks.ToImageHWC(3, 2)(flat), x)


@torch.no_grad()
def test_inits():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(200, 300), nn.Conv2d(64, 64, 5), nn.Embedding(50, 200), nn.BatchNorm2d(500),
                          nn.GroupNorm(1, 4))
    model.apply(init_like_tensorflow)
    bound = (6 / (200 + 300)) ** 0.5  # Glorot uniform
    assert float(model[0].weight.abs().max()) <= bound and float(model[0].weight.abs().max()) > 0.95 * bound
    assert float(model[0].bias.abs().max()) == 0 and float(model[1].bias.abs().max()) == 0
    assert torch.equal(model[3].weight, torch.ones(500))  # batch norm left alone
    model.apply(init_like_dcgan_paper)
    for layer in model[:3]:
        assert float(layer.weight.std()) == pytest.approx(0.02, rel=0.1)
    assert float(model[3].weight.mean()) == pytest.approx(1.0, abs=5e-3) and float(model[3].weight.std()) > 0.01
    assert torch.equal(model[4].weight, torch.ones(4))  # group norm left alone
