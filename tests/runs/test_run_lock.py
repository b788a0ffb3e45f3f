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
from pathlib import Path

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


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid``, read from /proc (no procps needed)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def test_a_killed_trainer_with_data_loader_workers_frees_its_run_at_once(tmp_path):
    """Before: the orphaned workers kept the lock for seconds and the refusal called the dead pid
    "training in it". Workers now drop their copy of the lock, so it goes with the main process."""
    from PIL import Image

    images = tmp_path / "images"  # a folder data set is read through DataLoader workers (fake data is not)
    images.mkdir()
    for i in range(32):
        Image.new("L", (28, 28), color=i * 8).save(images / f"{i:02d}.png")
    out = tmp_path / "run"
    holder = start("vanilla", "--dataset", "image-folder", "--data", f"root={images}", "--data", "size=28",
                   "--data", "channels=1", "--set", "hidden=[32,64]", "-b", "8", "--precision", "fp32",
                   "--device", "cpu", "--num-workers", "2", "--max-steps", "100000", "--checkpoint-every", "1",
                   "-q", "--out", str(out))
    try:
        wait_for(out / "checkpoints" / "latest", holder)  # batches have come through the workers
        assert len(children_of(holder.pid)) >= 2, "the workers should be running"
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)  # not communicate(): the orphaned workers keep its pipes open for a while
        lock = RunLock(out)
        assert lock.try_acquire(), "the run is still locked after its trainer was killed"
        lock.release()
    finally:
        if holder.poll() is None:
            holder.kill()


def test_a_lock_outliving_its_process_is_not_called_training(tmp_path, monkeypatch):
    """A lock held by something a dead trainer started is named as such, with what to do."""
    out = tmp_path / "run"
    out.mkdir()
    holder = RunLock(out)
    assert holder.try_acquire()
    try:
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout.strip()
        info = json.loads((out / INFO_FILE).read_text())
        (out / INFO_FILE).write_text(json.dumps({**info, "pid": int(dead)}))
        with pytest.raises(RunLockedError, match=r"is still locked although pid \d+ .* has ended: a process it "
                                                 r"started still holds the lock; retry in a few seconds"):
            RunLock(out).acquire()
    finally:
        holder.release()


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
