"""One record per set of weights: export writes it, a zoo entry pins it, every surface renders it.

The record is the checkpoint folder's config.json: every other file with its sha256 and size, the
licences, the metrics. These tests re-export a tiny model into a temporary zoo entry and check
that the card, ``pretrained info``, ``list`` and ``hubconf.py`` all say what the record says,
with no hash or size copied by hand -- and that a second export (a retrain) updates them all.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ganzoo import hookimpl
from ganzoo.cli import build_cli
from ganzoo.errors import CheckpointError, GanzooError
from ganzoo.hub.card import build_card
from ganzoo.hub.config import CheckpointConfig
from ganzoo.hub.record import PINS_NAME, file_table, sha256_file, verify
from ganzoo.hub.zoo import locate, register_bundled
from ganzoo.plugins import get_manager, get_registry

ROOT = Path(__file__).resolve().parents[2]


def invoke(*args: object):
    return CliRunner().invoke(build_cli(), [str(a) for a in args])


def train_tiny(run: Path, steps: int) -> None:
    from ganzoo.train import TrainConfig, train

    train(TrainConfig(arch="cgan", dataset="fake", arch_options={"base_channels": 8, "latent_dim": 8, "num_classes": 3},
                      data_options={"length": 16, "num_classes": 3}, batch_size=8, max_steps=steps, precision="fp32",
                      device="cpu", quiet=True, out=str(run), resume=run.exists()))


class TinyZoo:
    """A third-party plugin whose zoo holds one model, registered the way the built-ins do it."""

    def __init__(self, hook_file: Path) -> None:
        self.hook_file = hook_file

    @hookimpl
    def register_pretrained(self, register):
        register_bundled(register, self.hook_file, "tiny-zoo", summary="A tiny class-conditional GAN")


@pytest.fixture
def zoo(tmp_path) -> Path:
    """A plugin folder with an empty zoo (``pretrained/pins.json``), its plugin registered."""
    plugin = tmp_path / "ganzoo_tiny"
    (plugin / "pretrained").mkdir(parents=True)
    (plugin / "pretrained" / PINS_NAME).write_text("{}")
    (plugin / "plugin.py").write_text("# the hook module's place; the entry is registered from the test\n")
    return plugin


def register(zoo: Path) -> None:
    get_manager().add_plugin(TinyZoo(zoo / "plugin.py"), "tiny")


def surfaces_agree(folder: Path) -> dict:
    """Assert card, info, list and hubconf say what the record says; return the record."""
    record = CheckpointConfig.read(folder)
    assert record.files == file_table(folder)  # every file, as it is on disk
    pins = json.loads((folder.parent / PINS_NAME).read_text())
    assert pins == {"tiny-zoo": sha256_file(folder / "config.json")}
    verify(folder, pin=pins["tiny-zoo"], source="test")

    assert (folder / "README.md").read_text() == str(build_card(record, name="tiny-zoo", load_as="tiny-zoo"))
    card = (folder / "README.md").read_text()
    for name, entry in record.files.items():
        assert f"| {name} | {entry['size']} | `{entry['sha256']}` |" in card

    info = invoke("pretrained", "tiny-zoo", "info", "--json")
    assert info.exit_code == 0, info.output
    shown = json.loads(info.output)
    assert [(f["name"], f["size"], f["sha256"]) for f in shown["files"]] == [
        (n, e["size"], e["sha256"]) for n, e in record.files.items()]
    assert shown["weights_bytes"] == record.files["generator.safetensors"]["size"]
    assert shown["license_words"] == "apache-2.0 (weights); fake: none (generated) (data)"
    assert shown["metrics"] == record.metrics and shown["training_steps"] == record.training["steps"]

    listed = invoke("list", "pretrained", "--json")
    entry = next(e for e in json.loads(listed.output)["pretrained"] if e["name"] == "tiny-zoo")
    assert entry["tags"] == ["class-conditional", "fake", "bundled"]
    table = invoke("list", "pretrained", "tiny*").output
    assert re.search(r"tiny-zoo .* fake, \d+(\.\d)? KB", table), table

    spec = importlib.util.spec_from_file_location("hubconf_under_test", ROOT / "hubconf.py")
    hubconf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hubconf)
    assert "tiny_zoo" in dir(hubconf) and hubconf.tiny_zoo.__doc__.startswith("A tiny class-conditional GAN")
    assert hubconf.tiny_zoo().sample(3, seed=0, labels=[2]).shape == (3, 1, 28, 28)
    return json.loads((folder / "config.json").read_text())


def test_a_reexported_zoo_entry_updates_every_surface_with_no_manual_step(zoo, tmp_path):
    run = tmp_path / "run"
    train_tiny(run, 2)
    folder = zoo / "pretrained" / "tiny-zoo"
    assert invoke("export", run, folder, "--dtype", "float16").exit_code == 0
    register(zoo)
    first = surfaces_agree(folder)
    assert first["training"]["steps"] == 2 and first["latent"]["distribution"] == "standard-normal"

    train_tiny(run, 4)  # "retrain", then export over the entry: new weights, new record, new pin
    result = invoke("export", run, folder, "--dtype", "float16", "--overwrite")
    assert result.exit_code == 0, result.output
    second = surfaces_agree(folder)
    assert second["training"]["steps"] == 4
    assert second["files"]["generator.safetensors"] != first["files"]["generator.safetensors"]


def test_a_changed_file_or_record_is_refused_in_one_line(zoo, tmp_path):
    run = tmp_path / "run"
    train_tiny(run, 2)
    folder = zoo / "pretrained" / "tiny-zoo"
    assert invoke("export", run, folder).exit_code == 0
    register(zoo)
    (folder / "samples.png").write_bytes((folder / "samples.png").read_bytes() + b"x")
    result = invoke("pretrained", "tiny-zoo", "sample", "-n", "2", "-o", tmp_path / "a.png", "--backend", "torch")
    assert result.exit_code != 0 and "samples.png failed its checksum" in result.output
    assert len(result.output.strip().splitlines()) == 1
    with pytest.raises(CheckpointError, match="config.json failed its checksum"):
        text = (folder / "config.json").read_text()
        (folder / "config.json").write_text(text.replace('"seed": 0', '"seed": 1'))
        verify(folder, pin=locate(get_registry("pretrained").get("tiny-zoo")).pin, source="test")


def test_export_refuses_a_folder_that_does_not_make_the_trained_images(tmp_path, monkeypatch):
    import torch

    import ganzoo.publish.export as export

    run = tmp_path / "run"
    train_tiny(run, 2)
    real_load = export.load_checkpoint

    def drifted(folder, **kwargs):  # a family whose sampling reads weights export did not write
        model, config = real_load(folder, **kwargs)
        with torch.no_grad():
            for p in model.generator.parameters():
                p.add_(torch.randn_like(p))
        return model, config

    monkeypatch.setattr(export, "load_checkpoint", drifted)
    with pytest.raises(GanzooError, match="does not reproduce the model"):
        export.export_run(run, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.*"))


def test_every_bundled_zoo_card_is_what_its_record_renders():
    for spec in get_registry("pretrained"):
        location = locate(spec)
        assert location.folder is not None and location.pin, spec.name
        record = verify(location.folder, pin=location.pin, source=spec.name)
        assert set(record.files) >= {"generator.safetensors", "samples.png"}, spec.name
        card = (location.folder / "README.md").read_text()
        assert card == str(build_card(record, name=spec.name, load_as=spec.name)), spec.name


def test_no_plugin_types_a_sha256_by_hand():
    """Weights are pinned by files their scripts write (pins.json, fmnist_cnn.json), never in hook modules."""
    for hook_module in sorted((ROOT / "plugins").glob("ganzoo_*/plugin.py")):
        assert not re.search(r"[0-9a-f]{64}", hook_module.read_text()), f"{hook_module}: a sha256"


def test_no_plugin_types_a_fact_of_its_zoo_models_by_hand():
    hooks = [p for p in sorted((ROOT / "plugins").glob("ganzoo_*/plugin.py")) if "def register_pretrained" in p.read_text()]
    assert len(hooks) == 6
    for hook_module in hooks:
        text = hook_module.read_text()
        pretrained = text[text.index("def register_pretrained"):]
        assert not re.search(r"[0-9a-f]{64}", pretrained), f"{hook_module}: a sha256"
        for word in ("size_bytes", "license", '"files"', "dataset", "task", "metadata"):
            assert word not in pretrained, f"{hook_module}: {word} in register_pretrained"
