"""Modern recipes in the engine: DiffAugment, ADA and standing statistics, saved, resumed and checked."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from conftest import real_data
from safetensors.torch import load_file

from ganzoo.errors import UsageError
from ganzoo.runs import checkpoints as ckpt
from ganzoo.train import TrainConfig, load_run, train
from ganzoo.train.ema import standing_statistics

pytestmark = pytest.mark.usefixtures("one_thread")

DCGAN = dict(arch="dcgan", dataset="fake", arch_options={"base_channels": 8, "latent_dim": 8},
             data_options={"length": 40, "size": 28, "channels": 1}, batch_size=8, precision="fp32", device="cpu",
             quiet=True, log_every=1, sample_count=4)


def config(out, **changes) -> TrainConfig:
    return TrainConfig(**{**DCGAN, "out": str(out), **changes})


def test_resume_is_exact_with_augmentation_ada_and_standing_statistics(tmp_path):
    recipe = dict(augment="translation,cutout", ada_target=0.6, ada_speed=200, ema_decay=0.9, standing_batches=2,
                  checkpoint_every=0)
    whole = train(config(tmp_path / "whole", max_steps=6, **recipe))
    train(config(tmp_path / "split", max_steps=3, **recipe))
    resumed = train(config(tmp_path / "split", max_steps=6, resume=True, **recipe))
    for name in ("model.safetensors", "ema.safetensors"):
        a, b = load_file(str(whole.checkpoint / name)), load_file(str(resumed.checkpoint / name))
        assert a.keys() == b.keys()
        assert all(torch.allclose(a[k], b[k], atol=1e-6, rtol=0) for k in a), name
    state_a = json.loads((whole.checkpoint / "state.json").read_text())["augment"]
    state_b = json.loads((resumed.checkpoint / "state.json").read_text())["augment"]
    assert state_a == state_b and 0.0 <= state_a["p"] <= 1.0
    lines = [json.loads(line) for line in (tmp_path / "whole" / "metrics.jsonl").read_text().splitlines()]
    assert all("augment_p" in line for line in lines)
    assert state_a["last_r"] is not None  # the controller has measured E[sign(D(real))] at least once


def test_checkpointed_ema_carries_standing_statistics_of_its_own_weights(tmp_path):
    result = train(config(tmp_path / "run", max_steps=4, ema_decay=0.9, standing_batches=3))
    model, _ = load_run(tmp_path / "run")  # the EMA generator, as ganzoo sample and export use it
    saved = {k: v.clone() for k, v in model.generator.state_dict().items()}
    standing_statistics(model, model.generator, batches=3, seed=0)  # what the engine ran, from the same seed
    again = model.generator.state_dict()
    assert all(torch.allclose(saved[k].float(), again[k].float(), atol=1e-5) for k in saved)
    # ... which is not what the live generator's buffers say
    live = load_file(str(result.checkpoint / "model.safetensors"))
    means = [k for k in saved if k.endswith("running_mean")]
    assert means and any(not torch.allclose(saved[k], live["generator." + k]) for k in means)


def test_standing_statistics_off_copies_the_live_buffers(tmp_path):
    result = train(config(tmp_path / "run", max_steps=3, ema_decay=0.9, standing_batches=0))
    ema = load_file(str(result.checkpoint / "ema.safetensors"))
    live = load_file(str(result.checkpoint / "model.safetensors"))
    means = [k for k in ema if k.endswith("running_mean")]
    assert means and all(torch.equal(ema[k], live["generator." + k]) for k in means)


def test_recipe_options_are_checked():
    with pytest.raises(UsageError, match="unknown augmentation 'flip'"):
        TrainConfig(augment="flip")
    with pytest.raises(UsageError, match="needs --augment|add --augment"):
        TrainConfig(ada_target=0.6)
    with pytest.raises(UsageError, match="probability"):
        TrainConfig(augment="cutout", augment_p=1.5)


def test_color_on_grey_images_and_pix2pix_pairs_are_refused(tmp_path):
    with pytest.raises(UsageError, match="RGB"):
        train(config(tmp_path / "grey", max_steps=1, augment="color"))
    with pytest.raises(UsageError, match="not available"):
        train(TrainConfig("pix2pix", "fake", arch_options={"base_channels": 8},
                          data_options={"length": 8, "pairs": True, "size": 28, "channels": 1}, batch_size=4,
                          max_steps=1, out=str(tmp_path / "p2p"), quiet=True, augment="translation", device="cpu"))


def test_the_cli_trains_dcgan_with_augmentation_on_real_data(tmp_path):
    real_data("fashion-mnist", limit=64)
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "ganzoo", "train", "dcgan", "--dataset", "fashion-mnist",
                           "--augment", "translation,cutout", "--max-steps", "50", "--data", "limit=512",
                           "-b", "16", "--set", "base_channels=16", "--out", str(out), "-q", "--log-every", "25"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    saved = json.loads((out / "config.json").read_text())
    assert saved["train"]["augment"] == "translation,cutout"
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [25, 50] and lines[-1]["augment_p"] == 1.0
    assert ckpt.latest_checkpoint(out).name == "step_00000050"
