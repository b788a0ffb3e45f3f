"""``ganzoo export`` bundles generator.onnx (with its record) so the exported folder samples without torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from ganzoo.cli import build_cli
from ganzoo.hub.checkpoint import sha256_file
from ganzoo.hub.fast import ONNX_FILE, ONNX_RECORD, open_fast_sampler

pytest.importorskip("onnxscript", reason="the onnx extra is part of the test extra")
pytest.importorskip("onnxruntime", reason="the onnx extra is part of the test extra")

_NO_TORCH = """
import sys
sys.modules["torch"] = None
from ganzoo.cli import main
main(sys.argv[1:])
"""


def invoke(*args: object):
    return CliRunner().invoke(build_cli(), [str(a) for a in args])


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    from ganzoo.train import TrainConfig, train

    run = tmp_path_factory.mktemp("export-onnx") / "run"
    train(TrainConfig(arch="cgan", dataset="fake", arch_options={"base_channels": 8, "latent_dim": 8, "num_classes": 3},
                      data_options={"length": 16, "num_classes": 3}, batch_size=8, max_steps=2, precision="fp32",
                      device="cpu", quiet=True, out=str(run)))
    return run


def test_export_writes_a_verified_onnx_file_that_samples_like_torch(tiny_run, tmp_path):
    out = tmp_path / "tiny"
    result = invoke("export", tiny_run, out, "--dtype", "float16")
    assert result.exit_code == 0, result.output
    record = json.loads((out / ONNX_RECORD).read_text())
    assert record["sha256"] == sha256_file(out / ONNX_FILE)
    assert record["made_from"] == {"generator.safetensors": sha256_file(out / "generator.safetensors")}
    assert record["inputs"] == {"latent": [None, 8], "label": [None]}
    assert open_fast_sampler(str(out)).num_classes == 3
    base = {k: v for k, v in os.environ.items() if not k.startswith("GANZOO_")}
    proc = subprocess.run([sys.executable, "-c", _NO_TORCH, "pretrained", str(out), "sample", "-n", "12", "--seed",
                           "5", "-o", str(tmp_path / "fast.png")], capture_output=True, text=True, env=base,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = invoke("pretrained", out, "sample", "-n", "12", "--seed", "5", "-o", tmp_path / "slow.png",
                    "--backend", "torch")
    assert result.exit_code == 0, result.output
    fast = np.asarray(Image.open(tmp_path / "fast.png")).astype(int)
    slow = np.asarray(Image.open(tmp_path / "slow.png")).astype(int)
    assert fast.shape == slow.shape and np.abs(fast - slow).max() <= 1  # float16 weights traced as loaded


def test_no_onnx_leaves_it_out(tiny_run, tmp_path):
    out = tmp_path / "plain"
    assert invoke("export", tiny_run, out, "--no-onnx").exit_code == 0
    assert not (out / ONNX_FILE).exists() and not (out / ONNX_RECORD).exists()
    result = invoke("pretrained", out, "sample", "-n", "2", "-o", tmp_path / "x.png")
    assert result.exit_code == 0 and "no generator.onnx" in result.output, result.output
