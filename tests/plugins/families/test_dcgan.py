"""The DCGAN family: the three configurations, the paper's details, the fast paths and training."""

from __future__ import annotations

import copy
import json

import pytest
import torch
from torch import nn

import ganzoo
from ganzoo.errors import UsageError
from ganzoo.losses import build_objective
from ganzoo.nn.dropout import FastDropout, fast_dropout, keep_mask
from ganzoo_dcgan.models import DCGAN

TINY = {"base_channels": 8, "latent_dim": 8}


def tiny(image_size: int = 28, **kwargs) -> DCGAN:
    torch.manual_seed(0)
    return ganzoo.create_model("dcgan", image_size=image_size, **{**TINY, **kwargs})


# -- shapes and architecture ------------------------------------------------------------------------
@pytest.mark.parametrize(("size", "channels"), [(28, 1), (32, 3), (64, 3), (32, 1)])
def test_shapes_tiny(size, channels):
    model = tiny(size, channels=channels)
    with torch.no_grad():
        images = model.generate(torch.randn(3, 8))
    assert images.shape == (3, channels, size, size)
    assert model.image_shape == (channels, size, size)
    assert float(images.abs().max()) <= 1.0  # tanh
    assert model.discriminate(images).shape == (3,)


def test_default_28_is_the_tensorflow_tutorial():
    model = ganzoo.create_model("dcgan")
    assert model.config == {"image_size": 28, "channels": 1, "latent_dim": 100, "base_channels": 64,
                            "d_channels": 64, "dropout": 0.3, "share_fakes": True, "spectral_norm": False}
    images = model.generate(torch.randn(2, 100))
    assert images.shape == (2, 1, 28, 28)
    assert model.discriminate(images).shape == (2,)
    # The tutorial's layers, by hand: (weights, batch-norm scale and shift).
    dense = 100 * 7 * 7 * 256 + 2 * 7 * 7 * 256          # no bias
    up1 = 256 * 128 * 5 * 5 + 2 * 128                   # transposed convs have no bias
    up2 = 128 * 64 * 5 * 5 + 2 * 64
    up3 = 64 * 1 * 5 * 5
    assert sum(p.numel() for p in model.generator.parameters()) == dense + up1 + up2 + up3 == 2_305_472
    conv1 = 1 * 64 * 5 * 5 + 64
    conv2 = 64 * 128 * 5 * 5 + 128
    head = 128 * 7 * 7 + 1
    assert sum(p.numel() for p in model.discriminator.parameters()) == conv1 + conv2 + head
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.discriminator.modules())
    assert [m.p for m in model.discriminator.modules() if isinstance(m, FastDropout)] == [0.3, 0.3]


def test_64_follows_the_pytorch_example():
    model = DCGAN(image_size=64)
    convs = [m for m in model.generator.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in convs] == [
        (100, 512, (4, 4)), (512, 256, (4, 4)), (256, 128, (4, 4)), (128, 64, (4, 4)), (64, 3, (4, 4))]
    assert sum(p.numel() for p in model.generator.parameters()) == 3_576_704
    assert sum(p.numel() for p in model.discriminator.parameters()) == 2_765_568
    slopes = {m.negative_slope for m in model.discriminator.modules() if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.2}


def test_64_init_is_normal_002():
    torch.manual_seed(0)
    model = DCGAN(image_size=64)
    weights = torch.cat([m.weight.detach().flatten() for m in model.modules()
                         if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))])
    assert abs(float(weights.mean())) < 1e-3
    assert float(weights.std()) == pytest.approx(0.02, rel=0.02)
    scales = torch.cat([m.weight.detach() for m in model.modules() if isinstance(m, nn.BatchNorm2d)])
    assert float(scales.mean()) == pytest.approx(1.0, abs=5e-3)
    assert float(scales.std()) == pytest.approx(0.02, rel=0.15)
    assert all(float(m.bias.detach().abs().max()) == 0 for m in model.modules() if isinstance(m, nn.BatchNorm2d))


@pytest.mark.parametrize("size", [16, 48, 128])
def test_unsupported_size_is_a_usage_error(size):
    with pytest.raises(UsageError, match="28, 32, 64"):
        ganzoo.create_model("dcgan", image_size=size)


def test_bad_widths_are_usage_errors():
    with pytest.raises(UsageError, match="base_channels"):
        DCGAN(base_channels=0)
    with pytest.raises(UsageError, match="dropout"):
        DCGAN(dropout=1.0)


def test_registered_with_metadata():
    spec = ganzoo.plugins.get_registry("architectures").get("dcgan")
    assert spec.metadata["task"] == "unconditional"
    assert list(spec.metadata["image_sizes"]) == [28, 32, 64]
    rebuilt = ganzoo.create_model("dcgan", **spec.metadata["test_kwargs"])
    assert json.loads(json.dumps(rebuilt.config)) == rebuilt.config


# -- dropout ------------------------------------------------------------------------------------------
def test_discriminator_dropout_is_random_in_train_and_off_in_eval():
    model = tiny()
    images = torch.rand(4, 1, 28, 28) * 2 - 1
    model.train()
    assert not torch.equal(model.discriminate(images), model.discriminate(images))
    model.eval()
    assert torch.equal(model.discriminate(images), model.discriminate(images))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_fast_dropout_keeps_p_and_scales(dtype):
    torch.manual_seed(0)
    x = torch.ones(1_000_000, dtype=dtype)
    mask = keep_mask(x, 0.7)
    assert set(mask.unique().tolist()) == {0.0, 1.0}
    assert float(mask.float().mean()) == pytest.approx(0.7, abs=2e-3)
    y = fast_dropout(x, 0.3)
    values = y.float().unique().tolist()
    assert len(values) == 2 and values[0] == 0.0 and values[1] == pytest.approx(1 / 0.7, rel=4e-3)
    assert float(y.float().mean()) == pytest.approx(1.0, abs=4e-3)
    assert fast_dropout(x, 0.3, training=False) is x


def test_fast_dropout_gradient_uses_the_same_mask():
    torch.manual_seed(1)
    x = torch.randn(64, 8, 5, 5).contiguous(memory_format=torch.channels_last).requires_grad_()
    y = fast_dropout(x, 0.3)
    assert y.is_contiguous(memory_format=torch.channels_last)
    y.sum().backward()
    kept = y.detach() != 0
    assert torch.allclose(x.grad[kept], torch.full_like(x.grad[kept], 1 / 0.7))
    assert bool((x.grad[~kept] == 0).all())


def test_fast_dropout_masks_do_not_depend_on_dtype():
    """Same seed, same dropped elements in fp32 and bf16, so precision runs are comparable."""
    torch.manual_seed(3)
    a = keep_mask(torch.empty(999), 0.7)
    torch.manual_seed(3)
    b = keep_mask(torch.empty(999, dtype=torch.bfloat16), 0.7)
    assert torch.equal(a, b.float())


# -- fast paths keep the maths (the joint D pass and shared fakes: tests/core/test_fast_paths.py) -----------
def test_bf16_channels_last_forward_matches_fp32():
    model = tiny(base_channels=16).eval()
    z = torch.randn(8, 8)
    with torch.no_grad():
        ref_images = model.generate(z)
        ref_logits = model.discriminate(ref_images)
        fast = copy.deepcopy(model).to(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            images = fast.generate(z)
            logits = fast.discriminate(ref_images.contiguous(memory_format=torch.channels_last))
    assert images.dtype == torch.bfloat16
    assert logits.dtype == torch.float32  # the losses are computed in fp32
    assert torch.allclose(images.float(), ref_images, atol=0.05)
    assert torch.allclose(logits.float(), ref_logits, atol=0.05 * max(1.0, float(ref_logits.abs().max())))


# -- training -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [28, 32])
def test_training_smoke(size):
    from ganzoo.data import build_dataset

    model = tiny(size, channels=1)
    data = build_dataset("fake", size=size, channels=1, length=32)
    batch = data.get_batch(torch.arange(16))
    objective = build_objective()
    opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(model.generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    before = [p.detach().clone() for p in model.generator.parameters()]
    for _ in range(3):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            d_loss, d_logs = model.d_loss(batch, objective)
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            g_loss, g_logs = model.g_loss(batch, objective)
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        assert torch.isfinite(d_loss) and torch.isfinite(g_loss)
        assert all(torch.isfinite(torch.tensor(v)) for v in {**d_logs, **g_logs}.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, model.generator.parameters()))


@pytest.mark.parametrize("image_size", [28, 32])
def test_spectral_norm_bounds_every_discriminator_layer(image_size):
    """spectral_norm=True parametrises each of D's weights so that its largest singular value is ~1."""
    torch.manual_seed(0)
    model = ganzoo.create_model("dcgan", image_size=image_size, base_channels=8, latent_dim=8, spectral_norm=True)
    layers = [m for m in model.discriminator.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert layers and all(torch.nn.utils.parametrize.is_parametrized(m, "weight") for m in layers)
    assert not any(torch.nn.utils.parametrize.is_parametrized(m) for m in model.generator.modules())
    images = torch.randn(4, model.image_shape[0], image_size, image_size)
    model.train()
    for _ in range(30):  # power iterations run in training forward passes
        model.discriminate(images)
    for layer in layers:
        weight = layer.weight.detach().reshape(layer.weight.shape[0], -1)
        assert torch.linalg.matrix_norm(weight, ord=2) == pytest.approx(1.0, abs=0.05)
