"""``ganzoo translate``: files and folders, sizes kept, image kinds, directions, and one-line errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image
from plugin_fixtures.ganzoo_fake_translator import install

from ganzoo.cli import build_cli
from ganzoo.hub.checkpoint import checkpoint_config, write_checkpoint
from ganzoo.models import build_model

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(autouse=True)
def translator_plugin():
    install()


def invoke(*args):
    return CliRunner().invoke(build_cli(), [str(a) for a in args])


def _checkpoint(folder, arch="tiny-translator", **kwargs):
    torch.manual_seed(0)
    model = build_model(arch, **kwargs)
    write_checkpoint(folder, model, checkpoint_config(model, architecture=arch))
    return folder


@pytest.fixture
def negate(tmp_path):
    """A 1-channel 8x8 model whose output is its input negated: outputs are predictable pixel by pixel."""
    return _checkpoint(tmp_path / "negate", mode="negate")


def _gray(path, size=(8, 8), seed=0):
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0]), dtype=np.uint8)
    Image.fromarray(pixels, "L").save(path)
    return pixels


def _pixels(path):
    with Image.open(path) as image:
        return np.asarray(image), image.size, image.mode


def _one_error_line(result, code=2):
    assert result.exit_code == code, (result.output, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganzoo: error:") and "Traceback" not in result.stderr
    return lines[0]


def test_one_file_at_the_models_size_is_translated_exactly(negate, tmp_path):
    pixels = _gray(tmp_path / "in.png")
    result = invoke("translate", negate, tmp_path / "in.png", "-o", tmp_path / "out.png")
    assert result.exit_code == 0, result.output + result.stderr
    out, size, mode = _pixels(tmp_path / "out.png")
    assert size == (8, 8) and mode == "L"
    assert np.array_equal(out, 255 - pixels)  # the negating model, with no resizing on the way
    assert "a2b (blob -> negative blob)" in result.output and "8x8" in result.output


@pytest.mark.parametrize(("mode", "suffix"), [("RGB", ".jpg"), ("RGBA", ".png"), ("L", ".jpg"), ("LA", ".png"),
                                              ("RGB", ".png")])
def test_any_image_kind_comes_out_at_its_own_size(negate, tmp_path, mode, suffix):
    source = tmp_path / f"in{suffix}"
    colour = {"L": 200, "LA": (200, 128), "RGB": (200, 30, 30), "RGBA": (200, 30, 30, 0)}[mode]
    Image.new(mode, (37, 21), colour).save(source)
    result = invoke("translate", negate, source, "-o", tmp_path / "out.png")
    assert result.exit_code == 0, result.stderr
    out, size, out_mode = _pixels(tmp_path / "out.png")
    assert size == (37, 21) and out_mode == "L"
    if mode == "RGBA":  # fully transparent: composited onto white, so the negated output is black
        assert out.max() <= 1


def test_a_three_channel_model_takes_gray_inputs_and_writes_rgb(tmp_path):
    model = _checkpoint(tmp_path / "rgb", channels=3, mode="identity")
    _gray(tmp_path / "in.png", size=(12, 9))
    result = invoke("translate", model, tmp_path / "in.png", "-o", tmp_path / "out.webp")
    assert result.exit_code == 0, result.stderr
    _, size, mode = _pixels(tmp_path / "out.webp")
    assert size == (12, 9) and mode == "RGB"


def test_folders_keep_names_sorted_and_take_a_format(negate, tmp_path):
    (tmp_path / "in").mkdir()
    for i, name in enumerate(["b.png", "a.jpg", "c.bmp"]):
        Image.fromarray(np.full((6 + i, 10), 40 * i, np.uint8), "L").save(tmp_path / "in" / name)
    (tmp_path / "in" / "notes.txt").write_text("not an image")
    (tmp_path / "in" / "nested").mkdir()
    result = invoke("translate", negate, tmp_path / "in", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png", "c.png"]
    for i, name in enumerate(["b", "a", "c"]):
        _, size, _ = _pixels(tmp_path / "out" / f"{name}.png")
        assert size == (10, 6 + i)
    result = invoke("translate", negate, tmp_path / "in" / "a.jpg", tmp_path / "in" / "b.png", "-o",
                    tmp_path / "jpgs", "--format", "jpg", "--side-by-side")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "jpgs").iterdir()) == ["a.jpg", "b.jpg"]
    _, size, _ = _pixels(tmp_path / "jpgs" / "b.jpg")
    assert size == (20, 6)  # input | output, side by side


def test_existing_outputs_are_kept_unless_overwrite(negate, tmp_path):
    _gray(tmp_path / "in.png")
    (tmp_path / "out.png").write_bytes(b"mine")
    line = _one_error_line(invoke("translate", negate, tmp_path / "in.png", "-o", tmp_path / "out.png"))
    assert "--overwrite" in line and (tmp_path / "out.png").read_bytes() == b"mine"
    result = invoke("translate", negate, tmp_path / "in.png", "-o", tmp_path / "out.png", "--overwrite")
    assert result.exit_code == 0 and _pixels(tmp_path / "out.png")[1] == (8, 8)
    line = _one_error_line(invoke("translate", negate, tmp_path / "in.png", "-o", tmp_path, "--overwrite"))
    assert "also an input" in line  # a folder output would write in.png over itself


def test_directions_of_a_two_way_model(tmp_path):
    model = _checkpoint(tmp_path / "cyc", two_way=True, mode="negate")
    pixels = _gray(tmp_path / "in.png")
    result = invoke("translate", model, tmp_path / "in.png", "-o", tmp_path / "back.png", "--direction", "b2a")
    assert result.exit_code == 0, result.stderr
    assert "b2a (negative blob -> blob)" in result.output
    assert np.array_equal(_pixels(tmp_path / "back.png")[0], 255 - pixels)
    line = _one_error_line(invoke("translate", model, tmp_path / "in.png", "-o", tmp_path / "x.png",
                                  "--direction", "sideways"))
    assert "unknown direction 'sideways'" in line and "a2b (blob -> negative blob), b2a" in line
    assert not (tmp_path / "x.png").exists()


def test_a_one_way_model_refuses_b2a(negate, tmp_path):
    _gray(tmp_path / "in.png")
    line = _one_error_line(invoke("translate", negate, tmp_path / "in.png", "-o", tmp_path / "x.png",
                                  "--direction", "b2a"))
    assert "unknown direction 'b2a'" in line and "a2b" in line


@pytest.mark.parametrize("bad", ["text", "missing", "empty-folder", "no-suffix"])
def test_bad_inputs_and_outputs_are_one_line_errors(negate, tmp_path, bad):
    (tmp_path / "notes.png").write_text("not really a PNG")
    (tmp_path / "empty").mkdir()
    _gray(tmp_path / "in.png")
    args = {
        "text": [tmp_path / "notes.png", "-o", tmp_path / "out.png"],
        "missing": [tmp_path / "nope.png", "-o", tmp_path / "out.png"],
        "empty-folder": [tmp_path / "empty", "-o", tmp_path / "out"],
        "no-suffix": [tmp_path / "in.png", "-o", tmp_path / "out"],
    }[bad]
    line = _one_error_line(invoke("translate", negate, *args))
    words = {"text": "notes.png", "missing": "nope.png", "empty-folder": "no image files", "no-suffix": "format"}
    assert words[bad] in line
    assert not (tmp_path / "out.png").exists()


def test_a_generator_is_refused_with_the_command_that_samples_it(tmp_path):
    folder = _checkpoint(tmp_path / "gen", arch="vanilla", hidden=[8], image_size=8, latent_dim=4)
    _gray(tmp_path / "in.png")
    line = _one_error_line(invoke("translate", folder, tmp_path / "in.png", "-o", tmp_path / "out.png"))
    assert "unconditional" in line and f"ganzoo sample {folder}" in line


def test_a_training_run_directory_translates(tmp_path):
    from ganzoo.train import TrainConfig, train

    train(TrainConfig(arch="tiny-translator", dataset="tiny-pairs", batch_size=8, max_steps=1, precision="fp32",
                      device="cpu", quiet=True, out=str(tmp_path / "run")))
    _gray(tmp_path / "in.png", size=(16, 16))
    result = invoke("translate", tmp_path / "run", tmp_path / "in.png", "-o", tmp_path / "out.png")
    assert result.exit_code == 0, result.stderr
    assert _pixels(tmp_path / "out.png")[1] == (16, 16)


def test_help_explains_sizes_and_the_module_imports_no_torch():
    result = invoke("translate", "--help")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "upsampled" in text and "Examples:" in result.output and "--direction" in text and "--offline" in text
    code = "import sys, ganzoo.cli.translate; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
