"""``ganzoo train`` and ``ganzoo sample`` from the command line, Ctrl-C included."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from PIL import Image

from ganzoo.cli import build_cli
from ganzoo.runs import checkpoints as ckpt

TINY_ARGS = ["vanilla", "--dataset", "fake", "--set", "hidden=[32,64]", "--data", "length=32", "-b", "8",
             "--precision", "fp32", "--quiet", "--log-every", "1", "--samples", "4"]


pytestmark = pytest.mark.usefixtures("one_thread")


def ganzoo(*args: str):
    result = CliRunner().invoke(build_cli(), list(args), catch_exceptions=False)
    return result


def test_train_then_sample_then_resume(tmp_path):
    out = str(tmp_path / "run")
    result = ganzoo("train", *TINY_ARGS, "--max-steps", "2", "--out", out, "--ema-decay", "0.9")
    assert result.exit_code == 0, result.output
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["architecture"]["kwargs"]["hidden"] == [32, 64] and cfg["dataset"]["options"] == {"length": 32}

    grid = tmp_path / "grid.png"
    result = ganzoo("sample", out, "-n", "6", "--nrow", "3", "-o", str(grid), "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "step 2, EMA" in result.output
    with Image.open(grid) as image:
        assert image.size == (3 * 30 + 2, 2 * 30 + 2)  # 28-pixel images, 2-pixel padding
    result = ganzoo("sample", out, "-n", "3", "--save-dir", str(tmp_path / "each"), "--no-ema")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "each").iterdir()) == [
        "sample_0000.png", "sample_0001.png", "sample_0002.png"]

    result = ganzoo("train", *TINY_ARGS, "--max-steps", "2", "--out", out)
    assert result.exit_code == 2
    assert "already holds a run" in result.output and len(result.output.strip().splitlines()) == 1

    result = ganzoo("train", "--resume", "--out", out, "--max-steps", "3")
    assert result.exit_code == 0, result.output
    assert ckpt.latest_checkpoint(out).name == "step_00000003"
    assert json.loads((tmp_path / "run" / "config.json").read_text())["train"]["max_steps"] == 3


def test_config_file_with_command_line_overrides(tmp_path):
    config = tmp_path / "train.toml"
    config.write_text('arch = "vanilla"\ndataset = "fake"\nbatch_size = 8\nmax_steps = 5\nprecision = "fp32"\n'
                      'quiet = true\nloss = "lsgan"\n[set]\nhidden = [32, 64]\n[data]\nlength = 32\n')
    out = tmp_path / "run"
    result = ganzoo("train", "--config", str(config), "--max-steps", "1", "--out", str(out))
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "config.json").read_text())
    assert saved["train"]["max_steps"] == 1 and saved["loss"]["name"] == "lsgan"


@pytest.mark.parametrize("args, message", [
    (["train", "--dataset", "fake"], "no architecture given"),
    (["train", "vanilla", "--dataset", "fake", "--reg", "hinge=1"], "is an adversarial loss"),
    (["train", "vanilla", "--dataset", "fake", "--set", "widht=3"], "bad options for architecture"),
    (["train", "vanilla", "--dataset", "fake", "--betas", "0.5"], "--betas expects two numbers"),
    (["train", "--resume"], "--resume needs the run directory"),
    (["train", "vanilla", "--dataset", "fake", "--data", "size=32", "--set", "image_size=28"],
     "makes 1x28x28 images but dataset 'fake' gives 1x32x32"),
    (["sample", "/nonexistent/run"], "no such folder: /nonexistent/run"),
])
def test_mistakes_are_one_line_errors(tmp_path, args, message):
    result = ganzoo(*args, *(["--out", str(tmp_path / "r")] if args[0] == "train" and "--resume" not in args else []))
    assert result.exit_code != 0
    assert message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1


def test_help_does_not_import_torch():
    code = ("import sys\nfrom ganzoo.cli import main\n"
            "for args in (['--help'], ['train', '--help'], ['sample', '--help']):\n"
            "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("NO-TORCH")
    assert "--max-steps" in out.stdout and "--ema / --no-ema" in out.stdout


def test_ctrl_c_saves_a_checkpoint_and_exits_130(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "ganzoo", "train", *TINY_ARGS, "--max-steps", "100000",
                             "--checkpoint-every", "0", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    metrics = out / "metrics.jsonl"
    deadline = time.monotonic() + 90
    while not (metrics.exists() and metrics.read_text().count("\n") >= 2):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "training did not start"
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "--resume" in stderr and "SIGINT" in stderr
    latest = ckpt.latest_checkpoint(out)
    state = json.loads((latest / "state.json").read_text())
    last_logged = json.loads(metrics.read_text().splitlines()[-1])["step"]
    assert state["step"] == last_logged >= 2
    result = ganzoo("train", "--resume", "--out", str(out), "--max-steps", str(state["step"] + 1))
    assert result.exit_code == 0, result.output
    assert ckpt.latest_checkpoint(out).name == ckpt.step_name(state["step"] + 1)
    assert not os.path.exists(out / "checkpoints" / f".tmp-{latest.name}")
