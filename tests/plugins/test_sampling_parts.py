"""A third-party family whose class embedding lives beside ``generator`` keeps it everywhere.

The plugin (tests/plugin_fixtures/ganzoo_fake_acgan*) is installed as a real distribution with
an entry point. It declares ``sampling_modules = ("generator", "embed")``; training, EMA, export,
reloading, ``ganzoo sample`` and ONNX must all carry the embedding. Before sampling modules
existed, export wrote only ``model.generator``: every load re-initialised the embedding at
random, so the same seed gave other images on each load, and EMA never averaged it.
"""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner
from plugin_fixtures import FIXTURES_DIR, write_distribution
from safetensors import safe_open

from ganzoo import testing
from ganzoo.cli import build_cli
from ganzoo.plugins import get_manager, reset_manager

DIST = "ganzoo-fake-acgan"

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def installed(tmp_path, monkeypatch):
    site = tmp_path / "site"
    write_distribution(site, DIST, "0.2", {"acgan": "ganzoo_fake_acgan"})
    monkeypatch.syspath_prepend(str(FIXTURES_DIR))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("GANZOO_LOAD_PLUGINS", "acgan")
    reset_manager()
    assert get_manager().plugins["acgan"].distribution == DIST
    return site


def ganzoo(*args: str):
    result = CliRunner().invoke(build_cli(), list(args))
    assert result.exit_code == 0, result.output
    return result


def _keys(path) -> set[str]:
    with safe_open(str(path), framework="pt") as handle:
        return set(handle.keys())  # noqa: SIM118


def _samples(model, seed: int = 3) -> torch.Tensor:
    return model.sample(6, generator=torch.Generator().manual_seed(seed))


def test_conformance_passes_on_the_side_embedding_family(installed):
    testing.check_architecture("side-embed")


def test_the_conformance_cases_catch_an_undeclared_embedding(installed, monkeypatch):
    from ganzoo_fake_acgan_code import SideEmbedGAN

    from ganzoo.testing import ConformanceError

    monkeypatch.setattr(SideEmbedGAN, "sampling_modules", ("generator",))
    for check, words in (("export-round-trip", "samples other images for the same seed"),
                         ("ema-covers-sampling", "reads parameter(s) embed.weight")):
        with pytest.raises(ConformanceError) as caught:
            testing.Case("architectures", "side-embed", check).run()
        assert words in str(caught.value)


def test_embedding_survives_ema_export_reload_and_onnx(installed, tmp_path):
    from ganzoo.hub.checkpoint import load_checkpoint
    from ganzoo.runs.folder import load_run

    run, folder = tmp_path / "run", tmp_path / "exported"
    ganzoo("train", "side-embed", "--dataset", "fake", "--data", "size=8", "--data", "num_classes=4",
           "--data", "length=32", "-b", "8", "--max-steps", "4", "--ema-decay", "0.5", "--precision", "fp32",
           "--quiet", "--samples", "4", "--lr-g", "0.05", "--out", str(run))
    step = sorted((run / "checkpoints").glob("step_*"))[-1]
    assert "embed.weight" in _keys(step / "ema.safetensors")  # EMA averages the embedding too
    live, _ = load_run(run, ema=False)
    averaged, _ = load_run(run, ema=True)
    assert not torch.equal(live.embed.weight, averaged.embed.weight)  # trained, then averaged: they differ

    ganzoo("export", str(run), str(folder))
    config = json.loads((folder / "config.json").read_text())
    assert config["architecture"]["name"] == "side-embed" and config["architecture"]["distribution"] == DIST
    assert {"embed.weight", "generator.0.weight"} <= _keys(folder / "generator.safetensors")

    torch.manual_seed(10)
    first, _ = load_checkpoint(folder)
    torch.manual_seed(11)  # other random initial weights: only the files may decide the images
    second, _ = load_checkpoint(folder)
    assert torch.equal(first.embed.weight, averaged.embed.weight)
    assert torch.equal(_samples(first), _samples(second))
    assert torch.equal(_samples(first), _samples(averaged))

    ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed (make test installs it)")
    onnx_path = tmp_path / "side.onnx"
    ganzoo("onnx", str(folder), "-o", str(onnx_path))
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    z = first.sample_latent(5, generator=torch.Generator().manual_seed(4))
    labels = torch.tensor([0, 1, 2, 3, 1])
    (images,) = session.run(None, {"latent": z.numpy(), "label": labels.numpy()})
    expected = first.generate(z, labels).clamp(-1, 1).detach()
    assert float((torch.from_numpy(images) - expected).abs().max()) < 1e-5


def test_a_checkpoint_missing_the_embedding_is_refused_by_name(installed, tmp_path):
    from safetensors.torch import load_file, save_file

    from ganzoo.errors import CheckpointError
    from ganzoo.hub.checkpoint import checkpoint_config, load_checkpoint, write_checkpoint
    from ganzoo.models import build_model

    model = build_model("side-embed")
    folder = tmp_path / "ckpt"
    write_checkpoint(folder, model, checkpoint_config(model, architecture="side-embed"))
    state = load_file(str(folder / "generator.safetensors"))
    del state["embed.weight"]
    save_file(state, str(folder / "generator.safetensors"))
    with pytest.raises(CheckpointError, match="missing 1 key.*'embed.weight'"):
        load_checkpoint(folder)
