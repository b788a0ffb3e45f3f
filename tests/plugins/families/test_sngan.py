"""SNGAN and SNGAN-projection: ResNet players, spectral norm, conditional batch norm, and real training."""

from __future__ import annotations

import json
import math

import pytest
import torch
from conftest import real_data
from torch import nn

from ganzoo.errors import UsageError
from ganzoo.models import build_model
from ganzoo.plugins import get_registry
from ganzoo.train import TrainConfig, Trainer

pytestmark = pytest.mark.usefixtures("one_thread")
TINY = {"g_channels": 8, "d_channels": 8, "latent_dim": 8}


@pytest.mark.parametrize("size,channels", [(28, 1), (32, 3), (64, 3), (32, 1), (28, 3)])
@pytest.mark.parametrize("arch", ["sngan", "sngan-projection"])
def test_shapes(arch, size, channels):
    extra = {"num_classes": 4} if arch == "sngan-projection" else {}
    gan = build_model(arch, image_size=size, channels=channels, **TINY, **extra)
    labels = torch.tensor([0, 3]) if extra else None
    images = gan.sample(z=torch.randn(2, 8), labels=labels)
    assert images.shape == (2, channels, size, size)
    assert images.min() >= -1 and images.max() <= 1
    assert gan.discriminate(images, labels).shape == (2,)


def test_paper_defaults_and_every_discriminator_layer_is_spectrally_normalised():
    gan = build_model("sngan")
    assert gan.image_shape == (3, 32, 32) and gan.latent_dim == 128
    assert gan.generator.width == 256 and gan.discriminator.head.in_features == 128
    layers = [m for m in gan.discriminator.modules() if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding))]
    assert layers and all(torch.nn.utils.parametrize.is_parametrized(m, "weight") for m in layers)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in gan.discriminator.modules())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in gan.generator.modules()) == 2 * 3 + 1


def test_conditional_batch_norm_and_projection_use_the_label():
    torch.manual_seed(0)
    gan = build_model("sngan-projection", num_classes=3, image_size=28, **TINY).eval()
    with torch.no_grad():
        for module in gan.generator.modules():  # make the per-class gains differ
            if hasattr(module, "gain"):
                module.gain.weight.normal_(1.0, 0.5)
    z = torch.randn(1, 8).repeat(3, 1)
    images = gan.sample(z=z, labels=torch.tensor([0, 1, 2]))
    assert not torch.allclose(images[0], images[1]) and not torch.allclose(images[1], images[2])
    same = images[:1].repeat(3, 1, 1, 1)
    scores = gan.discriminate(same, torch.tensor([0, 1, 2]))
    assert len(set(scores.tolist())) == 3
    with pytest.raises(UsageError, match="class indices 0-2"):
        gan.sample(z=z, labels=torch.tensor([0, 1, 5]))


def test_bad_options_are_usage_errors():
    with pytest.raises(UsageError, match="28, 32, 64"):
        build_model("sngan", image_size=48)
    with pytest.raises(UsageError, match="g_channels"):
        build_model("sngan", g_channels=0)
    with pytest.raises(UsageError, match="num_classes"):
        build_model("sngan-projection", num_classes=1)


def test_family_training_defaults_are_hinge_and_two_timescales():
    for name in ("sngan", "sngan-projection"):
        defaults = get_registry("architectures").get(name).metadata["train_defaults"]
        assert defaults["loss"] == "hinge" and defaults["lr_d"] == 4 * defaults["lr_g"]
        assert defaults["betas"] == [0.0, 0.9]


@pytest.mark.parametrize("arch", ["sngan", "sngan-projection"])
def test_trains_on_real_fashion_mnist(arch, tmp_path):
    real_data("fashion-mnist", limit=256)
    config = TrainConfig.for_arch(arch, dataset="fashion-mnist", data_options={"limit": 256},
                                  arch_options={"g_channels": 16, "d_channels": 16, "latent_dim": 16},
                                  batch_size=32, max_steps=16, precision="fp32", device="cpu",
                                  out=str(tmp_path / "run"), quiet=True, log_every=4, seed=0)
    trainer = Trainer(config)
    trainer.fit()
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [4, 8, 12, 16]
    assert all(math.isfinite(line[k]) for line in lines for k in ("d_loss", "g_loss"))
    assert lines[-1]["d_real"] > lines[-1]["d_fake"]  # the critic separates real from fake
    assert lines[-1]["d_loss"] < lines[0]["d_loss"]
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["loss"]["name"] == "hinge" and saved["optimizer"]["lr_d"] == 4e-4
    if arch == "sngan-projection":
        assert trainer.model.num_classes == 10
