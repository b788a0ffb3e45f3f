"""The wgan-gp family: layouts, a critic without batch norm, and a short run on real Fashion-MNIST."""

from __future__ import annotations

import json
import math

import pytest
import torch
from conftest import real_data
from safetensors.torch import load_file
from torch import nn

from ganzoo.errors import UsageError
from ganzoo.losses import build_objective
from ganzoo.models import GAN, build_model
from ganzoo.plugins import get_registry
from ganzoo.train import TrainConfig, Trainer

pytestmark = pytest.mark.usefixtures("one_thread")


def tiny(size: int = 28, **options) -> nn.Module:
    torch.manual_seed(0)
    return build_model("wgan-gp", image_size=size, base_channels=4, latent_dim=8, **options)


def test_registered_with_metadata_and_the_papers_recipe():
    spec = get_registry("architectures").get("wgan-gp")
    meta = spec.metadata
    assert meta["task"] == "unconditional" and meta["paper"] == "arXiv:1704.00028"
    assert meta["image_sizes"] == [28, 32, 64] and meta["test_kwargs"]
    assert dict(meta["train_defaults"]) == {"loss": "wasserstein", "regularisers": {"gradient-penalty": 10.0},
                                            "n_critic": 5, "lr_g": 1e-4, "lr_d": 1e-4, "betas": [0.5, 0.9]}


@pytest.mark.parametrize(("size", "channels"), [(28, 1), (32, 3), (64, 3)])
def test_shapes_and_a_critic_without_batch_norm_or_dropout(size, channels):
    model = tiny(size)
    assert model.image_shape == (channels, size, size)
    images = model.sample(3, generator=torch.Generator().manual_seed(0))
    assert images.shape == (3, channels, size, size)
    assert model.discriminate(images).shape == (3,)
    kinds = {type(m) for m in model.discriminator.modules()}
    assert not any(issubclass(k, (nn.modules.batchnorm._BatchNorm, nn.Dropout)) for k in kinds)
    assert nn.GroupNorm in kinds  # layer norm by default
    assert nn.GroupNorm not in {type(m) for m in tiny(size, norm="none").discriminator.modules()}


def test_the_critic_scores_each_image_on_its_own():
    """No batch statistics: an image's score does not depend on the rest of its batch (what GP assumes)."""
    model = tiny(32).train()
    images = torch.rand(4, 3, 32, 32) * 2 - 1
    together = model.discriminate(images)
    alone = torch.cat([model.discriminate(images[i:i + 1]) for i in range(4)])
    torch.testing.assert_close(together, alone, rtol=1e-5, atol=1e-5)


def test_joint_critic_pass_gives_the_base_class_loss():
    model = tiny(28)
    batch = {"image": torch.rand(4, 1, 28, 28) * 2 - 1}
    objective = build_objective("wasserstein", {"gradient-penalty": 10.0})
    torch.manual_seed(3)
    loss, logs = model.d_loss(batch, objective)
    torch.manual_seed(3)
    base_loss, base_logs = GAN.d_loss(model, batch, objective)
    torch.testing.assert_close(loss, base_loss, rtol=1e-5, atol=1e-6)
    assert logs.keys() == base_logs.keys() and "wasserstein" in logs


@pytest.mark.parametrize(("options", "message"), [
    ({"image_size": 48}, "supports image_size 28, 32, 64"),
    ({"norm": "batch"}, "norm must be one of layer, none"),
    ({"base_channels": 0}, "base_channels must be a positive integer"),
])
def test_bad_options_are_usage_errors(options, message):
    with pytest.raises(UsageError, match=message):
        build_model("wgan-gp", **options)


# -- real data ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fashion():
    return real_data("fashion-mnist", limit=256)


def test_short_run_on_fashion_mnist_with_the_family_recipe(fashion, tmp_path):
    out = tmp_path / "run"
    config = TrainConfig.for_arch("wgan-gp", "fashion-mnist", data_options={"limit": 256},
                                  arch_options={"base_channels": 8, "latent_dim": 16}, batch_size=16, max_steps=6,
                                  precision="fp32", device="cpu", out=str(out), quiet=True, log_every=2, seed=0)
    assert (config.loss, config.n_critic, config.regularisers) == ("wasserstein", 5, {"gradient-penalty": 10.0})
    trainer = Trainer(config)
    trainer.fit()

    torch.manual_seed(0)  # the trainer seeds the same way before building its model
    untrained = build_model("wgan-gp", base_channels=8, latent_dim=16)
    trained = trainer.model.cpu()
    assert all(not torch.equal(a, b) for a, b in zip(untrained.generator.parameters(), trained.generator.parameters()))

    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [2, 4, 6]
    for line in lines:
        assert all(math.isfinite(line[k]) for k in ("d_loss", "g_loss", "d_penalty", "wasserstein"))
        assert line["wasserstein"] == pytest.approx(line["d_real"] - line["d_fake"], abs=1e-5)
        assert line["d_penalty"] > 0 and line["lr_d"] == 1e-4
    assert lines[-1]["wasserstein"] > 0  # the critic already scores real images above fakes

    # n_critic 5: the critic's optimiser stepped five times per generator step
    checkpoint = out / "checkpoints" / "step_00000006"
    steps = load_file(str(checkpoint / "optimizers.safetensors"))
    assert float(steps["discriminator.state.0.step"]) == 30 and float(steps["generator.state.0.step"]) == 6
    state = json.loads((checkpoint / "state.json").read_text())
    assert state["optimizers"]["discriminator"]["param_groups"][0]["betas"] == [0.5, 0.9]
