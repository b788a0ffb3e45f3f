"""``ganzoo sample NAME`` (and ``pretrained NAME sample``) through ONNX Runtime: no torch, the PyTorch path's pixels.

Every zoo model that samples from noise carries ``generator.onnx``; the fast path must run it
without importing torch and write the grid the PyTorch path writes for the same seed. A missing
or mismatched file falls back to PyTorch with a one-line note (or, with ``--backend onnx``, is
an error), never other pixels.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from cli_probe import probe, top_level_in
from click.testing import CliRunner
from PIL import Image

from ganzoo.cli import build_cli
from ganzoo.hub.fast import ONNX_FILE, ONNX_RECORD
from ganzoo.hub.zoo import locate
from ganzoo.noise import draw_inputs
from ganzoo.plugins import get_registry

pytest.importorskip("onnxruntime", reason="onnxruntime is part of the test extra")


def _noise_models() -> list[str]:
    return [spec.name for spec in get_registry("pretrained")
            if {"unconditional", "class-conditional"} & set(spec.tags)]


NOISE_MODELS = _noise_models()

def without_torch(*args: str, cwd: Path, **env: str) -> tuple[dict, subprocess.CompletedProcess[str]]:
    """ganzoo's CLI with torch made unimportable, and every torch module that got in anyway."""
    code, modules, proc = probe(*args, block_torch=True, cwd=cwd, env=env, timeout=120)
    return {"code": code, "torch": top_level_in(modules, ("torch", "torchvision"))}, proc


def invoke(*args: object, **env: str):
    return CliRunner().invoke(build_cli(), [str(a) for a in args], env=env or None)


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image).astype(np.int16)


def test_every_noise_model_is_covered():
    assert {"dcgan-fashion", "cgan-fashion", "wgan-gp-fashion", "sngan-fashion",
            "sngan-projection-fashion"} <= set(NOISE_MODELS)


def sample_args(form: str, name: str) -> list[str]:
    """The command line of the one sample command (``sample NAME``) or of its alias (``pretrained NAME sample``)."""
    return ["sample", name] if form == "sample" else ["pretrained", name, "sample"]


@pytest.mark.parametrize("form", ["sample", "pretrained"])
@pytest.mark.parametrize("name", NOISE_MODELS)
def test_the_fast_path_runs_without_torch_and_matches_the_torch_path(name, form, tmp_path):
    probe, proc = without_torch(*sample_args(form, name), "-o", "x.png", "--seed", "0", cwd=tmp_path)
    assert probe == {"code": 0, "torch": []}, proc.stderr
    assert "note" not in proc.stderr  # the bundled file was used, not skipped
    result = invoke("pretrained", name, "sample", "-o", tmp_path / "y.png", "--seed", "0", "--backend", "torch")
    assert result.exit_code == 0, result.output
    assert proc.stdout == result.output.replace(str(tmp_path / "y.png"), "x.png")  # same lines, rows and classes
    fast, slow = pixels(tmp_path / "x.png"), pixels(tmp_path / "y.png")
    assert fast.shape == slow.shape
    assert np.abs(fast - slow).max() <= 1
    assert slow.std() > 10  # real images, not a blank canvas that would match anything


def test_every_option_gives_the_same_images_on_both_backends(tmp_path):
    common = ["pretrained", "cgan-fashion", "sample", "--class", "bag", "--class", "7", "-n", "6", "--seed", "4",
              "--truncation", "0.8", "--nrow", "3"]
    outputs = {}
    for backend in ("onnx", "torch"):
        folder = tmp_path / backend
        result = invoke(*common, "-o", folder / "grid.png", "--save-dir", folder / "each", "--backend", backend)
        assert result.exit_code == 0, result.output
        assert "rows, top to bottom" not in result.output or "Bag, Sneaker" in result.output
        outputs[backend] = [pixels(folder / "grid.png")] + [pixels(p) for p in sorted((folder / "each").iterdir())]
    assert len(outputs["onnx"]) == len(outputs["torch"]) == 7
    for fast, slow in zip(outputs["onnx"], outputs["torch"]):
        assert fast.shape == slow.shape and np.abs(fast - slow).max() <= 1
    assert not np.array_equal(outputs["torch"][1], outputs["torch"][2])  # six different garments


def test_the_same_seed_gives_the_same_images_as_the_python_api(tmp_path):
    import ganzoo
    from ganzoo.images import grid_image

    assert invoke("pretrained", "dcgan-fashion", "sample", "-n", "9", "--seed", "11", "-o",
                  tmp_path / "cli.png").exit_code == 0
    api = np.asarray(grid_image(ganzoo.load_pretrained("dcgan-fashion").sample(9, seed=11))).astype(np.int16)
    assert np.abs(pixels(tmp_path / "cli.png") - api).max() <= 1


def test_the_environment_variable_forces_the_torch_path(tmp_path, monkeypatch):
    import ganzoo.hub.fast

    def refuse(name):
        raise AssertionError("the ONNX path was tried")

    monkeypatch.setattr(ganzoo.hub.fast, "open_fast_sampler", refuse)
    result = invoke("pretrained", "dcgan-fashion", "sample", "-n", "4", "-o", tmp_path / "g.png",
                    GANZOO_BACKEND="torch")
    assert result.exit_code == 0, result.output
    result = invoke("pretrained", "dcgan-fashion", "sample", "-n", "4", "-o", tmp_path / "h.png",
                    GANZOO_BACKEND="onnx")
    assert result.exit_code == 1 and "the ONNX path was tried" in result.output


def _set(path: Path, key: str, value: object) -> None:
    record = json.loads(path.read_text())
    record[key] = value
    path.write_text(json.dumps(record))


@pytest.mark.parametrize("damage, words", [
    (lambda f: (f / ONNX_FILE).unlink(), "generator.onnx, which is missing"),
    (lambda f: (f / ONNX_RECORD).unlink(), "no generator.onnx.json"),
    (lambda f: (f / ONNX_FILE).write_bytes((f / ONNX_FILE).read_bytes()[:-1] + b"\0"), "does not match the sha256"),
    (lambda f: _set(f / ONNX_RECORD, "made_from", {"generator.safetensors": "0" * 64}), "other weights"),
    (lambda f: _set(f / ONNX_RECORD, "opset", 99), "opset 99"),
    (lambda f: _set(f / ONNX_RECORD, "model", {}), "another model"),
], ids=["no-onnx", "no-record", "onnx-changed", "weights-changed", "opset", "config"])
def test_a_missing_or_mismatched_file_falls_back_with_a_note(zoo_copy, tmp_path, damage, words):
    damage(zoo_copy)
    probe, proc = without_torch("pretrained", str(zoo_copy), "sample", "-n", "4", "--seed", "2", "-o", "x.png",
                                cwd=tmp_path)
    assert probe["code"] == 1 and "torch" in proc.stderr, proc.stderr  # it needed torch, which is made unimportable
    result = CliRunner().invoke(build_cli(), ["pretrained", str(zoo_copy), "sample", "-n", "4", "--seed", "2",
                                              "-o", str(tmp_path / "a.png")])
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if line.startswith("ganzoo: note:")]
    assert len(notes) == 1 and words in notes[0] and "sampling with PyTorch" in notes[0], result.output
    forced = invoke("pretrained", str(zoo_copy), "sample", "-n", "4", "-o", tmp_path / "b.png", "--backend", "onnx")
    lines = forced.output.strip().splitlines()
    assert forced.exit_code == 2 and len(lines) == 1 and words in lines[0], forced.output
    assert not (tmp_path / "b.png").exists()


@pytest.mark.parametrize("form", ["sample", "pretrained"])
def test_an_intact_copy_uses_the_fast_path(zoo_copy, tmp_path, form):
    probe, proc = without_torch(*sample_args(form, str(zoo_copy)), "-n", "4", "-o", "x.png", cwd=tmp_path)
    assert probe == {"code": 0, "torch": []}, proc.stderr
    assert "local folder" in proc.stdout


@pytest.fixture
def zoo_copy(tmp_path) -> Path:
    source = locate(get_registry("pretrained").get("dcgan-fashion")).folder
    folder = tmp_path / "copy"
    shutil.copytree(source, folder)
    return folder


def test_draws_are_reproducible_and_truncated():
    z, labels = draw_inputs(50, 8, seed=1, num_classes=10, truncation=0.5)
    again, same = draw_inputs(50, 8, seed=1, num_classes=10, truncation=0.5)
    assert z.dtype == np.float32 and z.shape == (50, 8) and np.array_equal(z, again)
    assert np.abs(z).max() <= 0.5 and labels is not None and np.array_equal(labels, same)
    assert labels.dtype == np.int64 and set(labels.tolist()) <= set(range(10)) and len(set(labels.tolist())) > 3
    untruncated, none = draw_inputs(50, 8, seed=1)
    assert none is None and np.abs(untruncated).max() > 1.0
    assert not np.array_equal(draw_inputs(4, 8, seed=2)[0], draw_inputs(4, 8, seed=3)[0])
    given = draw_inputs(3, 8, seed=1, num_classes=10, labels=np.array([7, 7, 1]))[1]
    assert given is not None and given.tolist() == [7, 7, 1]
