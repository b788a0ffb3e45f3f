"""``--eval-every``: FID during training, logged to metrics.jsonl, with a best checkpoint kept."""

from __future__ import annotations

import json
import math

import pytest
import torch

from ganzoo.errors import UsageError
from ganzoo.runs import checkpoints as ckpt
from ganzoo.train import TrainConfig, train

TINY = dict(arch="vanilla", dataset="fashion-mnist", arch_options={"hidden": [32, 64]}, data_options={"limit": 256},
            batch_size=16, precision="fp32", device="cpu", quiet=True, log_every=1, sample_count=4,
            eval_every=3, eval_samples=200, eval_reference="fashion-mnist:test")


@pytest.fixture(autouse=True)
def _one_thread(ganzoo_home):
    """One thread for tiny models, and a private eval cache."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def config(out, **changes) -> TrainConfig:
    return TrainConfig(**{**TINY, "out": str(out), **changes})


def eval_lines(run_dir):
    lines = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [line for line in lines if "eval" in line]


def test_eval_every_logs_fid_and_keeps_the_best_checkpoint(tmp_path):
    run = tmp_path / "run"
    result = train(config(run, max_steps=6, checkpoint_every=1, keep_checkpoints=1))
    evals = eval_lines(run)
    assert [e["step"] for e in evals] == [3, 6]
    fids = [e["eval"]["FID[fmnist-cnn]"] for e in evals]
    assert all(math.isfinite(f) and f > 0 for f in fids)
    assert all(e["eval"]["num_samples"] == 200 for e in evals)

    best_step = 3 if fids[0] < fids[1] else 6
    state = ckpt.read_checkpoint(result.checkpoint, training_state=False).state
    assert state["step"] == 6
    assert state["best"]["metric"] == "FID[fmnist-cnn]" and state["best"]["step"] == best_step
    assert state["best"]["value"] == pytest.approx(min(fids))

    # keep_checkpoints=1 keeps the newest plus the best, and the pointer names one on disk
    names = {p.name for p in ckpt.list_checkpoints(run)}
    assert names == {ckpt.step_name(6), ckpt.step_name(best_step)}
    best = ckpt.best_checkpoint(run)
    assert best is not None and best.name == ckpt.step_name(best_step)
    assert ckpt.resolve_checkpoint(run, "best") == best
    assert ckpt.read_checkpoint(best, training_state=False).state["best"]["step"] == best_step


def test_best_checkpoint_survives_pruning_and_resume_restores_best(tmp_path):
    run = tmp_path / "run"
    train(config(run, max_steps=3, checkpoint_every=1, keep_checkpoints=1))
    first = ckpt.read_checkpoint(ckpt.latest_checkpoint(run), training_state=False).state["best"]
    assert first["step"] == 3
    # no evaluation at steps 4 and 5: they are checkpointed, step 4 is pruned, step 3 (the best) stays
    resumed = train(config(run, max_steps=5, checkpoint_every=1, keep_checkpoints=1, resume=True))
    state = ckpt.read_checkpoint(resumed.checkpoint, training_state=False).state
    assert state["step"] == 5 and state["best"] == first
    assert {p.name for p in ckpt.list_checkpoints(run)} == {ckpt.step_name(3), ckpt.step_name(5)}
    assert ckpt.best_checkpoint(run).name == ckpt.step_name(3)


def test_eval_does_not_change_training(tmp_path):
    plain = train(config(tmp_path / "plain", max_steps=4, eval_every=0, checkpoint_every=0, ema_decay=0.9))
    scored = train(config(tmp_path / "scored", max_steps=4, eval_every=2, checkpoint_every=0, ema_decay=0.9))
    a = ckpt.read_checkpoint(plain.checkpoint, training_state=False).model
    b = ckpt.read_checkpoint(scored.checkpoint, training_state=False).model
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_eval_options_are_checked_before_training(tmp_path):
    with pytest.raises(UsageError, match="unknown feature extractor"):
        train(config(tmp_path / "bad", max_steps=2, eval_feature="fmnist"))
    assert not (tmp_path / "bad" / "checkpoints").exists()
    with pytest.raises(UsageError, match="eval_samples"):
        config(tmp_path / "x", eval_samples=1)


def test_cli_reports_an_extractor_that_does_not_fit_in_one_line(tmp_path):
    from click.testing import CliRunner

    from ganzoo.cli import build_cli

    out = tmp_path / "run"
    args = ["train", "vanilla", "-d", "fake", "--data", "length=32", "--data", "channels=4", "--set", "hidden=[32,64]",
            "-b", "8", "--max-steps", "2", "--eval-every", "1", "--eval-samples", "100", "--eval-reference", "fake:test",
            "--precision", "fp32", "--device", "cpu", "-q", "--out", str(out)]
    result = CliRunner().invoke(build_cli(), args)
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "takes 1- or 3-channel images" in lines[0], result.output
    assert not (out / "checkpoints").exists()
