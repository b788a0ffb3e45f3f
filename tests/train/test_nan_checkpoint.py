"""A checkpoint with NaN weights is never called "the last good checkpoint" (issue 22)."""

from __future__ import annotations

from safetensors.torch import load_file, save_file

from ganzoo.runs import checkpoints as ckpt
from ganzoo.train import TrainConfig, train
from ganzoo.train.loop import _newest_finite_checkpoint


def test_the_newest_finite_checkpoint_skips_nan_weights(tmp_path):
    run = tmp_path / "run"
    train(TrainConfig(arch="vanilla", dataset="fake", arch_options={"hidden": [16, 32]}, data_options={"length": 16},
                      batch_size=8, max_steps=2, checkpoint_every=1, keep_checkpoints=0, precision="fp32",
                      device="cpu", quiet=True, out=str(run)))
    first, second = ckpt.list_checkpoints(run)
    assert _newest_finite_checkpoint(run) == second
    weights = load_file(str(second / "model.safetensors"))
    key = next(k for k, v in weights.items() if v.is_floating_point())
    weights[key] = weights[key] * float("nan")
    save_file(weights, str(second / "model.safetensors"))
    assert _newest_finite_checkpoint(run) == first
    weights = load_file(str(first / "model.safetensors"))
    weights[key] = weights[key] * float("inf")
    save_file(weights, str(first / "model.safetensors"))
    assert _newest_finite_checkpoint(run) is None
