"""`ganzoo onnx`: generators as ONNX files, checked against PyTorch with ONNX Runtime, and run without torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import ganzoo
from ganzoo.cli import build_cli
from ganzoo.data import build_dataset
from ganzoo.images import grid_image

ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed (make test installs it)")
ROOT = Path(__file__).resolve().parents[2]
#: (zoo name, direction, real test-split inputs for translators)
EXPORTS = [("dcgan-fashion", None), ("cgan-fashion", None), ("pix2pix-edges2fashion", None),
           ("cyclegan-sneaker2boot", "a2b"), ("cyclegan-sneaker2boot", "b2a")]


def run(*args: str):
    return CliRunner().invoke(build_cli(), list(args))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx")
    files = {}
    for name, direction in EXPORTS:
        path = folder / f"{name}-{direction}.onnx"
        result = run("onnx", name, "-o", str(path), *(["--direction", direction] if direction else []))
        assert result.exit_code == 0, result.output
        files[name, direction] = path
    return files


def real_inputs(name: str, direction: str | None, count: int) -> torch.Tensor:
    """Test-split images each translator takes: edge maps for pix2pix, sneakers or boots for CycleGAN."""
    if name == "pix2pix-edges2fashion":
        return build_dataset("edges2fashion", "test").get_batch(torch.arange(count))["source"]
    classes = "Sneaker" if direction == "a2b" else "Ankle boot"
    return build_dataset("fashion-mnist", "test", classes=classes).get_batch(torch.arange(count))["image"]


@pytest.mark.parametrize(("name", "direction"), EXPORTS, ids=lambda v: str(v))
@pytest.mark.parametrize("batch", [1, 37])
def test_onnx_runtime_agrees_with_pytorch(exported, name, direction, batch):
    session = ort.InferenceSession(str(exported[name, direction]), providers=["CPUExecutionProvider"])
    model = ganzoo.load_pretrained(name)
    worst = 0.0
    if model.task == "image-to-image":
        images = real_inputs(name, direction, batch)
        expected = model.translate(images, direction=direction)
        (got,) = session.run(None, {"image": images.numpy()})
        worst = float(np.abs(got - expected.numpy()).max())
    else:
        for seed in range(16):
            z = model.model.sample_latent(batch, generator=torch.Generator().manual_seed(seed), device="cpu")
            feed = {"latent": z.numpy()}
            labels = None
            if model.model.num_classes:
                labels = torch.arange(batch) % model.model.num_classes
                feed["label"] = labels.numpy()
            expected = model.model.sample(z=z, labels=labels)
            (got,) = session.run(None, feed)
            worst = max(worst, float(np.abs(got - expected.numpy()).max()))
    assert got.shape == tuple(expected.shape) and got.dtype == np.float32
    assert worst < 1e-3


def test_inputs_are_named_typed_and_batch_dynamic_and_metadata_explains_the_file(exported):
    conditional = ort.InferenceSession(str(exported["cgan-fashion", None]), providers=["CPUExecutionProvider"])
    inputs = {i.name: (i.type, i.shape) for i in conditional.get_inputs()}
    assert inputs == {"latent": ("tensor(float)", ["batch", 100]), "label": ("tensor(int64)", ["batch"])}
    meta = conditional.get_modelmeta().custom_metadata_map
    assert meta["ganzoo.task"] == "class-conditional" and meta["ganzoo.opset"] == "18"
    assert json.loads(meta["ganzoo.classes"])[7] == "Sneaker"
    assert any(m["name"].startswith("FID") for m in json.loads(meta["ganzoo.metrics"]))
    assert json.loads(meta["ganzoo.config"])["architecture"]["name"] == "cgan"
    translator = ort.InferenceSession(str(exported["cyclegan-sneaker2boot", "b2a"]),
                                      providers=["CPUExecutionProvider"])
    assert [(i.name, i.shape) for i in translator.get_inputs()] == [("image", ["batch", 1, 28, 28])]
    assert translator.get_modelmeta().custom_metadata_map["ganzoo.direction"] == "b2a"


def test_float16_files_stay_close_and_keep_float32_inputs(tmp_path):
    path = tmp_path / "half.onnx"
    assert run("onnx", "dcgan-fashion", "-o", str(path), "--dtype", "float16").exit_code == 0
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].type == "tensor(float)"
    model = ganzoo.load_pretrained("dcgan-fashion")
    z = model.model.sample_latent(16, generator=torch.Generator().manual_seed(0), device="cpu")
    (got,) = session.run(None, {"latent": z.numpy()})
    assert float(np.abs(got - model.model.sample(z=z).numpy()).max()) < 0.05
    full = tmp_path / "full.onnx"
    assert run("onnx", "dcgan-fashion", "-o", str(full)).exit_code == 0
    assert path.stat().st_size < 0.6 * full.stat().st_size  # half the bytes per weight


def test_the_torch_free_example_draws_ganzoos_grid(exported, tmp_path):
    """examples/onnx_sample.py, in a process where torch is never imported, matches ganzoo to 1/255."""
    model = ganzoo.load_pretrained("dcgan-fashion")
    z = model.model.sample_latent(30, generator=torch.Generator().manual_seed(3), device="cpu")
    np.save(tmp_path / "z.npy", z.numpy())
    grid_image(model.model.sample(z=z)).save(tmp_path / "ganzoo.png")
    probe = ("import runpy, sys; sys.modules['torch'] = None; sys.argv = sys.argv[1:]; "
             "runpy.run_path(sys.argv[0], run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", probe, str(ROOT / "examples" / "onnx_sample.py"),
                           str(exported["dcgan-fashion", None]), "--latents", str(tmp_path / "z.npy"), "-o",
                           str(tmp_path / "onnx.png")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    ours = np.asarray(Image.open(tmp_path / "ganzoo.png"), dtype=np.int16)
    theirs = np.asarray(Image.open(tmp_path / "onnx.png"), dtype=np.int16)
    assert ours.shape == theirs.shape and np.abs(ours - theirs).max() <= 1


@pytest.mark.parametrize(("args", "message"), [
    (["onnx", "dcgan-fashion", "-o", "model.pt"], "end in .onnx"),
    (["onnx", "dcgan-fashion", "-o", "m.onnx", "--direction", "a2b"], "for image-to-image models"),
    (["onnx", "cyclegan-sneaker2boot", "-o", "m.onnx", "--direction", "sideways"], "unknown direction"),
    (["onnx", "neural-style", "-o", "m.onnx"], "neural-style"),
])
def test_what_cannot_be_exported_is_a_one_line_error(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output


def test_an_exporter_failure_names_the_family_and_the_reason(tmp_path):
    from ganzoo.models import build_model
    from ganzoo.publish.onnx import ExportError, write_onnx

    model = build_model("dcgan", latent_dim=8, image_size=28, channels=1).eval()
    original = model.generate

    def data_dependent(z, labels=None):
        if float(z.sum()) > 0:  # Python control flow on a value: torch.export cannot trace it
            return original(z)
        return original(-z)

    model.generate = data_dependent
    with pytest.raises(ExportError, match="dcgan cannot be exported to ONNX"):
        write_onnx(model, tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()


def test_torch_hub_loads_the_zoo_from_this_checkout():
    model = torch.hub.load(str(ROOT), "dcgan_fashion", source="local", trust_repo=True)
    assert model.sample(4, seed=0).shape == (4, 1, 28, 28)
    assert torch.equal(model.sample(4, seed=0), ganzoo.load_pretrained("dcgan-fashion").sample(4, seed=0))
    translator = torch.hub.load(str(ROOT), "cyclegan_sneaker2boot", source="local", trust_repo=True)
    assert translator.task == "image-to-image" and translator.directions == ("a2b", "b2a")
