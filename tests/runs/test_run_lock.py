"""One writer per run directory: a second trainer (new, resumed or --overwrite) stops at once, naming the first.

Real ``ganzoo train`` processes share one --out; a holder killed with SIGKILL leaves a lock that
the next trainer takes over with a notice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file

from ganzoo.runs import checkpoints as ckpt
from ganzoo.runs.lock import INFO_FILE, RunLock, RunLockedError, holds, maybe_locked

TINY_ARGS = ["vanilla", "--dataset", "fake", "--set", "hidden=[32,64]", "--data", "length=32", "-b", "8",
             "--precision", "fp32", "--device", "cpu", "--log-every", "1", "--samples", "4"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ganzoo", "train", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ganzoo", "train", *args], capture_output=True, text=True,
                          env=ENV, timeout=300)


def wait_for(path, proc: subprocess.Popen) -> None:
    """Until ``path`` exists; fails if ``proc`` ends first (polling a file, not a timed guess)."""
    deadline = time.monotonic() + 180
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganzoo: error: "), result.stderr
    return lines[0]


def generator(path) -> dict[str, torch.Tensor]:
    return {k: v for k, v in load_file(str(path / "model.safetensors")).items() if k.startswith("generator.")}


def test_a_second_trainer_resume_or_overwrite_is_refused_while_the_first_trains(tmp_path):
    out = tmp_path / "run"
    first = start(*TINY_ARGS, "--max-steps", "100000", "--checkpoint-every", "0", "-q", "--out", str(out))
    try:
        wait_for(out / "config.json", first)  # it holds the lock and has described its run
        for attempt in ([*TINY_ARGS, "--max-steps", "20", "--seed", "1", "--out", str(out)],
                        ["--resume", "--out", str(out), "--max-steps", "20"],
                        [*TINY_ARGS, "--max-steps", "20", "--overwrite", "--out", str(out)]):
            result = run(*attempt)
            assert result.returncode == 1, result.stderr
            line = one_error_line(result)
            assert f"is in use by pid {first.pid} on " in line and "(since " in line, line
            assert "wait for it" in line and "another --out" in line
        wait_for(out / "metrics.jsonl", first)  # training (and its Ctrl-C handler) has started
        first.send_signal(signal.SIGINT)  # it finishes: saves a checkpoint and exits 130
        _, stderr = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 130, stderr
    assert not (out / INFO_FILE).exists()
    config = json.loads((out / "config.json").read_text())
    assert config["seed"] == 0 and "--seed" not in config["argv"]
    saved = ckpt.latest_checkpoint(out)
    steps = ckpt.read_checkpoint(saved).step
    # The checkpoint holds the weights of seed 0 (what config.json says), not another trainer's.
    reference = run(*TINY_ARGS, "--max-steps", str(steps), "--checkpoint-every", "0", "-q",
                    "--out", str(tmp_path / "reference"))
    assert reference.returncode == 0, reference.stderr
    expected = generator(ckpt.latest_checkpoint(tmp_path / "reference"))
    got = generator(saved)
    assert all(torch.allclose(expected[k], got[k], atol=1e-6, rtol=0) for k in expected)
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in lines] == list(range(1, steps + 1))  # one writer, no interleaving


def test_a_lock_left_by_a_killed_trainer_is_taken_over_with_a_notice(tmp_path):
    out = tmp_path / "run"
    holder = start(*TINY_ARGS, "--max-steps", "100000", "--checkpoint-every", "1", "-q", "--out", str(out))
    try:
        wait_for(out / "checkpoints" / "latest", holder)
        holder.send_signal(signal.SIGKILL)
        holder.communicate(timeout=60)
    finally:
        if holder.poll() is None:
            holder.kill()
    assert holder.returncode == -signal.SIGKILL
    assert json.loads((out / INFO_FILE).read_text())["pid"] == holder.pid  # the dead holder's note stays
    step = ckpt.read_checkpoint(ckpt.latest_checkpoint(out)).step
    result = run("--resume", "--out", str(out), "--max-steps", str(step + 3))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    notice = [line for line in result.stderr.splitlines() if line.startswith("ganzoo: warning: ")][0]
    assert f"locked by pid {holder.pid} on " in notice and "is gone" in notice and "taking the lock over" in notice
    assert "ganzoo: resuming " in result.stderr
    assert ckpt.read_checkpoint(ckpt.latest_checkpoint(out)).step == step + 3
    assert not (out / INFO_FILE).exists()


def test_the_lock_in_one_process(tmp_path):
    lock = RunLock(tmp_path).acquire()
    try:
        assert holds(tmp_path)
        info = json.loads((tmp_path / INFO_FILE).read_text())
        assert info["pid"] == os.getpid() and info["host"] and info["since"] <= time.time()
        with pytest.raises(RunLockedError, match=f"in use by pid {os.getpid()} "):
            RunLock(tmp_path).acquire()
        with maybe_locked(tmp_path) as free:  # this process holds it: its own readers may repair
            assert free
    finally:
        lock.release()
    assert not holds(tmp_path) and not (tmp_path / INFO_FILE).exists()
    with RunLock(tmp_path) as again:
        assert again.takeover_notice() is None  # released cleanly: nothing to report
