"""The checkpoint folder format: round trips, strict loading, clear errors, and the card."""

from __future__ import annotations

import json
import pickle

import pytest
import torch
from safetensors.torch import load_file, save_file

from ganzoo.errors import CheckpointError
from ganzoo.hub.card import build_card
from ganzoo.hub.checkpoint import (
    checkpoint_config,
    load_checkpoint,
    read_config,
    sha256_file,
    write_checkpoint,
)
from ganzoo.hub.record import verify_sha256
from ganzoo.models import build_model

TINY = {"hidden": [16, 32], "latent_dim": 8, "image_size": 8}


@pytest.fixture
def folder(tmp_path):
    torch.manual_seed(0)
    model = build_model("vanilla", **TINY)
    config = checkpoint_config(
        model,
        architecture="vanilla",
        training={"dataset": {"name": "fashion-mnist"}, "command": "ganzoo train vanilla", "steps": 10},
        metrics=[{"name": "FID[fmnist-cnn]", "value": 12.5, "split": "test", "num_samples": 1000}],
    )
    write_checkpoint(tmp_path / "ckpt", model, config, include_discriminator=True)
    return tmp_path / "ckpt", model


def test_round_trip_gives_identical_samples(folder):
    path, model = folder
    loaded, config = load_checkpoint(path, discriminator=True)
    z = torch.randn(4, 8)
    model.eval()
    assert torch.equal(loaded.sample(z=z), model.sample(z=z))
    for name, tensor in model.discriminator.state_dict().items():
        assert torch.equal(loaded.discriminator.state_dict()[name], tensor)
    assert config["architecture"] == {
        "name": "vanilla", "kwargs": model.config, "plugin": "vanilla",
        "distribution": "ganzoo", "distribution_version": config["architecture"]["distribution_version"],
    }
    assert config["image"] == {"channels": 1, "height": 8, "width": 8, "value_range": [-1, 1]}
    assert config["latent"]["dim"] == 8


def test_float16_storage_halves_size_and_stays_close(tmp_path):
    torch.manual_seed(0)
    model = build_model("vanilla", **TINY)
    write_checkpoint(tmp_path / "a", model, checkpoint_config(model, architecture="vanilla"))
    write_checkpoint(tmp_path / "b", model, checkpoint_config(model, architecture="vanilla", weights_dtype="float16"))
    full = (tmp_path / "a" / "generator.safetensors").stat().st_size
    half = (tmp_path / "b" / "generator.safetensors").stat().st_size
    assert half < 0.6 * full
    loaded, _ = load_checkpoint(tmp_path / "b")
    assert next(loaded.generator.parameters()).dtype == torch.float32
    z = torch.randn(4, 8)
    assert torch.allclose(loaded.sample(z=z), model.eval().sample(z=z), atol=2e-2)


def _rewrite(path, change):
    state = load_file(str(path))
    change(state)
    save_file(state, str(path))


def test_missing_key_is_refused(folder):
    path, _ = folder
    _rewrite(path / "generator.safetensors", lambda s: s.pop(sorted(s)[0]))
    with pytest.raises(CheckpointError, match="missing 1 key"):
        load_checkpoint(path)


def test_unexpected_key_is_refused(folder):
    path, _ = folder
    _rewrite(path / "generator.safetensors", lambda s: s.__setitem__("extra.weight", torch.zeros(1)))
    with pytest.raises(CheckpointError, match="unexpected key"):
        load_checkpoint(path)


def test_wrong_shape_is_refused(folder):
    path, _ = folder
    key = "0.weight"
    _rewrite(path / "generator.safetensors", lambda s: s.__setitem__(key, torch.zeros(3, 3)))
    with pytest.raises(CheckpointError, match=r"'0.weight' has shape \(3, 3\)"):
        load_checkpoint(path)


def test_corrupt_weights_are_refused(folder):
    path, _ = folder
    data = (path / "generator.safetensors").read_bytes()
    (path / "generator.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(path)


def test_a_pickle_is_never_unpickled(folder):
    path, _ = folder
    (path / "generator.safetensors").write_bytes(pickle.dumps({"0.weight": [1, 2, 3]}))
    with pytest.raises(CheckpointError, match="corrupt or not a safetensors"):
        load_checkpoint(path)


def test_missing_weights_name_the_file(folder):
    path, _ = folder
    (path / "generator.safetensors").unlink()
    with pytest.raises(CheckpointError, match="missing its generator weights"):
        load_checkpoint(path)


def test_unknown_architecture_names_the_plugin_to_install(folder):
    path, _ = folder
    config = json.loads((path / "config.json").read_text())
    config["architecture"].update(name="stylegan9", distribution="ganzoo-stylegan9")
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="pip install ganzoo-stylegan9"):
        load_checkpoint(path)


def test_not_a_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="no config.json"):
        read_config(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        read_config(tmp_path)
    (tmp_path / "config.json").write_text('{"hello": 1}')
    with pytest.raises(CheckpointError, match="not a ganzoo checkpoint"):
        read_config(tmp_path)


def test_newer_format_asks_for_upgrade(folder):
    path, _ = folder
    config = json.loads((path / "config.json").read_text())
    config["format_version"] = 99
    (path / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="upgrade ganzoo"):
        read_config(path)


def test_sha256_check(folder):
    path, _ = folder
    good = {"generator.safetensors": sha256_file(path / "generator.safetensors")}
    verify_sha256(path, good, "test")
    with pytest.raises(CheckpointError, match="failed its checksum"):
        verify_sha256(path, {"generator.safetensors": "0" * 64}, "test")


def test_card_metadata_is_structured(folder):
    path, _ = folder
    card = build_card(read_config(path), name="vanilla-test")
    data = card.data.to_dict()
    assert data["library_name"] == "ganzoo"
    assert data["pipeline_tag"] == "unconditional-image-generation"
    assert {"ganzoo", "gan", "vanilla"} <= set(data["tags"])
    assert data["datasets"] == ["fashion-mnist"]
    result = data["model-index"][0]["results"][0]
    assert result["metrics"][0]["value"] == 12.5
    assert result["metrics"][0]["name"] == "FID[fmnist-cnn]"
    text = str(card)
    assert "ganzoo sample vanilla-test" in text
    assert "ganzoo train vanilla" in text
    assert "![Samples](samples.png)" in text
