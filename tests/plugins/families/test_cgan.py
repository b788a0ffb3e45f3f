"""The cgan family: conditioning in both players, training and class-wise sampling.

Its fast paths (one discriminator pass, fakes shared with the generator step for the same labels)
are tested with dcgan's and pix2pix's in tests/core/test_fast_paths.py.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import ganzoo
from ganzoo.cli import build_cli
from ganzoo.errors import UsageError
from ganzoo.losses import build_objective
from ganzoo.noise import draw_inputs
from ganzoo.train.steps import train_steps
from ganzoo_cgan.models import CGAN

TINY = {"base_channels": 8, "latent_dim": 8, "embed_dim": 4}
FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

pytestmark = pytest.mark.usefixtures("one_thread")


def tiny(image_size: int = 28, **kwargs) -> CGAN:
    torch.manual_seed(0)
    return ganzoo.create_model("cgan", image_size=image_size, **{"num_classes": 10, **TINY, **kwargs})


def ganzoo_cli(*args: str):
    return CliRunner().invoke(build_cli(), list(args))


# -- the model -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("size", "channels"), [(28, 1), (32, 3), (64, 3)])
def test_shapes_and_labels_in_both_players(size, channels):
    model = tiny(size).eval()
    z, labels = torch.randn(3, 8), torch.tensor([0, 4, 9])
    with torch.no_grad():
        images = model.generate(z, labels)
        assert images.shape == (3, channels, size, size) and float(images.abs().max()) <= 1.0
        assert model.discriminate(images, labels).shape == (3,)
        # The same noise with other labels draws other images, and D scores them differently.
        other = torch.tensor([1, 5, 2])
        # (atol=0: untrained 64x64 networks in eval mode give outputs near 1e-6)
        assert not torch.allclose(model.generate(z, other), images, rtol=1e-3, atol=0)
        assert not torch.allclose(model.discriminate(images, other), model.discriminate(images, labels),
                                  rtol=1e-3, atol=0)


def test_labels_are_required_and_checked():
    model = tiny()
    z = torch.randn(2, 8)
    with pytest.raises(UsageError, match="class-conditional: pass labels"):
        model.generate(z)
    with pytest.raises(UsageError, match="2 images or latents but 3 labels"):
        model.generate(z, torch.tensor([0, 1, 2]))
    with pytest.raises(UsageError, match="class indices 0-9, got 3-10"):
        model.generate(z, torch.tensor([3, 10]))
    with pytest.raises(UsageError, match="needs a dataset with labels"):
        model.d_loss({"image": torch.zeros(2, 1, 28, 28)}, build_objective())


def test_bad_options_are_usage_errors():
    with pytest.raises(UsageError, match="28, 32, 64"):
        CGAN(image_size=48)
    with pytest.raises(UsageError, match="at least 2 classes"):
        CGAN(num_classes=1)
    with pytest.raises(UsageError, match="embed_dim"):
        CGAN(embed_dim=0)


def test_discriminator_is_a_projection():
    """D(x, y) = w . phi(x) + b + embed(y) . phi(x) (Miyato & Koyama 2018)."""
    model = tiny().eval()
    images, labels = torch.rand(4, 1, 28, 28) * 2 - 1, torch.tensor([0, 3, 3, 7])
    d = model.discriminator
    with torch.no_grad():
        phi = d.features(images)
        expected = phi @ d.head.weight[0] + d.head.bias[0] + (d.embed.weight[labels] * phi).sum(1)
        assert torch.allclose(model.discriminate(images, labels), expected, atol=1e-5)
    assert phi.shape == (4, 2 * 8 * 7 * 7)


def test_generator_embedding_joins_z():
    model = tiny()
    first = model.generator.body[0]
    assert isinstance(first, torch.nn.Linear) and first.in_features == 8 + 4  # latent + embedding
    assert model.generator.embed.weight.shape == (10, 4)


def test_registered_with_metadata():
    spec = ganzoo.plugins.get_registry("architectures").get("cgan")
    assert spec.metadata["task"] == "class-conditional"
    assert "1411.1784" in spec.metadata["paper"] and "1802.05637" in spec.metadata["paper"]
    assert list(spec.metadata["image_sizes"]) == [28, 32, 64]
    model = ganzoo.create_model("cgan", **spec.metadata["test_kwargs"])
    assert model.task == "class-conditional" and model.num_classes == spec.metadata["test_kwargs"]["num_classes"]
    assert json.loads(json.dumps(model.config)) == model.config


# -- training on real data ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fashion():
    from ganzoo.data import build_dataset

    return build_dataset("fashion-mnist", "train", limit=256)


@pytest.mark.parametrize("loss, regularisers", [("non-saturating", None), ("lsgan", None), ("hinge", None),
                                                ("non-saturating", {"r1": 1.0})])
def test_trains_on_fashion_mnist(fashion, loss, regularisers):
    model = tiny()
    before = [p.detach().clone() for p in model.generator.parameters()]
    history = train_steps(model, fashion, steps=3, batch_size=16, objective=build_objective(loss, regularisers))
    assert len(history) == 3
    assert all(math.isfinite(v) for logs in history for v in logs.values())
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(history[-1])
    assert any(not torch.equal(a, b) for a, b in zip(before, model.generator.parameters()))
    assert not torch.equal(before[0], model.generator.embed.weight)  # the label embedding learns too


def test_spectral_norm_bounds_every_discriminator_layer_and_still_trains(fashion):
    model = tiny(spectral_norm=True)
    layers = [m for m in model.discriminator.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear, torch.nn.Embedding))]
    assert layers and all(torch.nn.utils.parametrize.is_parametrized(m, "weight") for m in layers)
    history = train_steps(model, fashion, steps=3, batch_size=16, objective=build_objective("hinge"))
    assert all(math.isfinite(v) for logs in history for v in logs.values())
    model.eval()
    for layer in layers:  # after the power iterations, each weight's largest singular value is ~1
        weight = layer.weight.detach().flatten(1) if not isinstance(layer, torch.nn.Embedding) else layer.weight.detach()
        assert torch.linalg.matrix_norm(weight, ord=2) < 1.2
    assert model.config["spectral_norm"] is True


# -- the command line, end to end on one tiny run ---------------------------------------------------------
TRAIN = ["train", "cgan", "--set", "base_channels=8", "--set", "latent_dim=8", "--set", "embed_dim=4",
         "-b", "16", "--max-steps", "4", "--precision", "fp32", "--quiet", "--samples", "10"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from ganzoo.plugins import reset_manager

    reset_manager()
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("cgan") / "run"
    result = ganzoo_cli(*TRAIN, "--dataset", "fashion-mnist", "--data", "limit=256", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_cli_training_records_the_classes(run):
    config = json.loads((run / "config.json").read_text())
    assert config["architecture"]["kwargs"]["num_classes"] == 10
    assert config["dataset"]["info"]["classes"] == FASHION


def test_fake_data_smoke_run(tmp_path):
    result = ganzoo_cli(*TRAIN, "--dataset", "fake", "--data", "length=64", "--data", "num_classes=4",
                        "--max-steps", "2", "--out", str(tmp_path / "fake"))
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "fake" / "config.json").read_text())
    assert config["architecture"]["kwargs"]["num_classes"] == 4
    lines = [json.loads(line) for line in (tmp_path / "fake" / "metrics.jsonl").read_text().splitlines()]
    assert lines and all(math.isfinite(lines[-1][k]) for k in ("d_loss", "g_loss"))


def test_sample_a_run_by_class_name_or_index(run, tmp_path):
    from ganzoo.runs.folder import load_run

    result = ganzoo_cli("sample", str(run), "--label", "sneaker", "--label", "3", "-n", "4", "--seed", "1",
                        "--save-dir", str(tmp_path / "each"))
    assert result.exit_code == 0, result.output
    model, _ = load_run(run)
    z, _ = draw_inputs(4, model.latent_dim, seed=1)  # the numpy latents every sampling command draws
    expected = model.sample(z=torch.from_numpy(z), labels=torch.tensor([7, 7, 3, 3]))  # a row per class asked
    for i, path in enumerate(sorted((tmp_path / "each").iterdir())):
        pixels = torch.from_numpy(np.array(Image.open(path))).float()
        assert torch.allclose(pixels, (expected[i, 0] + 1) * 127.5, atol=1.0)
    result = ganzoo_cli("sample", str(run), "--label", "Sandals", "-n", "2", "-o", str(tmp_path / "x.png"))
    assert result.exit_code == 2
    assert "unknown class 'Sandals'" in result.output and "Sneaker" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_sample_takes_class_like_every_command_with_label_as_its_alias(run, tmp_path):
    by_class = ganzoo_cli("sample", str(run), "--class", "sneaker", "--class", "3", "-n", "4", "--seed", "1",
                          "-o", str(tmp_path / "class.png"))
    by_label = ganzoo_cli("sample", str(run), "--label", "sneaker", "--class", "3", "-n", "4", "--seed", "1",
                          "-o", str(tmp_path / "label.png"))
    assert by_class.exit_code == 0 and by_label.exit_code == 0, by_class.output + by_label.output
    assert (tmp_path / "class.png").read_bytes() == (tmp_path / "label.png").read_bytes()
    wrong = ganzoo_cli("sample", str(run), "--class", "Sandals", "-n", "2", "-o", str(tmp_path / "x.png"))
    assert wrong.exit_code == 2 and "unknown class 'Sandals'" in wrong.output


@pytest.fixture(scope="module")
def exported(run):
    out = run.parent / "exported"
    result = ganzoo_cli("export", str(run), str(out))
    assert result.exit_code == 0, result.output
    return out


def test_pretrained_sample_draws_one_row_per_class(exported, tmp_path):
    grid = tmp_path / "grid.png"
    result = ganzoo_cli("pretrained", str(exported), "sample", "-o", str(grid), "--seed", "0")
    assert result.exit_code == 0, result.output
    assert f"rows, top to bottom (10 each): {', '.join(FASHION)}" in result.output
    with Image.open(grid) as image:
        assert image.size == (10 * 30 + 2, 10 * 30 + 2)  # 10 classes x 10 samples
    result = ganzoo_cli("pretrained", str(exported), "sample", "-n", "25", "-o", str(grid), "--overwrite")
    assert "(3 each)" in result.output  # 25 spread over 10 rows, rounded up
    with Image.open(grid) as image:
        assert image.size == (3 * 30 + 2, 10 * 30 + 2)


def test_pretrained_sample_by_class(exported, tmp_path):
    import ganzoo.hub.pretrained as hub

    result = ganzoo_cli("pretrained", str(exported), "sample", "--class", "BAG", "--class", "7", "-n", "6",
                        "--seed", "2", "--save-dir", str(tmp_path / "each"), "-o", str(tmp_path / "g.png"))
    assert result.exit_code == 0, result.output
    assert "rows, top to bottom (3 each): Bag, Sneaker" in result.output
    model = hub.load_pretrained(str(exported))
    expected = model.sample(6, seed=2, labels=torch.tensor([8, 8, 8, 7, 7, 7]))
    first = torch.from_numpy(np.array(Image.open(tmp_path / "each" / "sample_0003.png"))).float()
    assert torch.allclose(first, (expected[3, 0] + 1) * 127.5, atol=1.0)
    result = ganzoo_cli("pretrained", str(exported), "sample", "--class", "Sandals")
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "unknown class 'Sandals' (did you mean 'Sandal'?); this model knows: T-shirt/top, Trouser" in result.output


def test_a_class_subset_keeps_its_own_names(tmp_path):
    run, out = tmp_path / "run", tmp_path / "out"
    result = ganzoo_cli(*TRAIN, "--dataset", "fashion-mnist", "--data", "classes=Bag,Sneaker", "--data", "limit=64",
                        "--max-steps", "1", "--out", str(run))
    assert result.exit_code == 0, result.output
    assert ganzoo_cli("export", str(run), str(out)).exit_code == 0
    assert json.loads((out / "config.json").read_text())["classes"] == ["Sneaker", "Bag"]  # relabelled in class order
    result = ganzoo_cli("pretrained", str(out), "sample", "--class", "bag", "-n", "2", "-o", str(tmp_path / "g.png"))
    assert result.exit_code == 0 and "class: Bag" in result.output, result.output


def test_class_options_on_an_unconditional_model_are_one_line_errors(tmp_path):
    result = ganzoo_cli("pretrained", "dcgan-fashion", "sample", "--class", "Sneaker", "-o", str(tmp_path / "x.png"))
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "--class is for class-conditional models; this model takes no labels, so drop --class" in result.output
    assert not (tmp_path / "x.png").exists()


def test_export_card_names_the_rows(exported):
    card = (exported / "README.md").read_text()
    assert f"one row per class, top to bottom: {', '.join(FASHION)}." in card
    assert '--class "T-shirt/top" -n 16' in card
    with Image.open(exported / "samples.png") as image:
        assert image.size == (8 * 30 + 2, 10 * 30 + 2)  # 8 per class, one row each


def test_export_records_class_accuracy(run):
    out = run.parent / "with-metrics"
    result = ganzoo_cli("export", str(run), str(out), "--metrics", "class-accuracy", "--eval-samples", "200")
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "config.json").read_text())["metrics"]
    row = next(m for m in metrics if m["name"] == "ClassAccuracy[fmnist-cnn]")
    assert 0.0 <= row["value"] <= 1.0 and row["num_samples"] == 200
    assert row["real_vs_real"] > 0.85  # the classifier on 200 real test images with their labels
    assert "| ClassAccuracy[fmnist-cnn] |" in (out / "README.md").read_text()
