"""Every bundled zoo model: files, card and metrics, and that each does its job on real data.

The quality checks use the shipped Fashion-MNIST classifier as the judge, on the test split
(never seen in training): a conditional model asked for sneakers draws sneakers, the edge-map
translator draws the garment its edges outline, the sneaker-to-boot translator draws boots.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import ganzoo
from ganzoo.cli import build_cli
from ganzoo.data import build_dataset
from ganzoo.eval.classes import class_agreement
from ganzoo.hub.checkpoint import sha256_file
from ganzoo.hub.zoo import locate
from ganzoo.plugins import get_registry

ZOO = ["dcgan-fashion", "cgan-fashion", "wgan-gp-fashion", "sngan-fashion", "sngan-projection-fashion",
       "pix2pix-edges2fashion", "cyclegan-sneaker2boot"]
SNEAKER, ANKLE_BOOT = 7, 9


def invoke(*args: str):
    return CliRunner().invoke(build_cli(), list(args))


def folder_of(name: str) -> Path:
    folder = locate(get_registry("pretrained").get(name)).folder
    assert folder is not None, name
    return folder


def test_the_zoo_lists_every_model():
    result = invoke("list", "pretrained")
    assert result.exit_code == 0, result.output
    for name in ZOO:
        assert name in result.output


@pytest.mark.parametrize("name", ZOO)
def test_each_model_is_bundled_small_pinned_and_documented(name):
    spec = get_registry("pretrained").get(name)
    folder = folder_of(name)
    # generator.onnx (float32, for sampling without torch: docs/deployment.md) has a budget of its own
    total = sum(p.stat().st_size for p in folder.iterdir() if p.is_file() and p.name != "generator.onnx")
    assert total <= 5 * 1024 * 1024
    if (folder / "generator.onnx").exists():
        assert (folder / "generator.onnx").stat().st_size <= 10 * 1024 * 1024
    config = json.loads((folder / "config.json").read_text())
    assert set(config["files"]) == {p.name for p in folder.iterdir() if p.name not in ("config.json", "README.md")}
    for file, entry in config["files"].items():  # the record lists every file; the entry pins the record
        assert sha256_file(folder / file) == entry["sha256"], file
    assert sha256_file(folder / "config.json") == locate(spec).pin
    assert config["task"] in spec.tags and config["license"] == "apache-2.0"
    assert config["metrics"], "every zoo model records its metrics"
    assert all(np.isfinite(m["value"]) for m in config["metrics"])
    card = (folder / "README.md").read_text()
    assert "samples.png" in card and config["metrics"][0]["name"].split("[")[0] in card
    assert Image.open(folder / "samples.png").size[0] > 100


def test_cgan_fashion_draws_the_class_it_is_asked_for(tmp_path):
    result = invoke("pretrained", "cgan-fashion", "sample", "--class", "Sneaker", "-n", "16", "--seed", "0",
                    "--offline", "--save-dir", str(tmp_path / "one"), "-o", str(tmp_path / "grid.png"))
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "one").glob("*.png"))
    assert len(files) == 16
    images = torch.stack([torch.from_numpy(np.asarray(Image.open(f), dtype=np.float32)).unsqueeze(0) / 127.5 - 1
                          for f in files])
    assert class_agreement(images, SNEAKER).accuracy >= 0.75

    model = ganzoo.load_pretrained("cgan-fashion")
    labels = torch.arange(10).repeat_interleave(50)
    images = model.sample(500, seed=1, labels=labels)
    agreement = class_agreement(images, labels)
    assert agreement.accuracy >= 0.7, agreement.per_class
    # Not one image per class: samples of a class differ (real test images: pixel std ~0.38).
    within_class = images.view(10, 50, -1).std(dim=1).mean().item()
    assert within_class > 0.15, within_class


def test_pix2pix_edges2fashion_translates_test_edge_maps_into_their_garments(tmp_path):
    test = build_dataset("edges2fashion", "test")
    index = torch.arange(0, 2000, 10)  # 200 test pairs
    batch = test.get_batch(index)
    model = ganzoo.load_pretrained("pix2pix-edges2fashion")
    outputs = model.translate(batch["source"])
    assert outputs.shape == batch["image"].shape
    l1 = (outputs - batch["image"]).abs().mean().item()
    copy = (batch["source"] - batch["image"]).abs().mean().item()
    assert l1 < 0.5 * copy, (l1, copy)
    assert class_agreement(outputs, batch["label"]).accuracy >= 0.7

    # The command line, on one edge map saved as a PNG at 3x the size: same size comes back.
    edges = Image.fromarray(((batch["source"][0, 0].numpy() + 1) * 127.5).round().astype(np.uint8), "L")
    edges.resize((84, 84), Image.NEAREST).save(tmp_path / "edges.png")
    result = invoke("translate", "pix2pix-edges2fashion", str(tmp_path / "edges.png"), "-o", str(tmp_path / "out.png"),
                    "--offline")
    assert result.exit_code == 0, result.output
    assert Image.open(tmp_path / "out.png").size == (84, 84)


def test_cyclegan_sneaker2boot_turns_test_sneakers_into_ankle_boots(tmp_path):
    sneakers = build_dataset("fashion-mnist", "test", classes="Sneaker")
    images = sneakers.get_batch(torch.arange(200))["image"]
    model = ganzoo.load_pretrained("cyclegan-sneaker2boot")
    assert class_agreement(images, SNEAKER).accuracy > 0.9  # the judge sees sneakers going in
    boots = model.translate(images, direction="a2b")
    assert class_agreement(boots, ANKLE_BOOT).accuracy >= 0.6
    real_boots = build_dataset("fashion-mnist", "test", classes="Ankle boot").get_batch(torch.arange(200))["image"]
    assert class_agreement(model.translate(real_boots, direction="b2a"), SNEAKER).accuracy >= 0.6

    Image.fromarray(((images[0, 0].numpy() + 1) * 127.5).round().astype(np.uint8), "L").save(tmp_path / "sneaker.png")
    result = invoke("translate", "cyclegan-sneaker2boot", str(tmp_path / "sneaker.png"), "-o",
                    str(tmp_path / "boot.png"), "--offline")
    assert result.exit_code == 0, result.output
    boot = torch.from_numpy(np.asarray(Image.open(tmp_path / "boot.png"), dtype=np.float32)) / 127.5 - 1
    assert boot.shape == (28, 28)


def test_wgan_gp_fashion_draws_varied_garments():
    model = ganzoo.load_pretrained("wgan-gp-fashion")
    images = model.sample(500, seed=0)
    from ganzoo.eval.classes import predict_classes

    predicted = predict_classes(images)
    counts = torch.bincount(predicted, minlength=10)
    assert (counts > 0).sum() >= 8, counts  # no mode collapse: most garment kinds appear
    noise = torch.rand(500, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    assert images.std(dim=0).mean() > 0.1 and not torch.allclose(images.mean(), noise.mean(), atol=0.05)


@pytest.mark.parametrize("name", ["dcgan-fashion", "sngan-fashion"])
def test_unconditional_models_draw_every_kind_of_garment(name):
    images = ganzoo.load_pretrained(name).sample(1000, seed=0)
    from ganzoo.eval.classes import predict_classes

    counts = torch.bincount(predict_classes(images), minlength=10)
    assert (counts >= 20).sum() >= 9, counts  # no mode collapse: nearly every class, each at least 2%


def test_sngan_projection_fashion_draws_the_class_it_is_asked_for():
    model = ganzoo.load_pretrained("sngan-projection-fashion")
    labels = torch.arange(10).repeat_interleave(100)
    agreement = class_agreement(model.sample(1000, seed=0, labels=labels), labels)
    assert agreement.accuracy >= 0.8, agreement.per_class
