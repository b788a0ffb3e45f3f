"""``ganzoo onnx --dtype float16`` refuses weights float16 cannot hold (issue 22): they became inf and the model NaN."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from safetensors.torch import load_file, save_file

from ganzoo.cli import build_cli

pytest.importorskip("onnx", reason="the onnx extra is not installed")


def test_weights_beyond_float16_are_refused_in_one_line(tmp_path):
    from ganzoo.train import TrainConfig, train

    run = tmp_path / "run"
    train(TrainConfig(arch="vanilla", dataset="fake", arch_options={"hidden": [16, 32]}, data_options={"length": 16},
                      batch_size=8, max_steps=1, precision="fp32", device="cpu", quiet=True, out=str(run)))
    (path,) = run.glob("checkpoints/step_*/model.safetensors")
    weights = load_file(str(path))
    key = next(k for k in weights if k.startswith("generator.") and k.endswith("weight") and weights[k].dim() > 1)
    weights[key] = weights[key] * 0 + 1e6  # finite in float32, inf in float16
    save_file(weights, str(path))
    out = tmp_path / "g.onnx"
    result = CliRunner().invoke(build_cli(), ["onnx", str(run), "-o", str(out), "--dtype", "float16"])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert key.removeprefix("generator.") in lines[0] and "float16" in lines[0] and "--dtype float32" in lines[0]
    assert not out.exists()
