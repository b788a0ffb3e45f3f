"""``ganzoo pretrained NAME info`` says what goes in and what comes out.

An image-to-image model shows its input and output shapes and its directions with the domain
names (no "latent 0-d"); a class-conditional model lists its classes; ``--json`` carries the
same facts. The folders are tiny: written directly, or exported from runs of a few steps.
"""

from __future__ import annotations

import json
import re

import pytest
import torch
from click.testing import CliRunner
from plugin_fixtures.ganzoo_fake_translator import install

from ganzoo.cli import build_cli
from ganzoo.hub.checkpoint import checkpoint_config, write_checkpoint
from ganzoo.models import build_model

pytestmark = pytest.mark.usefixtures("one_thread")


def ganzoo_cli(*args: str):
    return CliRunner().invoke(build_cli(), list(args))


def info(folder, *extra: str):
    result = ganzoo_cli("pretrained", str(folder), "info", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.output) if "--json" in extra else result.output


def table(output: str) -> list[tuple[str, str]]:
    """``(key, value)`` of each indented row; continuation rows have the key ``""``."""
    rows = []
    for line in output.splitlines()[1:]:
        key, _, value = line[2:].partition("  ")
        rows.append((key.strip(), value.strip()) if key.strip() else ("", line.strip()))
    return rows


def values(output: str, key: str) -> list[str]:
    """The value of row ``key`` and of the continuation rows under it."""
    rows, found = table(output), []
    for index, (name, value) in enumerate(rows):
        if name == key:
            found.append(value)
            found += [v for _, v in _continuations(rows[index + 1:])]
    return found


def _continuations(rows):
    for name, value in rows:
        if name:
            return
        yield name, value


# -- image-to-image ------------------------------------------------------------------------------------
def test_a_translator_shows_its_shapes_and_named_direction(tmp_path):
    torch.manual_seed(0)
    model = build_model("pix2pix", image_size=28, in_channels=3, channels=1, base_channels=4,
                        domains={"a": "edge map", "b": "garment"})
    write_checkpoint(tmp_path / "p2p", model, checkpoint_config(model, architecture="pix2pix"))

    output = info(tmp_path / "p2p")
    assert values(output, "architecture") == ["pix2pix (image-to-image)"]
    assert values(output, "images") == ["inputs 3x28x28 -> outputs 1x28x28"]
    assert values(output, "directions") == ["a2b (edge map -> garment)"]
    assert "latent" not in output and "classes" not in output

    facts = info(tmp_path / "p2p", "--json")
    assert facts["input_shape"] == [3, 28, 28] and facts["output_shape"] == [1, 28, 28]
    assert facts["directions"] == ["a2b"] and facts["domains"] == {"a": "edge map", "b": "garment"}
    assert facts["direction_descriptions"] == {"a2b": "a2b (edge map -> garment)"}
    assert facts["latent_dim"] is None and facts["num_classes"] == 0


def test_an_exported_two_way_run_lists_both_directions_and_its_metrics(tmp_path):
    from ganzoo.train import TrainConfig, train

    install()
    train(TrainConfig(arch="tiny-translator", dataset="tiny-pairs", arch_options={"two_way": True}, batch_size=8,
                      max_steps=2, precision="fp32", device="cpu", quiet=True, out=str(tmp_path / "run")))
    result = ganzoo_cli("export", str(tmp_path / "run"), str(tmp_path / "out"), "--metrics", "l1",
                        "--eval-samples", "100")
    assert result.exit_code == 0, result.output

    output = info(tmp_path / "out")
    assert values(output, "images") == ["inputs 1x8x8 -> outputs 1x8x8"]
    assert values(output, "directions") == ["a2b (blob -> negative blob)", "b2a (negative blob -> blob)"]
    assert values(output, "dataset") == ["tiny-pairs"]
    assert {"metric L1 a2b", "metric L1 b2a"} <= {key for key, _ in table(output)}

    facts = info(tmp_path / "out", "--json")
    assert facts["directions"] == ["a2b", "b2a"]
    assert facts["direction_descriptions"]["b2a"] == "b2a (negative blob -> blob)"
    assert [m["name"] for m in facts["metrics"]] == ["L1 a2b", "L1 b2a"]


def test_a_translator_without_domain_names_shows_bare_directions(tmp_path):
    install()
    model = build_model("tiny-translator")
    config = checkpoint_config(model, architecture="tiny-translator")
    config["domains"] = {}
    write_checkpoint(tmp_path / "bare", model, config)
    assert values(info(tmp_path / "bare"), "directions") == ["a2b"]


# -- class-conditional ---------------------------------------------------------------------------------
TRAIN_CGAN = ["train", "cgan", "--set", "base_channels=8", "--set", "latent_dim=8", "--set", "embed_dim=4",
              "-b", "16", "--max-steps", "1", "--precision", "fp32", "--quiet", "--samples", "4"]


def test_an_exported_conditional_run_lists_its_classes(tmp_path):
    run, out = tmp_path / "run", tmp_path / "out"
    result = ganzoo_cli(*TRAIN_CGAN, "--dataset", "fashion-mnist", "--data", "classes=Bag,Sneaker,Ankle boot",
                        "--data", "limit=48", "--out", str(run))
    assert result.exit_code == 0, result.output
    assert ganzoo_cli("export", str(run), str(out)).exit_code == 0

    output = info(out)
    assert values(output, "images") == ["1x28x28, latent 8-d"]
    assert values(output, "classes") == ["3: Sneaker, Bag, Ankle boot"]  # relabelled in class order
    assert "directions" not in output

    facts = info(out, "--json")
    assert facts["classes"] == ["Sneaker", "Bag", "Ankle boot"] and facts["num_classes"] == 3
    assert facts["latent_dim"] == 8 and "directions" not in facts


def test_a_long_class_list_wraps_instead_of_being_cut(tmp_path, monkeypatch):
    fashion = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
    torch.manual_seed(0)
    model = build_model("cgan", num_classes=10, base_channels=8, latent_dim=8, embed_dim=4)
    write_checkpoint(tmp_path / "c", model, checkpoint_config(model, architecture="cgan", classes=fashion))
    monkeypatch.setenv("COLUMNS", "60")
    output = info(tmp_path / "c")
    lines = values(output, "classes")
    assert len(lines) > 1 and all("…" not in line for line in lines)
    assert " ".join(lines) == "10: " + ", ".join(fashion)


def test_unnamed_classes_are_counted(tmp_path):
    torch.manual_seed(0)
    model = build_model("cgan", num_classes=3, base_channels=8, latent_dim=8, embed_dim=4)
    write_checkpoint(tmp_path / "c", model, checkpoint_config(model, architecture="cgan"))
    assert values(info(tmp_path / "c"), "classes") == ["3, unnamed (use indices 0-2)"]
    assert info(tmp_path / "c", "--json")["num_classes"] == 3


# -- unconditional -------------------------------------------------------------------------------------
def test_an_unconditional_model_keeps_its_latent_and_has_no_classes_or_directions():
    output = info("dcgan-fashion")
    assert values(output, "images") == ["1x28x28, latent 100-d"]
    assert not re.search(r"^\s+(classes|directions)\b", output, re.MULTILINE)
    facts = info("dcgan-fashion", "--json")
    assert facts["latent_dim"] == 100 and facts["num_classes"] == 0 and facts["classes"] is None
    assert "input_shape" not in facts and "directions" not in facts
