"""The bundled zoo model and the `ganzoo pretrained` / `ganzoo export` commands, end to end."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import ganzoo
from ganzoo.cli import build_cli
from ganzoo.hub.checkpoint import sha256_file
from ganzoo.hub.zoo import locate
from ganzoo.plugins import get_registry


def invoke(*args: str):
    return CliRunner().invoke(build_cli(), list(args))


@pytest.fixture(scope="module")
def zoo_folder():
    from ganzoo.plugins import reset_manager

    reset_manager()
    return locate(get_registry("pretrained").get("dcgan-fashion")).folder


def test_the_zoo_lists_dcgan_fashion_with_dataset_and_size():
    result = invoke("list", "pretrained")
    assert result.exit_code == 0
    line = next(line for line in result.output.splitlines() if "dcgan-fashion" in line)
    assert "fashion-mnist" in line and "MB" in line


def test_bundled_files_match_their_pinned_checksums(zoo_folder):
    spec = get_registry("pretrained").get("dcgan-fashion")
    assert sha256_file(zoo_folder / "config.json") == locate(spec).pin
    for name, entry in json.loads((zoo_folder / "config.json").read_text())["files"].items():
        assert sha256_file(zoo_folder / name) == entry["sha256"], name
    assert (zoo_folder / "generator.safetensors").stat().st_size <= 5 * 1024 * 1024


def test_load_pretrained_samples_garments_deterministically():
    model = ganzoo.load_pretrained("dcgan-fashion")
    a, b = model.sample(16, seed=7), model.sample(16, seed=7)
    assert a.shape == (16, 1, 28, 28) and torch.equal(a, b)
    assert not torch.equal(a, model.sample(16, seed=8))
    assert a.min() >= -1 and a.max() <= 1
    # Fashion-MNIST images are mostly black background: the median pixel is near -1, unlike noise.
    assert a.median() < -0.8
    assert model.config["weights"]["ema"] is True
    assert model.config["training"]["command"].startswith("ganzoo train dcgan --dataset fashion-mnist")


def test_the_shipped_classifier_recognises_the_samples():
    from ganzoo.eval import load_extractor

    classifier = load_extractor("fmnist-cnn")

    def judge(images):
        with torch.no_grad():
            probabilities = classifier.features_and_logits(images)[1].softmax(dim=1)
        confident = (probabilities.max(dim=1).values > 0.8).float().mean().item()
        return confident, probabilities.argmax(dim=1).unique().numel()

    generated = judge(ganzoo.load_pretrained("dcgan-fashion").sample(256, seed=0))
    noise = judge(torch.rand(256, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1)
    # Most samples look clearly like one garment (noise rarely does), and all kinds appear.
    assert generated[0] > 0.5 and generated[0] > 2 * noise[0], (generated, noise)
    assert generated[1] >= 9 and noise[1] <= 4, (generated, noise)


def test_cli_sample_writes_a_grid_and_single_images(tmp_path):
    result = invoke("pretrained", "dcgan-fashion", "sample", "-n", "16", "--seed", "1", "--nrow", "4",
                    "-o", str(tmp_path / "grid.png"), "--save-dir", str(tmp_path / "single"))
    assert result.exit_code == 0, result.output
    grid = np.asarray(Image.open(tmp_path / "grid.png"))
    assert grid.shape == (4 * 30 + 2, 4 * 30 + 2)
    assert len(list((tmp_path / "single").glob("*.png"))) == 16


def test_info_shows_the_card_facts():
    result = invoke("pretrained", "dcgan-fashion", "info", "--json")
    assert result.exit_code == 0, result.output
    facts = json.loads(result.output)
    assert facts["architecture"] == "dcgan" and facts["dataset"] == "fashion-mnist"
    names = {m["name"] for m in facts["metrics"]}
    assert {"FID[fmnist-cnn]", "KID[fmnist-cnn]", "IS[fmnist-cnn]"} <= names
    assert facts["source"] == "bundled in plugin 'dcgan'"


def _broken_copy(zoo_folder, tmp_path, damage):
    folder = tmp_path / "copy"
    shutil.copytree(zoo_folder, folder)
    damage(folder)
    return folder


def _run(*args):
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "damage, words",
    [
        (lambda f: (f / "generator.safetensors").write_bytes((f / "generator.safetensors").read_bytes()[:1000]),
         "corrupt"),
        (lambda f: (f / "config.json").write_text(
            (f / "config.json").read_text().replace('"name": "dcgan"', '"name": "dcgan-xl"')),
         "needs architecture 'dcgan-xl'"),
        (lambda f: (f / "generator.safetensors").unlink(), "missing its generator weights"),
    ],
    ids=["corrupt-weights", "unknown-architecture", "missing-weights"],
)
def test_broken_folders_give_one_clear_line(zoo_folder, tmp_path, damage, words):
    folder = _broken_copy(zoo_folder, tmp_path, damage)
    result = _run("pretrained", str(folder), "sample", "-o", str(tmp_path / "out.png"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr
    assert not (tmp_path / "out.png").exists()


def test_export_refuses_to_clobber_a_folder(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    run = tmp_path / "run"
    from ganzoo.train import TrainConfig, train

    train(TrainConfig(arch="vanilla", dataset="fake", arch_options={"hidden": [16, 32]}, data_options={"length": 16},
                      batch_size=8, max_steps=2, precision="fp32", device="cpu", quiet=True, out=str(run)))
    result = invoke("export", str(run), str(tmp_path / "out"))
    assert result.exit_code == 2 and "--overwrite" in result.output
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"
    result = invoke("export", str(run), str(tmp_path / "fresh"), "--name", "tiny")
    assert result.exit_code == 0, result.output
    model = ganzoo.load_pretrained(str(tmp_path / "fresh"))
    assert model.config["training"]["steps"] == 2
    assert "ganzoo sample ./fresh" in (tmp_path / "fresh" / "README.md").read_text()
