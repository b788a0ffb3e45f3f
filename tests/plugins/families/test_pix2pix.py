"""The pix2pix family: the paper's networks, the size rules, translation, losses and training.

The generator step's reuse of the discriminator step's fakes is tested in tests/core/test_fast_paths.py.
"""

from __future__ import annotations

import json
import math

import pytest
import torch
from click.testing import CliRunner
from conftest import real_data
from torch import nn

import ganzoo
from ganzoo.cli import build_cli
from ganzoo.errors import UsageError
from ganzoo.losses import build_objective
from ganzoo.plugin_blocks import FastDropout
from ganzoo.train.config import check_train_defaults
from ganzoo.train.steps import train_steps
from ganzoo_pix2pix.models import Pix2Pix
from ganzoo_pix2pix.networks import dropout_levels, level_sizes, patch_layers, unet_depth

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = {"in_channels": 1, "channels": 1, "base_channels": 4}


def tiny(image_size: int = 28, **kwargs) -> Pix2Pix:
    torch.manual_seed(0)
    return ganzoo.create_model("pix2pix", image_size=image_size, **{**TINY, **kwargs})


def pairs(model: Pix2Pix, n: int = 4, seed: int = 1) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {"source": torch.rand(n, *model.input_shape, generator=generator) * 2 - 1,
            "image": torch.rand(n, *model.image_shape, generator=generator) * 2 - 1}


@pytest.fixture(scope="module")
def edges():
    return real_data("edges2fashion", "train", limit=64)


# -- the networks ---------------------------------------------------------------------------------------
def test_defaults_are_the_papers_256x256_networks():
    with torch.device("meta"):  # 54M parameters: count them without allocating them
        model = Pix2Pix()
    assert model.config["image_size"] == 256 and model.input_shape == model.image_shape == (3, 256, 256)
    assert model.generator.depth == 8 and model.config["d_layers"] == 3 and model.patch_size == 70
    # The authors' code reports these counts for unet_256 and the 3-layer ("basic") PatchGAN.
    assert sum(p.numel() for p in model.generator.parameters()) == 54_414_531
    assert sum(p.numel() for p in model.discriminator.parameters()) == 2_768_705
    assert sum(isinstance(m, FastDropout) and m.p == 0.5 for m in model.generator.modules()) == 3
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(norms) == 6 + 7 + 3  # encoder levels 2-7, decoder blocks 2-8, discriminator layers 2-4


@pytest.mark.parametrize(("size", "depth", "d_layers", "patches"),
                         [(28, 4, 1, 12), (32, 5, 1, 14), (64, 6, 2, 14), (256, 8, 3, 30)])
def test_depth_and_patch_size_follow_the_image_size(size, depth, d_layers, patches):
    assert unet_depth(size) == depth and patch_layers(size) == d_layers
    assert level_sizes(size, depth)[-1] == 1  # down to a 1x1 bottleneck
    model = tiny(size, base_channels=2 if size == 256 else 4)
    assert model.generator.depth == depth and model.config["d_layers"] == d_layers
    source = torch.rand(2, 1, size, size) * 2 - 1
    with torch.no_grad():
        output = model.generator(source)
        scores = model.discriminator(torch.cat([source, output], dim=1))
    assert output.shape == (2, 1, size, size) and float(output.abs().max()) <= 1.0
    assert scores.shape == (2, 1, patches, patches)


def test_odd_maps_come_back_to_their_exact_size():
    assert level_sizes(28, 4) == [14, 7, 3, 1]
    model = tiny(28, base_channels=2)
    seen = []
    record = lambda module, inputs, output: seen.append(tuple(output.shape[-2:]))  # noqa: E731
    hooks = [block.register_forward_hook(record) for block in model.generator.up]
    with torch.no_grad():
        model.generator(torch.zeros(1, 1, 28, 28))
    for hook in hooks:
        hook.remove()
    assert seen == [(3, 3), (7, 7), (14, 14), (28, 28)]


def test_other_sizes_and_colour_inputs():
    model = tiny(48, in_channels=3, channels=1, base_channels=2, depth=3, d_layers=2, norm="instance")
    assert model.input_shape == (3, 48, 48) and model.image_shape == (1, 48, 48)
    assert model.translate(torch.rand(2, 3, 48, 48) * 2 - 1).shape == (2, 1, 48, 48)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())


def test_dropout_sits_in_the_deepest_decoder_blocks():
    assert [dropout_levels(d) for d in (2, 3, 4, 5, 8)] == [0, 1, 2, 3, 3]
    model = tiny(28)  # 4 levels: dropout in the two deepest decoder blocks, not the two outer ones
    with_dropout = [level for level, block in enumerate(model.generator.up)
                    if any(isinstance(m, FastDropout) for m in block.modules())]
    assert with_dropout == [2, 3]
    assert not any(isinstance(m, (FastDropout, nn.Dropout)) for m in tiny(28, dropout=0).modules())


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"image_size": 8}, "image_size"), ({"norm": "layer"}, "norm"), ({"dropout": 1.0}, "dropout"),
    ({"depth": 6}, "below 1x1"), ({"d_layers": 4}, "too deep"), ({"l1_weight": -1}, "l1_weight"),
    ({"domains": {"a": "x"}}, "domains"), ({"base_channels": 0}, "base_channels"),
])
def test_bad_options_are_usage_errors(kwargs, words):
    with pytest.raises(UsageError, match=words):
        Pix2Pix(**{**TINY, "image_size": 28, **kwargs})


# -- translation ----------------------------------------------------------------------------------------
def test_translate_is_deterministic_batch_independent_and_restores_the_mode():
    model = tiny()
    model.train()
    inputs = pairs(model)["source"]
    first = model.translate(inputs)
    assert model.training and not first.requires_grad
    assert torch.equal(first, model.translate(inputs))
    assert torch.allclose(model.translate(inputs[:1]), first[:1], atol=1e-6)  # eval-mode norm: no batch statistics
    assert torch.equal(model.sample(inputs=inputs, generator=torch.Generator().manual_seed(5)), first)
    model.eval()
    model.translate(inputs)
    assert not model.training


def test_translation_errors_are_one_line_usage_errors():
    model = tiny()
    with pytest.raises(UsageError, match="'b2a'.*a2b.*input -> output"):
        model.translate(torch.zeros(1, 1, 28, 28), "b2a")
    with pytest.raises(UsageError, match=r"\[N, 1, 28, 28\]"):
        model.translate(torch.zeros(1, 3, 28, 28))
    with pytest.raises(UsageError, match="inputs="):
        model.sample(4)
    with pytest.raises(UsageError, match="no latent space"):
        model.generate(torch.zeros(1, 0))
    with pytest.raises(UsageError, match="source="):
        model.discriminate(torch.zeros(1, 1, 28, 28))
    assert model.discriminate(torch.zeros(3, 1, 28, 28), source=torch.zeros(3, 1, 28, 28)).shape == (3,)


# -- losses ---------------------------------------------------------------------------------------------
def test_generator_loss_is_adversarial_plus_lambda_l1():
    model = tiny(dropout=0.0)
    batch = pairs(model)
    loss, logs = model.g_loss(batch, build_objective())
    assert set(logs) == {"g_adv", "g_l1", "g_loss"}
    assert logs["g_loss"] == pytest.approx(logs["g_adv"] + 100 * logs["g_l1"], rel=1e-5)
    with torch.no_grad():
        l1 = (model.generator(batch["source"]) - batch["image"]).abs().mean()
    assert logs["g_l1"] == pytest.approx(float(l1), rel=1e-5)
    _, logs = tiny(dropout=0.0, l1_weight=0).g_loss(batch, build_objective())
    assert logs["g_loss"] == pytest.approx(logs["g_adv"])


@pytest.mark.parametrize(("loss", "regularisers"), [("non-saturating", None), ("lsgan", None), ("hinge", None),
                                                     ("wasserstein", {"gradient-penalty": 10.0}),
                                                     ("non-saturating", {"r1": 1.0})])
def test_registered_losses_drive_both_players(loss, regularisers):
    objective = build_objective(loss, regularisers)
    model = tiny()
    batch = pairs(model)
    d, d_logs = model.d_loss(batch, objective)
    assert {"d_loss", "d_real", "d_fake"} <= set(d_logs) and all(math.isfinite(v) for v in d_logs.values())
    assert ("d_penalty" in d_logs) == bool(regularisers)
    d.backward()
    assert any(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in model.discriminator.parameters())
    g, g_logs = model.g_loss(batch, objective)
    assert math.isfinite(float(g.detach()))
    g.backward()
    assert all(p.grad is not None for p in model.generator.parameters())


def test_unpaired_batches_are_refused():
    model = tiny()
    with pytest.raises(UsageError, match="paired dataset"):
        model.d_loss({"image": torch.zeros(2, 1, 28, 28)}, build_objective())


# -- registration and training -------------------------------------------------------------------------
def test_registered_with_metadata():
    spec = ganzoo.plugins.get_registry("architectures").get("pix2pix")
    assert spec.metadata["task"] == "image-to-image" and spec.metadata["paper"] == "arXiv:1611.07004"
    defaults, error = check_train_defaults(spec)
    assert error is None and defaults["lr_g"] == 2e-4 and list(defaults["betas"]) == [0.5, 0.999]
    model = ganzoo.create_model("pix2pix", **spec.metadata["test_kwargs"])
    assert model.directions == ("a2b",) and model.latent_dim == 0
    assert json.loads(json.dumps(model.config)) == model.config


def test_learns_real_edges2fashion_pairs(edges):
    """An overfit check on 16 real pairs: finite losses, a changed generator and a falling L1."""
    model = tiny(base_channels=8)
    before = [p.detach().clone() for p in model.generator.parameters()]
    batch = edges.get_batch(torch.arange(16))
    history = train_steps(model, batch, steps=40, objective=build_objective(), lr=2e-3)
    assert all(math.isfinite(v) for logs in history for v in logs.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, model.generator.parameters()))
    first, last = history[0]["g_l1"], sum(logs["g_l1"] for logs in history[-5:]) / 5
    assert last < 0.5 * first, (first, last)  # about 0.81 -> 0.25
    # In eval mode (no dropout, batch norm's running statistics, which lag after 40 steps) too.
    translated = model.translate(batch["source"])
    assert float((translated - batch["image"]).abs().mean()) < 0.75 * first


def test_cli_trains_on_edges2fashion(edges, tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(build_cli(), [
        "train", "pix2pix", "--dataset", "edges2fashion", "--data", "limit=64", "--max-steps", "3",
        "--set", "base_channels=4", "-b", "16", "--precision", "fp32", "--quiet", "--log-every", "1",
        "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    kwargs = config["architecture"]["kwargs"]
    assert kwargs["in_channels"] == 1 and kwargs["image_size"] == 28  # filled from the dataset
    assert kwargs["domains"] == {"a": "edge map", "b": "garment"}
    logs = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(logs) == 3 and all(math.isfinite(entry["g_l1"]) for entry in logs)


def test_cli_refuses_data_without_inputs(tmp_path):
    result = CliRunner().invoke(build_cli(), [
        "train", "pix2pix", "--dataset", "fake", "--data", "length=16", "--max-steps", "1",
        "--set", "base_channels=4", "-b", "8", "--quiet", "--out", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert "'source'" in result.output and len(result.output.strip().splitlines()) == 1
