"""``ganzoo train dcgan --dataset cifar10 --classes frog``: with CIFAR-10 files, and without them."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from test_datasets_files import write_cifar_folder

from ganzoo.cli import build_cli

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = ["--set", "base_channels=4", "--set", "latent_dim=8", "-b", "4", "--max-steps", "2", "--precision", "fp32",
        "--quiet", "--log-every", "1", "--samples", "4"]


def ganzoo(*args: str):
    return CliRunner().invoke(build_cli(), list(args))


def check_frog_run(out) -> None:
    config = json.loads((out / "config.json").read_text())
    assert config["dataset"]["options"]["classes"] == "frog"
    assert config["dataset"]["length"] == 5  # one frog in each of the five 10-image training batches
    assert config["dataset"]["info"]["classes"] == ["frog"]
    assert config["architecture"]["kwargs"]["image_size"] == 32 and config["architecture"]["kwargs"]["channels"] == 3
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 2]
    assert all(math.isfinite(line[k]) for line in lines for k in ("d_loss", "g_loss"))


def test_frogs_from_a_root_folder(tmp_path):
    write_cifar_folder(tmp_path / "cifar", per_batch=10)
    out = tmp_path / "run"
    result = ganzoo("train", "dcgan", "--dataset", "cifar10", "--classes", "frog",
                    "--data", f"root={tmp_path / 'cifar'}", *TINY, "--out", str(out))
    assert result.exit_code == 0, result.output
    check_frog_run(out)


def test_frogs_from_ganzoo_data_dir(tmp_path, monkeypatch, ganzoo_home):
    write_cifar_folder(tmp_path / "data" / "cifar10", per_batch=10)
    monkeypatch.setenv("GANZOO_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "run"
    result = ganzoo("train", "dcgan", "--dataset", "cifar10", "--classes", "frog", *TINY, "--out", str(out))
    assert result.exit_code == 0, result.output
    check_frog_run(out)


def test_offline_without_files_is_one_line_saying_where_to_put_them(tmp_path, ganzoo_home):
    """A real download attempt through a dead proxy: what a machine without a network sees."""
    env = {k: v for k, v in os.environ.items() if k not in ("GANZOO_DATA_DIR", "GANZOO_DEBUG")}
    dead = "http://127.0.0.1:9"
    env.update(HTTP_PROXY=dead, HTTPS_PROXY=dead, http_proxy=dead, https_proxy=dead, NO_PROXY="", no_proxy="",
               OMP_NUM_THREADS="1")
    out = tmp_path / "run"
    command = [sys.executable, "-m", "ganzoo", "train", "dcgan", "--dataset", "cifar10", "--classes", "frog",
               "--out", str(out)]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for words in ("CIFAR-10", "cifar-10-python.tar.gz", "cifar-10-batches-py", "GANZOO_DATA_DIR", "root="):
        assert words in lines[0]
    assert not out.exists() or not any(out.iterdir())  # nothing that would block a retry


@pytest.mark.parametrize(("args", "message"), [
    (["--classes", "frgo"], "dataset 'cifar10' has no class 'frgo'; its classes are 'airplane', 'automobile'"),
    (["--classes", "frog", "--data", "classes=cat"], "--classes frog and --data classes=cat disagree"),
])
def test_class_mistakes_are_one_line_usage_errors(tmp_path, ganzoo_home, args, message):
    result = ganzoo("train", "dcgan", "--dataset", "cifar10", *args, "--out", str(tmp_path / "run"))
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1, result.output
    assert "'truck'" in result.output or "disagree" in result.output


def test_classes_on_a_dataset_without_classes_is_a_usage_error(tmp_path):
    result = ganzoo("train", "dcgan", "--dataset", "fake", "--classes", "frog", "--out", str(tmp_path / "run"))
    assert result.exit_code == 2 and "bad options for dataset 'fake'" in result.output
