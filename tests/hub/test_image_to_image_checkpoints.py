"""Image-to-image checkpoints: config facts, strict loading (ModuleDict generators too), export,
``PretrainedGAN.translate``, the triplet ``samples.png``, the card and training grids."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image
from plugin_fixtures.ganzoo_fake_translator import install
from safetensors.torch import load_file, save_file

import ganzoo
from ganzoo.data import build_dataset
from ganzoo.errors import CheckpointError, UsageError
from ganzoo.examples import TranslationExamples
from ganzoo.hub.checkpoint import checkpoint_config, load_checkpoint, write_checkpoint
from ganzoo.hub.pretrained import PretrainedGAN
from ganzoo.images import grid_image
from ganzoo.models import build_model
from ganzoo.train.sampling import FixedSamples

pytestmark = pytest.mark.usefixtures("one_thread")

TRAINING = {"dataset": {"name": "tiny-pairs", "split": "train", "options": {}}, "steps": 2}


@pytest.fixture(autouse=True)
def translator_plugin():
    install()


def _model(**kwargs):
    torch.manual_seed(0)
    return build_model("tiny-translator", **kwargs).eval()


def _write(folder, model, **kwargs):
    config = checkpoint_config(model, architecture="tiny-translator", training=TRAINING, **kwargs)
    write_checkpoint(folder, model, config)
    return config


@pytest.mark.parametrize("two_way", [False, True], ids=["one-way", "two-way-moduledict"])
def test_round_trip_records_translation_facts_and_translates_identically(tmp_path, two_way):
    model = _model(two_way=two_way, in_channels=3)
    config = _write(tmp_path / "ckpt", model)
    assert config["task"] == "image-to-image"
    assert config["input_shape"] == [3, 8, 8] and config["image"]["channels"] == 1
    assert config["directions"] == (["a2b", "b2a"] if two_way else ["a2b"])
    assert config["domains"] == {"a": "blob", "b": "negative blob"}
    on_disk = json.loads((tmp_path / "ckpt" / "config.json").read_text())
    assert on_disk["directions"] == config["directions"] and on_disk["input_shape"] == [3, 8, 8]
    if two_way:  # the ModuleDict's keys name the direction of each generator
        assert any(k.startswith("b2a.") for k in load_file(str(tmp_path / "ckpt" / "generator.safetensors")))
    loaded, _ = load_checkpoint(tmp_path / "ckpt")
    x = torch.rand(4, 3, 8, 8) * 2 - 1
    for direction in model.directions:
        inputs = x if direction == "a2b" else x[:, :1]
        assert torch.equal(loaded.translate(inputs, direction), model.translate(inputs, direction))


def test_strict_loading_refuses_a_moduledict_generator_missing_a_direction(tmp_path):
    model = _model(two_way=True)
    _write(tmp_path / "ckpt", model)
    path = tmp_path / "ckpt" / "generator.safetensors"
    state = {k: v for k, v in load_file(str(path)).items() if not k.startswith("b2a.")}
    save_file(state, str(path))
    with pytest.raises(CheckpointError, match="missing .* key"):
        load_checkpoint(tmp_path / "ckpt")


def test_a_config_that_disagrees_with_the_rebuilt_model_is_refused(tmp_path):
    model = _model()
    _write(tmp_path / "ckpt", model)
    path = tmp_path / "ckpt" / "config.json"
    config = json.loads(path.read_text())
    config["directions"] = ["a2b", "b2a"]
    path.write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="directions"):
        load_checkpoint(tmp_path / "ckpt")


def test_pretrained_translate_keeps_the_input_size_and_sample_refuses(tmp_path):
    _write(tmp_path / "ckpt", _model(mode="negate"))
    pretrained = ganzoo.load_pretrained(str(tmp_path / "ckpt"))
    assert pretrained.directions == ("a2b",) and pretrained.input_shape == (1, 8, 8)
    x = torch.rand(2, 1, 8, 8) * 2 - 1
    assert torch.allclose(pretrained.translate(x), -x)
    big = pretrained.translate(torch.rand(3, 1, 20, 30))
    assert big.shape == (3, 1, 20, 30)
    with pytest.raises(UsageError, match="unknown direction 'b2a'.*a2b"):
        pretrained.translate(x, "b2a")
    with pytest.raises(UsageError, match="image-to-image.*translate"):
        pretrained.sample(4)


def test_a_generator_cannot_translate():
    pretrained = PretrainedGAN(checkpoint_config(build_model("vanilla", hidden=[8], image_size=8, latent_dim=4),
                                                 architecture="vanilla"))
    with pytest.raises(UsageError, match="noise"):
        pretrained.translate(torch.zeros(1, 1, 8, 8))


def _png(path):
    with Image.open(path) as image:
        return np.asarray(image.convert("L"))


def test_save_pretrained_writes_triplets_from_the_test_split_and_a_translation_card(tmp_path):
    model = _model()
    pretrained = PretrainedGAN(checkpoint_config(model, architecture="tiny-translator", training=TRAINING), model)
    pretrained.name = "tiny-pix"
    pretrained.save_pretrained(tmp_path / "out")
    test = build_dataset("tiny-pairs", "test")
    examples = TranslationExamples.from_dataset(model, test, 8)
    assert examples.width == 3 and examples.count == 8
    tiles = examples.tiles(model)
    # input | output | truth: the first tile is the first test input, the third its target
    assert torch.equal(tiles[0], test[0]["source"]) and torch.equal(tiles[2], test[0]["image"])
    assert torch.allclose(tiles[1], model.translate(test[0]["source"][None])[0])
    expected = np.asarray(grid_image(tiles, nrow=examples.nrow))
    assert np.array_equal(_png(tmp_path / "out" / "samples.png"), expected)
    card = (tmp_path / "out" / "README.md").read_text()
    assert "ganzoo translate tiny-pix input.png -o output.png" in card
    assert "input | output | truth" in card and "blob" in card
    assert "model.translate(images)" in card and "latent" not in card.split("## Model")[1].split("## Training")[0]


def test_two_directions_show_pairs_both_ways(tmp_path):
    model = _model(two_way=True)
    training = {"dataset": {"name": "tiny-unpaired", "split": "train", "options": {}}}
    pretrained = PretrainedGAN(checkpoint_config(model, architecture="tiny-translator", training=training), model)
    pretrained.save_pretrained(tmp_path / "out")
    examples = TranslationExamples.from_dataset(model, build_dataset("tiny-unpaired", "test"), 16)
    assert examples.width == 2 and examples.directions == ["a2b", "b2a"]
    tiles = examples.tiles(model)
    test = build_dataset("tiny-unpaired", "test")
    assert torch.equal(tiles[0], test[0]["source"])  # a2b rows first ...
    assert torch.equal(tiles[16], test[0]["image"])  # ... then b2a rows, from the B images
    assert np.array_equal(_png(tmp_path / "out" / "samples.png"), np.asarray(grid_image(tiles, nrow=examples.nrow)))
    card = (tmp_path / "out" / "README.md").read_text()
    assert "--direction b2a" in card and "pairs, input | output" in card and "negative blob -> blob" in card


def test_without_its_dataset_the_folder_has_no_samples_and_the_card_says_why(tmp_path):
    model = _model()
    training = {"dataset": {"name": "no-such-dataset"}}
    PretrainedGAN(checkpoint_config(model, architecture="tiny-translator", training=training), model) \
        .save_pretrained(tmp_path / "out")
    assert not (tmp_path / "out" / "samples.png").exists()
    card = (tmp_path / "out" / "README.md").read_text()
    assert "No samples picture" in card and "no-such-dataset" in card and "![Samples]" not in card
    ganzoo.load_pretrained(str(tmp_path / "out"))  # still a valid checkpoint


@pytest.fixture
def tiny_run(tmp_path):
    from ganzoo.train import TrainConfig, train

    run = tmp_path / "run"
    train(TrainConfig(arch="tiny-translator", dataset="tiny-pairs", arch_options={"two_way": True}, batch_size=8,
                      max_steps=3, sample_every=1, sample_count=8, precision="fp32", device="cpu", quiet=True,
                      out=str(run), ema_decay=0.5))
    return run


def test_export_of_a_trained_run_loads_strictly_and_translates_like_the_run(tiny_run, tmp_path):
    from ganzoo.publish.export import export_run
    from ganzoo.runs.folder import load_run

    folder = export_run(tiny_run, tmp_path / "exported", dtype="float32", name="tiny")
    model, config = load_checkpoint(folder)  # strict: every key of both generators
    assert config["directions"] == ["a2b", "b2a"] and config["weights"]["ema"] is True
    in_memory, _ = load_run(tiny_run)
    x = torch.rand(5, 1, 8, 8) * 2 - 1
    pretrained = ganzoo.load_pretrained(str(folder))
    for direction in ("a2b", "b2a"):
        assert torch.equal(pretrained.translate(x, direction), in_memory.translate(x, direction))
    with Image.open(folder / "samples.png") as image:
        # tiny-pairs is paired: 8 triplets per direction, two directions, 8px tiles with 2px padding
        assert image.size[0] % 10 == 2 and image.size[1] % 10 == 2
        columns, rows = (image.size[0] - 2) // 10, (image.size[1] - 2) // 10
    assert columns % 3 == 0 and columns * rows == 3 * 8 * 2


def test_training_grids_show_fixed_test_examples_in_tuples(tiny_run):
    from ganzoo.runs.folder import load_run

    grids = sorted((tiny_run / "samples").glob("step_*.png"))
    assert len(grids) == 3 and (tiny_run / "progress.gif").is_file()
    first, last = _png(grids[0]), _png(grids[-1])
    assert first.shape == last.shape
    # 8 examples split over two directions; tiny-pairs is paired, so input | output | target triplets
    assert first.shape[1] % 10 == 2 and ((first.shape[1] - 2) // 10) % 3 == 0
    model, _ = load_run(tiny_run)
    samples = FixedSamples(model, build_dataset("tiny-pairs", "train"), 8, seed=0, data_options={})
    assert samples.examples.width == 3 and samples.count == 8
    assert samples.nrow % 3 == 0
    test_inputs = build_dataset("tiny-pairs", "test")[0]["source"]
    assert torch.equal(samples.images()[0], test_inputs)  # the held-out split, not the training data
    assert not np.array_equal(first, last)  # the outputs changed while training


@pytest.mark.parametrize("family", ["pix2pix", "cyclegan"])
def test_the_built_in_families_round_trip_through_a_float16_folder(tmp_path, family):
    from ganzoo.plugins import get_registry

    spec = get_registry("architectures").get(family)
    torch.manual_seed(0)
    model = build_model(family, **spec.metadata["test_kwargs"]).eval()
    write_checkpoint(tmp_path / family, model, checkpoint_config(model, architecture=family, weights_dtype="float16"))
    loaded, config = load_checkpoint(tmp_path / family)
    assert config["directions"] == list(model.directions) == list(spec.metadata["directions"])
    x = torch.rand(2, *model.input_shape) * 2 - 1
    for direction in model.directions:
        inputs = x if direction == "a2b" else torch.rand(2, *model.image_shape) * 2 - 1
        assert torch.allclose(loaded.translate(inputs, direction), model.translate(inputs, direction), atol=0.05)
