"""A vanilla GAN learns something from 512 real Fashion-MNIST images in 20 steps."""

from __future__ import annotations

import json
import math

import pytest
import torch
from conftest import real_data

from ganzoo.models import build_model
from ganzoo.train import TrainConfig, Trainer

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def fashion():
    return real_data("fashion-mnist", limit=512)


def test_vanilla_moves_towards_the_data(fashion, tmp_path):
    config = TrainConfig("vanilla", "fashion-mnist", data_options={"limit": 512}, arch_options={"hidden": [128, 256]},
                         batch_size=32, max_steps=20, precision="fp32", device="cpu", out=str(tmp_path / "run"),
                         quiet=True, log_every=5, seed=0)
    trainer = Trainer(config)
    trainer.fit()

    torch.manual_seed(0)  # the trainer seeds the same way before building its model
    untrained = build_model("vanilla", hidden=[128, 256])
    trained = trainer.model.cpu()
    changed = [not torch.equal(a, b) for a, b in zip(untrained.generator.parameters(), trained.generator.parameters())]
    assert all(changed)

    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [5, 10, 15, 20]
    assert all(math.isfinite(line[k]) for line in lines for k in ("d_loss", "g_loss", "d_real", "d_fake"))
    assert lines[-1]["d_real"] > lines[-1]["d_fake"]  # D tells real from fake, as it should this early

    # The average generated image (black background, bright clothes in the middle) gets closer to
    # the average real image than the untrained generator's grey noise is.
    z = torch.randn(256, 100, generator=torch.Generator().manual_seed(9))
    data_mean = (fashion.images.float() / 127.5 - 1).mean(0)
    distance = lambda model: float(((model.sample(z=z).mean(0) - data_mean) ** 2).mean())  # noqa: E731
    before, after = distance(untrained), distance(trained)
    assert after < 0.85 * before, (before, after)
