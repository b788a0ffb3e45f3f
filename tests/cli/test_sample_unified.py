"""One ``ganzoo sample TARGET`` for runs, checkpoint folders, zoo and Hub names.

``ganzoo pretrained NAME sample`` is the same function under its older name; every target draws
its latents from :mod:`ganzoo.noise`, so one seed gives one set of latents everywhere; one class
lookup and one image-to-image refusal serve them all.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from ganzoo.cli import build_cli
from ganzoo.errors import UsageError
from ganzoo.noise import class_indices

FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
TINY_CGAN = ["train", "cgan", "--set", "base_channels=8", "--set", "latent_dim=8", "--set", "embed_dim=4",
             "--dataset", "fashion-mnist", "--data", "limit=64", "-b", "16", "--max-steps", "2",
             "--precision", "fp32", "--quiet", "--samples", "10"]


def invoke(*args: object):
    return CliRunner().invoke(build_cli(), [str(a) for a in args])


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image).astype(np.int16)


def one_line(result, code: int) -> str:
    lines = result.output.strip().splitlines()
    assert result.exit_code == code and len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize("backend", ["auto", "torch"])
def test_sample_and_the_pretrained_alias_write_the_same_pixels(backend, tmp_path):
    new = invoke("sample", "dcgan-fashion", "--seed", "1", "-o", tmp_path / "a.png", "--backend", backend)
    old = invoke("pretrained", "dcgan-fashion", "sample", "--seed", "1", "-o", tmp_path / "b.png",
                 "--backend", backend)
    assert new.exit_code == 0 and old.exit_code == 0, new.output + old.output
    assert np.array_equal(pixels(tmp_path / "a.png"), pixels(tmp_path / "b.png"))
    assert new.output.replace("a.png", "b.png") == old.output


def test_a_bare_command_uses_seed_0_and_old_spellings_still_work(tmp_path):
    assert invoke("sample", "dcgan-fashion", "-n", "4", "-o", tmp_path / "bare.png").exit_code == 0
    assert invoke("pretrained", "dcgan-fashion", "sample", "-n", "4", "--out", tmp_path / "old.png").exit_code == 0
    assert invoke("sample", "dcgan-fashion", "-n", "4", "--seed", "0", "--output", tmp_path / "zero.png").exit_code == 0
    assert np.array_equal(pixels(tmp_path / "bare.png"), pixels(tmp_path / "zero.png"))
    assert np.array_equal(pixels(tmp_path / "old.png"), pixels(tmp_path / "zero.png"))
    shown = invoke("sample", "--help").output
    assert "--class" in shown and "--output" in shown and "--label" not in shown and "--out " not in shown


@pytest.mark.parametrize("option", [["--checkpoint", "200"], ["--ema"], ["--no-ema"]])
def test_run_options_are_refused_for_other_targets_in_one_line(option, tmp_path):
    line = one_line(invoke("sample", "dcgan-fashion", *option, "-o", tmp_path / "x.png"), 2)
    assert "chooses within a training run" in line and "dcgan-fashion is a zoo model" in line
    assert not (tmp_path / "x.png").exists()


def test_an_image_to_image_model_points_at_translate(tmp_path):
    for args in (["sample", "pix2pix-edges2fashion"], ["pretrained", "pix2pix-edges2fashion", "sample"]):
        line = one_line(invoke(*args, "-o", tmp_path / "x.png"), 2)
        assert "is image-to-image" in line and "'ganzoo translate pix2pix-edges2fashion INPUT -o OUT'" in line


def test_one_class_lookup_reads_names_indices_and_typos():
    assert class_indices(["sneaker", "3", "ANKLE BOOT"], FASHION, 10) == [7, 3, 9]
    with pytest.raises(UsageError, match=r"unknown class 'Sneker' \(did you mean 'Sneaker'\?\); this model knows: "
                                         r"T-shirt/top, .*Ankle boot \(or an index from 0 to 9\)"):
        class_indices(["Sneker"], FASHION, 10)
    with pytest.raises(UsageError, match="unknown class '10'"):
        class_indices(["10"], FASHION, 10)
    assert class_indices(["2"], None, 4) == [2]
    with pytest.raises(UsageError, match="indices from 0 to 3 \\(its classes have no names\\)"):
        class_indices(["bag"], None, 4)
    with pytest.raises(UsageError, match="--class is for class-conditional models"):
        class_indices(["bag"], None, 0)


def test_a_zoo_typo_gets_the_same_words_on_both_backends(tmp_path):
    for backend in ("onnx", "torch"):
        line = one_line(invoke("sample", "cgan-fashion", "--class", "sneeker", "--backend", backend,
                               "-o", tmp_path / "x.png"), 2)
        assert "unknown class 'sneeker' (did you mean 'Sneaker'?)" in line, line


@pytest.fixture(scope="module")
def cgan_run(tmp_path_factory) -> Path:
    import torch

    from ganzoo.plugins import reset_manager

    reset_manager()
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("cgan") / "run"
    result = invoke(*TINY_CGAN, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_a_class_conditional_run_samples_by_class_name(cgan_run, tmp_path):
    result = invoke("sample", cgan_run, "--class", "Sneaker", "--class", "3", "-n", "4", "--seed", "1",
                    "--save-dir", tmp_path / "each", "-o", tmp_path / "grid.png")
    assert result.exit_code == 0, result.output
    assert "step 2" in result.output and "rows, top to bottom (2 each): Sneaker, Dress" in result.output
    old = invoke("sample", cgan_run, "--label", "sneaker", "--label", "3", "-n", "4", "--seed", "1",
                 "--out", tmp_path / "old.png")
    assert old.exit_code == 0, old.output
    assert np.array_equal(pixels(tmp_path / "grid.png"), pixels(tmp_path / "old.png"))
    line = one_line(invoke("sample", cgan_run, "--class", "Sneeker", "-o", tmp_path / "x.png"), 2)
    assert "did you mean 'Sneaker'?" in line


def test_a_run_and_its_exported_folder_draw_the_same_latents(cgan_run, tmp_path):
    import torch

    from ganzoo.noise import draw_inputs
    from ganzoo.runs.folder import load_run

    folder = tmp_path / "exported"
    assert invoke("export", cgan_run, folder, "--no-onnx").exit_code == 0
    for target, name in ((cgan_run, "run.png"), (folder, "folder.png")):
        result = invoke("sample", target, "--class", "bag", "-n", "4", "--seed", "1", "--save-dir", tmp_path / name)
        assert result.exit_code == 0, result.output
    run_images = [pixels(p) for p in sorted((tmp_path / "run.png").iterdir())]
    folder_images = [pixels(p) for p in sorted((tmp_path / "folder.png").iterdir())]
    assert all(np.array_equal(a, b) for a, b in zip(run_images, folder_images, strict=True))
    model, _ = load_run(cgan_run)
    z, _ = draw_inputs(4, int(model.latent_dim), seed=1)
    with torch.no_grad():
        expected = model.sample(z=torch.from_numpy(z), labels=torch.full((4,), 8))
    for image, want in zip(run_images, expected, strict=True):
        assert np.abs(image - ((want[0].numpy() + 1) * 127.5)).max() <= 1
