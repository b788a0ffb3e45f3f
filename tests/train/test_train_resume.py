"""Nothing is lost: exact resume, atomic checkpoints, NaN stops, run directories are not clobbered."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest
import torch
from safetensors.torch import load_file

from ganzoo.errors import CheckpointError, TrainingError, UsageError
from ganzoo.runs import checkpoints as ckpt
from ganzoo.train import TrainConfig, load_run, train

TINY = dict(arch="vanilla", dataset="fake", arch_options={"hidden": [32, 64]}, data_options={"length": 40},
            batch_size=8, precision="fp32", device="cpu", quiet=True, log_every=1, sample_count=4)


pytestmark = pytest.mark.usefixtures("one_thread")


def config(out, **changes) -> TrainConfig:
    return TrainConfig(**{**TINY, "out": str(out), **changes})


def generator_weights(run_dir, name=None):
    path = ckpt.resolve_checkpoint(run_dir, name)
    return {k: v for k, v in load_file(str(path / "model.safetensors")).items() if k.startswith("generator.")}


def test_resuming_mid_epoch_gives_the_weights_of_an_uninterrupted_run(tmp_path):
    # 40 images / batch 8 = 5 batches per epoch: the split at step 3 is mid-epoch and the
    # second half crosses an epoch boundary. Dropout, EMA and label noise all draw random numbers.
    tricks = dict(ema_decay=0.9, label_noise=0.05, checkpoint_every=0)
    whole = train(config(tmp_path / "whole", max_steps=6, **tricks))
    train(config(tmp_path / "split", max_steps=3, **tricks))
    state = ckpt.read_checkpoint(ckpt.latest_checkpoint(tmp_path / "split")).state
    assert (state["step"], state["data"]["epoch"], state["data"]["position"]) == (3, 0, 3)
    resumed = train(config(tmp_path / "split", max_steps=6, resume=True, **tricks))
    assert whole.step == resumed.step == 6
    a, b = generator_weights(tmp_path / "whole"), generator_weights(tmp_path / "split")
    assert a.keys() == b.keys()
    assert all(torch.allclose(a[k], b[k], atol=1e-6, rtol=0) for k in a)
    ema_a = load_file(str(whole.checkpoint / "ema.safetensors"))
    ema_b = load_file(str(resumed.checkpoint / "ema.safetensors"))
    assert all(torch.allclose(ema_a[k], ema_b[k], atol=1e-6, rtol=0) for k in ema_a)
    lines = [json.loads(line) for line in (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 2, 3, 4, 5, 6]


def test_resuming_with_new_learning_rates_uses_them(tmp_path):
    train(config(tmp_path / "run", max_steps=2, checkpoint_every=0))
    train(config(tmp_path / "run", max_steps=4, resume=True, lr_d=1e-5, lr_g=3e-5))
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [(line["lr_g"], line["lr_d"]) for line in lines] == [(2e-4, 2e-4)] * 2 + [(3e-5, 1e-5)] * 2


def test_a_failed_checkpoint_write_keeps_the_previous_one(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = ckpt.save_file

    def flaky(tensors, path, metadata=None):
        calls["n"] += 1
        if calls["n"] > 4:  # the 4 files of the first checkpoint are fine; the second one fails
            with open(path, "wb") as handle:
                handle.write(b"half a file")
            raise OSError("disk full")
        real(tensors, path, metadata=metadata)

    monkeypatch.setattr(ckpt, "save_file", flaky)
    with pytest.raises(OSError, match="disk full"):
        train(config(tmp_path / "run", max_steps=4, checkpoint_every=2))
    assert (tmp_path / "run" / "checkpoints" / "latest").read_text().strip() == "step_00000002"
    model, cfg = load_run(tmp_path / "run")
    assert cfg["loaded"]["step"] == 2
    monkeypatch.setattr(ckpt, "save_file", real)
    result = train(config(tmp_path / "run", max_steps=4, checkpoint_every=2, resume=True))
    assert result.step == 4
    assert not list((tmp_path / "run" / "checkpoints").glob(".tmp-*"))


def test_a_process_killed_while_writing_leaves_a_loadable_checkpoint(tmp_path):
    script = textwrap.dedent(f"""
        import os, signal
        from ganzoo.runs import checkpoints
        from ganzoo.train import TrainConfig, train
        real, calls = checkpoints.save_file, [0]
        def dying(tensors, path, metadata=None):
            calls[0] += 1
            if calls[0] == 6:  # inside the second checkpoint, after one of its files
                open(path, "wb").write(b"partial")
                os.kill(os.getpid(), signal.SIGKILL)
            real(tensors, path, metadata=metadata)
        checkpoints.save_file = dying
        train(TrainConfig(**{TINY!r}, out={str(tmp_path / "run")!r}, max_steps=4, checkpoint_every=2))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert list((tmp_path / "run" / "checkpoints").glob(".tmp-step_00000004"))
    model, cfg = load_run(tmp_path / "run")
    assert cfg["loaded"]["step"] == 2
    result = train(config(tmp_path / "run", max_steps=3, resume=True))
    assert result.step == 3 and not list((tmp_path / "run" / "checkpoints").glob(".tmp-*"))


def test_a_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    from ganzoo_vanilla.models import VanillaGAN

    real_d_loss, calls = VanillaGAN.d_loss, {"n": 0}

    def poisoned(self, batch, objective):
        calls["n"] += 1
        loss, logs = real_d_loss(self, batch, objective)
        if calls["n"] >= 4:
            loss, logs = loss * float("nan"), {**logs, "d_loss": float("nan")}
        return loss, logs

    monkeypatch.setattr(VanillaGAN, "d_loss", poisoned)
    with pytest.raises(TrainingError, match="non-finite loss at step 4") as info:
        train(config(tmp_path / "run", max_steps=10, checkpoint_every=2))
    assert info.value.exit_code == 1 and "step_00000002" in str(info.value) and "--resume" in str(info.value)
    assert [p.name for p in ckpt.list_checkpoints(tmp_path / "run")] == ["step_00000002"]
    state = load_file(str(tmp_path / "run" / "checkpoints" / "step_00000002" / "model.safetensors"))
    assert all(torch.isfinite(t).all() for t in state.values())


def test_run_directories_are_not_clobbered(tmp_path):
    out = tmp_path / "run"
    train(config(out, max_steps=2))
    with pytest.raises(UsageError, match="already holds a run .*--resume.*--overwrite"):
        train(config(out, max_steps=2))
    with pytest.raises(UsageError, match="cannot resume with changed options .*batch_size"):
        train(config(out, max_steps=3, batch_size=4, resume=True))
    with pytest.raises(UsageError, match="nothing to resume"):
        train(config(tmp_path / "empty", max_steps=2, resume=True))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        train(config(tmp_path / "other", max_steps=2))
    (out / "samples" / "stale.png").write_bytes(b"x")
    train(config(out, max_steps=1, overwrite=True))
    assert not (out / "samples" / "stale.png").exists()
    assert [p.name for p in ckpt.list_checkpoints(out)] == ["step_00000001"]


def test_old_checkpoints_are_pruned(tmp_path):
    out = tmp_path / "run"
    train(config(out, max_steps=4, checkpoint_every=1, keep_checkpoints=2))
    assert [p.name for p in ckpt.list_checkpoints(out)] == ["step_00000003", "step_00000004"]
    assert (out / "checkpoints" / "latest").read_text().strip() == "step_00000004"


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("finished") / "run"
    train(TrainConfig(**{**TINY, "out": str(out), "max_steps": 4, "checkpoint_every": 2, "ema_decay": 0.5,
                         "sample_every": 2}))
    return out


def test_the_run_directory_layout(finished_run):
    cfg = json.loads((finished_run / "config.json").read_text())
    assert cfg["architecture"]["name"] == "vanilla" and cfg["architecture"]["kwargs"]["hidden"] == [32, 64]
    assert cfg["dataset"] == {**cfg["dataset"], "name": "fake", "options": {"length": 40}}
    assert {"ganzoo_version", "torch_version", "argv", "seed", "loss", "optimizer", "train"} <= set(cfg)
    step = finished_run / "checkpoints" / "step_00000004"
    assert {p.name for p in step.iterdir()} == {"model.safetensors", "ema.safetensors", "optimizers.safetensors",
                                                  "rng.safetensors", "state.json"}
    state = json.loads((step / "state.json").read_text())
    assert {"step", "epoch", "data", "rng", "optimizers"} <= set(state)
    assert load_file(str(step / "rng.safetensors"))["torch_cpu"].dtype == torch.uint8
    assert {p.name for p in (finished_run / "samples").iterdir()} == {"step_00000002.png", "step_00000004.png"}
    assert (finished_run / "progress.gif").stat().st_size > 0
    metrics = json.loads((finished_run / "metrics.jsonl").read_text().splitlines()[-1])
    assert {"step", "epoch", "d_loss", "g_loss", "d_real", "d_fake", "lr_g", "lr_d", "images_per_s"} <= set(metrics)


def test_load_run_picks_weights_and_checkpoints(finished_run):
    ema_model, cfg = load_run(finished_run)
    assert cfg["loaded"] == {**cfg["loaded"], "step": 4, "ema": True}
    plain, cfg = load_run(finished_run, ema=False, checkpoint="2")
    assert cfg["loaded"]["step"] == 2 and not cfg["loaded"]["ema"] and not plain.training
    _, _, state = load_run(finished_run, checkpoint="step_00000004", with_state=True)
    assert state["step"] == 4 and state["ema_loaded"]
    with pytest.raises(CheckpointError, match="available: step_00000002, step_00000004"):
        load_run(finished_run, checkpoint="step_9")


def test_load_run_fails_clearly_on_broken_runs(finished_run, tmp_path):
    run = tmp_path / "copy"
    shutil.copytree(finished_run, run)
    step = run / "checkpoints" / "step_00000004"
    data = (step / "model.safetensors").read_bytes()
    (step / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt"):
        load_run(run)
    os.remove(step / "model.safetensors")
    with pytest.raises(CheckpointError, match="missing"):
        load_run(run, checkpoint="step_00000004")
    cfg = json.loads((run / "config.json").read_text())
    cfg["architecture"]["kwargs"]["hidden"] = [16, 64]
    (run / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="does not match the model"):
        load_run(run, checkpoint="2")
    shutil.rmtree(run / "checkpoints")
    with pytest.raises(CheckpointError, match="no checkpoint yet"):
        load_run(run)
    with pytest.raises(CheckpointError, match="not a ganzoo run directory"):
        load_run(tmp_path)
