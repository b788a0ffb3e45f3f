"""``ganzoo eval``: folders of images, checkpoint folders, JSON and table output, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import ganzoo
from ganzoo.cli import build_cli


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")


def invoke(*args: str):
    return CliRunner().invoke(build_cli(), ["eval", *args])


@pytest.fixture
def image_folder(tmp_path):
    """64 Fashion-MNIST test images as PNG files, as a user's sample folder would hold them."""
    from ganzoo.data import build_dataset

    images = build_dataset("fashion-mnist", "test").images[:64, 0].numpy()
    folder = tmp_path / "samples"
    folder.mkdir()
    for i, pixels in enumerate(images):
        Image.fromarray(pixels.astype(np.uint8), mode="L").save(folder / f"{i:03d}.png")
    return folder


@pytest.fixture
def checkpoint_folder(tmp_path):
    from ganzoo.hub.checkpoint import checkpoint_config, write_checkpoint

    torch.manual_seed(0)
    model = ganzoo.create_model("vanilla", latent_dim=8, hidden=[16, 32])
    folder = tmp_path / "tiny-vanilla"
    write_checkpoint(folder, model, checkpoint_config(model, architecture="vanilla"))
    return folder


def test_eval_a_folder_of_images_as_json(image_folder, ganzoo_home):
    result = invoke(str(image_folder), "--metrics", "fid,pr", "-n", "64", "--json", "--device", "cpu")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    names = [m["name"] for m in data["metrics"]]
    assert names == ["FID[fmnist-cnn]", "Precision[fmnist-cnn]", "Recall[fmnist-cnn]"]
    assert data["provenance"]["target"] == {"kind": "folder", "path": str(image_folder), "files": 64}
    assert data["provenance"]["num_samples"] == 64
    fid = data["metrics"][0]
    assert fid["value"] < 20 * max(fid["baseline"], 1.0)  # real images, read back from PNG


def test_eval_a_checkpoint_folder_as_json(checkpoint_folder, ganzoo_home):
    result = invoke(str(checkpoint_folder), "--json", "-n", "200", "--metrics", "fid,kid,is,pr", "--seed", "3")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [m["name"] for m in data["metrics"]] == [
        "FID[fmnist-cnn]", "KID[fmnist-cnn]", "IS[fmnist-cnn]", "Precision[fmnist-cnn]", "Recall[fmnist-cnn]"]
    prov = data["provenance"]
    assert prov["target"]["kind"] == "pretrained" and prov["target"]["architecture"] == "vanilla"
    assert prov["seed"] == 3 and prov["reference"]["split"] == "test" and prov["baseline"]["split"] == "train"
    assert all(m["baseline"] is not None for m in data["metrics"])


def test_eval_prints_a_table_with_the_baseline(checkpoint_folder, ganzoo_home):
    result = invoke(str(checkpoint_folder), "-n", "100", "--metrics", "fid,is", "-q")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["metric", "value", "real-vs-real"]
    assert lines[1].startswith("FID[fmnist-cnn]") and lines[1].endswith("lower is better")
    assert lines[2].startswith("IS[fmnist-cnn]") and "±" in lines[2] and lines[2].endswith("higher is better")
    assert "vs fashion-mnist:test (100)" in result.output and "real-vs-real: fashion-mnist:train (100)" in result.output
    assert "sha256" in result.output


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ganzoo", "eval", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("args", "message"), [
    (["dcgan-fashion", "--metrics", "fid,fdi"],
     "ganzoo: error: unknown metric 'fdi'; did you mean 'fid'? choose from: fid, kid, is, pr (precision-recall), "
     "acc (class-accuracy), dc (density-coverage)"),
    (["dcgan-fashion", "--reference", "fashion-mnist:val"],
     "ganzoo: error: bad --reference 'fashion-mnist:val': dataset 'fashion-mnist' has no split 'val'; "
     "choose one of: train, test"),
    (["dcgan-fashion", "--reference", "/no/such/dir"],
     "ganzoo: error: bad --reference '/no/such/dir': no such dataset or folder; give DATASET:SPLIT "
     "(e.g. fashion-mnist:test) or a folder of images"),
    (["dcgan-fashion", "--feature", "vgg"], "ganzoo: error: unknown feature extractor 'vgg'; choose one of: fmnist-cnn, inception"),
    (["dcgan-fashion", "-n", "1"], "ganzoo: error: Invalid value for '-n' / '--num-samples'"),
])
def test_bad_options_are_one_line_usage_errors(args, message):
    result = run(*args)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(message), result.stderr


def test_the_eval_module_imports_no_torch():
    code = "import sys, ganzoo.cli.eval, ganzoo.eval; print(any(m.split('.')[0] == 'torch' for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
