"""Crash-proof checkpoints and honest resumes.

A process killed between the two renames of re-saving a step keeps a usable checkpoint, which
the next ``sample`` or ``train --resume`` recovers; ``--resume`` says where it continues from,
refuses when there is nothing to continue, skips an unreadable latest checkpoint with a warning,
takes ``--checkpoint NAME``, and replays no metrics rows twice; ``-q`` is not saved with the run.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from ganzoo import io as ganzoo_io
from ganzoo.io import fsync_dir, replace_dir
from ganzoo.runs import checkpoints as ckpt
from ganzoo.train import TrainConfig, train

TINY = dict(arch="vanilla", dataset="fake", arch_options={"hidden": [32, 64]}, data_options={"length": 40},
            batch_size=8, precision="fp32", device="cpu", quiet=True, log_every=1, sample_count=4)
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
STEP2, STEP4 = ckpt.step_name(2), ckpt.step_name(4)

pytestmark = pytest.mark.usefixtures("one_thread")

# ``ganzoo train`` with argv[1:], killed by SIGKILL just before it renames a new ``latest`` pointer into
# place: the checkpoint is written in full, ``latest`` still names the one before, and the pointer's
# temporary file is left behind.
KILLED_BEFORE_THE_POINTER = textwrap.dedent("""
    import os, runpy, signal, sys
    real_replace = os.replace
    def replace_or_die(src, dst, **kwargs):
        if os.path.basename(str(dst)) == "latest":
            os.kill(os.getpid(), signal.SIGKILL)
        real_replace(src, dst, **kwargs)
    os.replace = replace_or_die
    sys.argv = ["ganzoo", "train", *sys.argv[1:]]
    runpy.run_module("ganzoo", run_name="__main__")
""")

# Re-save the latest checkpoint of the run in argv[1] (as a resumed run reaching that step again does),
# killed by SIGKILL right after replace_dir's first rename moved the old folder aside.
CRASH_BETWEEN_RENAMES = textwrap.dedent("""
    import os, signal, sys
    from ganzoo.runs import checkpoints as ckpt
    saved = ckpt.read_checkpoint(ckpt.latest_checkpoint(sys.argv[1]))
    real_replace = os.replace
    def replace_then_die(src, dst, **kwargs):
        real_replace(src, dst, **kwargs)
        if str(dst).endswith(".old"):
            os.kill(os.getpid(), signal.SIGKILL)
    os.replace = replace_then_die
    ckpt.save_checkpoint(sys.argv[1], saved.step, model=saved.model, ema=saved.ema, optimizers=saved.optimizers,
                         rng=saved.rng, state=saved.state)
""")


def ganzoo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ganzoo", *map(str, args)], capture_output=True, text=True,
                          env=ENV, timeout=300)


def warnings_of(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("ganzoo: warning: ")]


def clean(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr


def metrics_steps(run) -> list[int]:
    return [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A run trained to step 4 with checkpoints at 2 and 4."""
    out = tmp_path_factory.mktemp("recovery") / "run"
    train(TrainConfig(**{**TINY, "out": str(out), "max_steps": 4, "checkpoint_every": 2, "keep_checkpoints": 0}))
    return out


@pytest.fixture
def run(finished, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(finished, copy)
    return copy


@pytest.fixture(scope="module")
def crashed(finished, tmp_path_factory):
    """``finished`` with only step 4 kept, killed between the renames of saving step 4 again."""
    out = tmp_path_factory.mktemp("crashed") / "run"
    shutil.copytree(finished, out)
    shutil.rmtree(out / "checkpoints" / STEP2)
    proc = subprocess.run([sys.executable, "-c", CRASH_BETWEEN_RENAMES, str(out)], capture_output=True, text=True,
                          env=ENV, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    root = out / "checkpoints"
    assert sorted(p.name for p in root.iterdir()) == [f".{STEP4}.old", f".tmp-{STEP4}", "latest"]
    assert ckpt.checkpoint_problem(root / f".tmp-{STEP4}") is None  # the new copy was written in full
    assert ckpt.latest_checkpoint(out) is None  # "latest" names a folder that is not there
    return out


def test_sample_recovers_a_checkpoint_left_between_the_renames(crashed, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(crashed, run)
    result = ganzoo("sample", run, "-n", "4", "-o", tmp_path / "grid.png")
    clean(result)
    assert result.returncode == 0, result.stderr
    assert ", step 4)" in result.stdout
    assert any(f"finished saving checkpoint {STEP4}" in line for line in warnings_of(result)), result.stderr
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["latest", STEP4]


def test_resume_recovers_it_and_says_where_it_continues(crashed, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(crashed, run)
    result = ganzoo("train", "--resume", "--out", run, "--max-steps", "6")
    clean(result)
    assert result.returncode == 0, result.stderr
    assert f"ganzoo: resuming {run} from {STEP4}" in result.stderr
    assert ckpt.read_checkpoint(ckpt.latest_checkpoint(run)).step == 6
    assert metrics_steps(run) == [1, 2, 3, 4, 5, 6]


def test_an_incomplete_new_copy_gives_way_to_the_old_one(crashed, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(crashed, run)
    root = run / "checkpoints"
    data = (root / f".tmp-{STEP4}" / "model.safetensors").read_bytes()
    (root / f".tmp-{STEP4}" / "model.safetensors").write_bytes(data[:1000])  # as if killed mid-write
    assert "model.safetensors is truncated" in ckpt.checkpoint_problem(root / f".tmp-{STEP4}")
    notes = ckpt.recover_checkpoints(run)
    assert len(notes) == 1 and f"restored checkpoint {STEP4} from .{STEP4}.old" in notes[0]
    assert sorted(p.name for p in root.iterdir()) == ["latest", STEP4]
    assert ckpt.read_checkpoint(ckpt.resolve_checkpoint(run)).step == 4


def test_resume_without_a_checkpoint_is_refused(run):
    shutil.rmtree(run / "checkpoints")  # a run that died before its first checkpoint
    result = ganzoo("train", "--resume", "--out", run)
    clean(result)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"ganzoo: error: nothing to resume: {run} has config.json but no checkpoint "
                                     f"(the run stopped before its first one); drop --resume and pass --overwrite "
                                     f"to start it again")


def test_an_unreadable_latest_checkpoint_gives_way_to_the_newest_readable_one(run):
    model = run / "checkpoints" / STEP4 / "model.safetensors"
    model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
    result = ganzoo("train", "--resume", "--out", run, "--max-steps", "5", "--checkpoint-every", "2")
    clean(result)
    assert result.returncode == 0, result.stderr
    (warning,) = warnings_of(result)
    assert f"latest checkpoint {STEP4}" in warning and "model.safetensors is truncated" in warning
    assert f"resuming from {STEP2}" in warning
    assert f"ganzoo: resuming {run} from {STEP2}" in result.stderr
    assert ckpt.checkpoint_problem(run / "checkpoints" / STEP4) is None  # saved again on the way to step 5
    assert metrics_steps(run) == [1, 2, 3, 4, 5]  # steps 3 and 4 were trained twice but logged once


def test_resume_from_a_chosen_checkpoint(run):
    result = ganzoo("train", "--resume", "--checkpoint", "2", "--out", run, "--max-steps", "3")
    clean(result)
    assert result.returncode == 0, result.stderr
    assert f"ganzoo: resuming {run} from {STEP2}" in result.stderr
    assert any(f"later checkpoints ({STEP4})" in line for line in warnings_of(result))
    assert ckpt.latest_checkpoint(run).name == ckpt.step_name(3)
    assert metrics_steps(run) == [1, 2, 3]
    result = ganzoo("train", "--resume", "--checkpoint", "step_9", "--out", run)
    clean(result)
    assert result.returncode == 1
    assert f"no checkpoint 'step_9' in {run}; available: {STEP2}, step_00000003" in result.stderr
    (aside,) = (run / "checkpoints").glob("abandoned-*")  # the branch left behind, kept whole
    assert sorted(p.name for p in aside.iterdir()) == ["metrics.jsonl", STEP4]
    result = ganzoo("train", "--checkpoint", "2", "--out", run)
    clean(result)
    assert result.returncode == 2 and "add --resume" in result.stderr


def test_the_corrupt_checkpoint_error_names_an_option_train_has(run):
    model = run / "checkpoints" / STEP4 / "model.safetensors"
    model.write_bytes(b"garbage")
    result = ganzoo("train", "--resume", "--checkpoint", "latest", "--out", run)
    clean(result)
    assert result.returncode == 1 and "corrupt" in result.stderr and "with --checkpoint" in result.stderr


def test_quiet_is_neither_saved_nor_inherited(run):
    saved = json.loads((run / "config.json").read_text())
    assert "quiet" not in saved["train"] and "resume" not in saved["train"]
    saved["train"]["quiet"] = True  # what runs made before this fix hold
    (run / "config.json").write_text(json.dumps(saved))
    result = ganzoo("train", "--resume", "--out", run, "--max-steps", "5")
    clean(result)
    assert result.returncode == 0, result.stderr
    assert f"ganzoo: trained {run} to step 5" in result.stderr  # not silenced by the saved flag
    assert "quiet" not in json.loads((run / "config.json").read_text())["train"]


def test_fsync_dir_ignores_only_file_systems_that_cannot_sync_folders(tmp_path, monkeypatch):
    def refuse(code):
        def fsync(fd):
            raise OSError(code, os.strerror(code))
        return fsync

    monkeypatch.setattr(os, "fsync", refuse(errno.EINVAL))
    fsync_dir(tmp_path)
    monkeypatch.setattr(os, "fsync", refuse(errno.EIO))
    with pytest.raises(OSError) as info:
        fsync_dir(tmp_path)
    assert info.value.errno == errno.EIO


def test_each_rename_is_fsynced_before_the_next(tmp_path, monkeypatch):
    events = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append(("rename", os.path.basename(b))),
                                                     real_replace(a, b)))
    monkeypatch.setattr(ganzoo_io, "fsync_dir", lambda path: events.append(("fsync", os.path.basename(path))))
    monkeypatch.setattr(ckpt, "fsync_dir", lambda path: events.append(("fsync", os.path.basename(path))))
    (tmp_path / "new").mkdir()
    (tmp_path / "target").mkdir()
    replace_dir(tmp_path / "new", tmp_path / "target")
    assert events == [("rename", ".target.old"), ("fsync", tmp_path.name), ("rename", "target"),
                      ("fsync", tmp_path.name)]
    events.clear()
    ckpt.mark_best(tmp_path, 2)  # a pointer: renamed into checkpoints/, which is then fsynced
    assert events[-2:] == [("rename", "best"), ("fsync", "checkpoints")]


def _spoil_state(run, change) -> None:
    path = run / "checkpoints" / STEP4 / "state.json"
    state = json.loads(path.read_text())
    change(state)
    path.write_text(json.dumps(state))


def _wrong_shape(run) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    path = run / "checkpoints" / STEP4 / "model.safetensors"
    tensors = load_file(str(path))
    key = sorted(tensors)[0]
    tensors[key] = torch.zeros(3, 3)
    save_file(tensors, str(path))


# Before (issue 22): each was "internal error" (KeyError, RuntimeError: size mismatch ...), with no fallback.
@pytest.mark.parametrize("spoil, words", [
    (lambda run: _spoil_state(run, lambda s: s.pop("optimizers")), "its state.json lacks 'optimizers'"),
    (lambda run: _spoil_state(run, lambda s: s.pop("data")), "its state.json lacks 'data'"),
    (lambda run: _spoil_state(run, lambda s: s.update(data="x")), "it does not fit this run"),
    (_wrong_shape, "has the wrong shape"),
], ids=["no-optimizers", "no-data", "data-a-string", "tensor-shape"])
def test_a_latest_checkpoint_that_cannot_be_restored_gives_way_to_an_older_one(run, spoil, words):
    spoil(run)
    result = ganzoo("train", "--resume", "--out", run, "--max-steps", "5", "--checkpoint-every", "2")
    clean(result)
    assert result.returncode == 0, result.stderr
    (warning,) = warnings_of(result)
    assert f"latest checkpoint {STEP4}" in warning and words in warning and f"resuming from {STEP2}" in warning
    assert f"ganzoo: resuming {run} from {STEP2}" in result.stderr
    assert metrics_steps(run) == [1, 2, 3, 4, 5]


def test_a_chosen_checkpoint_that_cannot_be_restored_is_one_line(run):
    _wrong_shape(run)
    result = ganzoo("train", "--resume", "--checkpoint", "4", "--out", run, "--max-steps", "5")
    clean(result)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("ganzoo: error: ") and "cannot be resumed from" in line and "wrong shape" in line


def test_resume_checks_config_json_against_the_weights_before_building(run):
    """Before: latent_dim 60000 in config.json built a 3.9 GB model, then "internal error"."""
    from peak_memory import one_error_line, run_measured

    fine = run_measured("train", "--resume", "--out", run, "--max-steps", "4")  # at step 4 already: builds, stops
    saved = json.loads((run / "config.json").read_text())
    saved["architecture"]["kwargs"]["latent_dim"] = 60000
    (run / "config.json").write_text(json.dumps(saved))
    refused = run_measured("train", "--resume", "--out", run, "--max-steps", "5")
    line = one_error_line(refused, 1)
    assert "does not match the model in config.json" in line and "the model expects (" in line
    assert "60000)" in line and "restore the run's config.json" in line
    assert refused.peak_mb < fine.peak_mb + 100, (fine.peak_mb, refused.peak_mb)  # 3.9 GB before


STEP6 = ckpt.step_name(6)


@pytest.fixture(scope="module")
def unpointed(finished, tmp_path_factory):
    """``finished`` resumed to step 6 and killed between writing ``step_6`` and pointing ``latest`` at it."""
    out = tmp_path_factory.mktemp("unpointed") / "run"
    shutil.copytree(finished, out)
    proc = subprocess.run([sys.executable, "-c", KILLED_BEFORE_THE_POINTER, "--resume", "--out", str(out),
                           "--max-steps", "6", "--checkpoint-every", "2"], capture_output=True, text=True,
                          env=ENV, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    root = out / "checkpoints"
    assert ckpt.checkpoint_problem(root / STEP6) is None
    assert (root / "latest").read_text().strip() == STEP4
    assert len(list(root.glob(".latest.*.tmp"))) == 1
    return out


def resumed_copy(source, tmp_path, *args: str):
    """A copy of run ``source`` after a successful ``ganzoo train --resume ARGS``, and that command's result."""
    run = tmp_path / "run"
    shutil.copytree(source, run)
    result = ganzoo("train", "--resume", "--out", run, *args)
    clean(result)
    assert result.returncode == 0, result.stderr
    return run, result


# Before (issue 22): the .latest.*.tmp file stayed for good, one more for each run killed that way.
def test_the_next_writer_removes_a_pointer_update_left_half_done(unpointed, tmp_path):
    run, _ = resumed_copy(unpointed, tmp_path, "--max-steps", "6")
    assert not list((run / "checkpoints").glob(".*.tmp"))
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["latest", STEP2, STEP4, STEP6]


# Before (issue 22): "resuming ... from step_00000004", silently training steps 5 and 6 again.
def test_resume_takes_a_complete_checkpoint_the_pointer_missed(unpointed, tmp_path):
    run, result = resumed_copy(unpointed, tmp_path, "--max-steps", "7")
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("ganzoo: resuming")]
    assert line == (f"ganzoo: resuming {run} from {STEP6} ({STEP6} is complete and newer than {STEP4}, which "
                    f"checkpoints/latest still names (the last run was stopped before updating it))")
    assert [w for w in warnings_of(result) if "taking the lock over" not in w] == []
    assert ckpt.latest_checkpoint(run).name == ckpt.step_name(7)
    assert metrics_steps(run) == [1, 2, 3, 4, 5, 6, 7]


def test_a_later_checkpoint_from_an_older_branch_is_not_taken_for_one(run):
    """A run resumed from step 2 before checkpoints were set aside: its step 4 predates step 3."""
    result = ganzoo("train", "--resume", "--checkpoint", "2", "--out", run, "--max-steps", "3")
    assert result.returncode == 0, result.stderr
    (aside,) = (run / "checkpoints").glob("abandoned-*")
    os.replace(aside / STEP4, run / "checkpoints" / STEP4)  # as such runs hold it
    os.utime(run / "checkpoints" / STEP4 / "state.json", (1, 1))
    assert ckpt.unpointed_checkpoints(run) == []


def _steps_logged(run) -> list[int]:
    with contextlib.suppress(FileNotFoundError, ValueError):
        return metrics_steps(run)
    return []


# Before (issue 22): the next plain --resume went on from step_00000004, the branch the user had left.
def test_after_a_killed_resume_from_an_older_checkpoint_the_next_resume_continues_its_branch(run):
    before = metrics_steps(run)
    branch = subprocess.Popen([sys.executable, "-m", "ganzoo", "train", "--resume", "--checkpoint", "2", "--out",
                               str(run), "--max-steps", "100000", "--checkpoint-every", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        deadline = time.monotonic() + 240
        while not (3 in (steps := _steps_logged(run)) and steps != before):  # step 3 trained again
            assert branch.poll() is None, branch.communicate()
            assert time.monotonic() < deadline, "the resumed run never trained step 3"
            time.sleep(0.05)
    finally:
        branch.kill()
        _, stderr = branch.communicate()
    assert "Traceback" not in stderr, stderr
    result = ganzoo("train", "--resume", "--out", run, "--max-steps", "3")
    clean(result)
    assert result.returncode == 0, result.stderr
    assert f"ganzoo: resuming {run} from {STEP2}" in result.stderr
    (aside,) = (run / "checkpoints").glob("abandoned-*")
    assert ckpt.checkpoint_problem(aside / STEP4) is None  # nothing lost: the old branch is kept whole
    assert [json.loads(line)["step"] for line in (aside / "metrics.jsonl").read_text().splitlines()] == before
    assert ckpt.latest_checkpoint(run).name == ckpt.step_name(3)
