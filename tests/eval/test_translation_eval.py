"""Evaluating image-to-image models: L1, FID and class accuracy against a split's targets.

Models with known behaviour make the numbers predictable: one that copies its input scores
L1 = 0 on a dataset whose targets equal its sources; an "oracle" that looks up each input's
true partner scores exactly what real targets score.
"""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner
from plugin_fixtures.ganzoo_fake_translator import install
from torch import Tensor, nn

from ganzoo.cli import build_cli
from ganzoo.data import DatasetInfo, build_dataset
from ganzoo.errors import UsageError
from ganzoo.eval import evaluate
from ganzoo.eval.translation import check_metric_names, evaluate_translation, parse_translation_metrics
from ganzoo.hub.checkpoint import checkpoint_config, write_checkpoint
from ganzoo.models import GAN, build_model

pytestmark = pytest.mark.usefixtures("one_thread")

#: The tiny test datasets declare no feature extractor of their own (that would be inception, whose
#: weights are not here), so these tests name the bundled one: they score translation, not defaults.
FEATURE = "fmnist-cnn"


@pytest.fixture(autouse=True)
def translator_plugin():
    install()


def _tiny(**kwargs):
    torch.manual_seed(0)
    return build_model("tiny-translator", **kwargs)


def _scores(results):
    return {v.name: v for v in results.values}


def test_copying_model_on_identical_pairs_scores_zero():
    results = evaluate_translation(_tiny(mode="identity"), dataset="tiny-same", dataset_options={"length": 48},
                                   metrics="l1,fid", feature=FEATURE, progress=False)
    scores = _scores(results)
    assert scores["L1"].value == 0.0 and not scores["L1"].higher_is_better
    assert abs(scores["FID[fmnist-cnn]"].value) < 1e-3
    assert scores["FID[fmnist-cnn]"].baseline > 0.05  # the train split's targets are other images
    assert results.provenance["copy_input"]["L1"] == 0.0
    assert results.provenance["reference"] == {"kind": "dataset", "dataset": "tiny-same", "split": "test",
                                               "num_samples": 48, "paired": True,
                                               "targets": "image (a2b) / source (b2a) of each item"}


def test_a_translator_beats_copying_its_input_and_a_wrong_one_does_not():
    right = _scores(evaluate_translation(_tiny(mode="negate"), dataset="tiny-pairs", metrics="l1,fid",
                                         feature=FEATURE, progress=False))
    wrong = evaluate_translation(_tiny(mode="blank"), dataset="tiny-pairs", metrics="l1,fid", feature=FEATURE,
                                 progress=False)
    copied = wrong.provenance["copy_input"]
    assert right["L1"].value == 0.0 and copied["L1"] > 0.5
    assert _scores(wrong)["L1"].value > 0.2
    assert right["FID[fmnist-cnn]"].value < 1e-3 < copied["FID[fmnist-cnn]"]
    assert _scores(wrong)["FID[fmnist-cnn]"].value > 10 * max(right["FID[fmnist-cnn]"].value, 1e-3)


def test_two_directions_get_rows_each_and_subsets_are_seeded():
    results = evaluate_translation(_tiny(two_way=True, mode="negate"), dataset="tiny-pairs:test", metrics="l1",
                                   num_samples=10, seed=3, progress=False)
    assert [v.name for v in results.values] == ["L1 a2b", "L1 b2a"]
    assert [v.settings["direction"] for v in results.values] == ["a2b", "b2a"]
    assert results.provenance["num_samples"] == 10
    one = evaluate_translation(_tiny(two_way=True, mode="blank"), dataset="tiny-pairs", metrics="l1",
                               directions="b2a", num_samples=10, seed=3, progress=False)
    assert [v.name for v in one.values] == ["L1"]


def test_unpaired_data_has_no_l1():
    model = _tiny(two_way=True, mode="negate")
    with pytest.raises(UsageError, match="L1 needs paired data.*tiny-unpaired"):
        evaluate_translation(model, dataset="tiny-unpaired", metrics="l1,fid", feature=FEATURE, progress=False)
    results = evaluate_translation(model, dataset="tiny-unpaired", feature=FEATURE, progress=False)  # defaults
    assert [v.metric for v in results.values] == ["fid", "fid"]
    assert any("L1 needs paired data" in note for note in results.provenance["notes"])
    assert any("class accuracy" in note for note in results.provenance["notes"])  # classes "0".."9" are no garments


class SneakersAndBoots:
    """Unpaired Fashion-MNIST: sneakers as domain A, ankle boots as B, labelled in the dataset's own indices."""

    paired = False

    def __init__(self, n: int = 64) -> None:
        data = build_dataset("fashion-mnist", "test", classes=["Sneaker", "Ankle boot"])
        batch = data.get_batch(torch.arange(len(data)))
        self.source = batch["image"][batch["label"] == 0][:n]
        self.image = batch["image"][batch["label"] == 1][:n]
        self.info = DatasetInfo(name="sneakers-and-boots", split="test", channels=1, size=28,
                                classes=["Sneaker", "Ankle boot"])

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, index: int) -> dict:
        return {"source": self.source[index], "image": self.image[index], "label": 1, "source_label": 0}


class Oracle(GAN):
    """Looks up the B image drawn with each A image (and back): it returns the targets themselves."""

    task = "image-to-image"

    def __init__(self, data: SneakersAndBoots) -> None:
        super().__init__({})
        self.generator, self.discriminator = nn.Linear(1, 1), nn.Linear(1, 1)
        self.image_shape = self.input_shape = (1, 28, 28)
        self.directions = ("a2b", "b2a")
        self.table = {"a2b": {a.numpy().tobytes(): b for a, b in zip(data.source, data.image)},
                      "b2a": {b.numpy().tobytes(): a for a, b in zip(data.source, data.image)}}

    def translate(self, inputs: Tensor, direction: str = "a2b") -> Tensor:
        return torch.stack([self.table[direction][x.cpu().numpy().tobytes()] for x in inputs])


def test_class_accuracy_of_an_oracle_equals_the_real_targets_and_copying_fails():
    data = SneakersAndBoots()
    results = evaluate_translation(Oracle(data), dataset=data, metrics="class-accuracy,fid", feature=FEATURE,
                                   progress=False)
    scores, copied = _scores(results), results.provenance["copy_input"]
    boots, sneakers = scores["ClassAccuracy[fmnist-cnn] a2b"], scores["ClassAccuracy[fmnist-cnn] b2a"]
    # dataset labels 1 and 0 were mapped to the classifier's "Ankle boot" (9) and "Sneaker" (7)
    assert boots.value == boots.baseline and boots.value > 0.85 and boots.higher_is_better
    assert sneakers.value == sneakers.baseline and sneakers.value > 0.85
    assert copied["ClassAccuracy[fmnist-cnn] a2b"] < 0.1  # sneakers are not boots
    assert boots.metric == "class-accuracy" and boots.output == "ClassAccuracy"  # the generators' metric, same name
    assert abs(scores["FID[fmnist-cnn] a2b"].value) < 1e-3 < copied["FID[fmnist-cnn] a2b"]
    assert scores["FID[fmnist-cnn] a2b"].baseline is None  # an unnamed dataset has no other split
    assert results.provenance["classifier"]["name"] == "fmnist-cnn"
    rows = results.checkpoint_metrics()
    accuracy = next(r for r in rows if r["name"] == "ClassAccuracy[fmnist-cnn] a2b")
    assert accuracy["direction"] == "a2b" and accuracy["copy_input"] < 0.1
    assert accuracy["extractor"] == "fmnist-cnn"
    assert accuracy["settings"]["real_data"] == "the real targets with their true labels"


def test_the_old_name_class_agreement_gives_the_same_rows():
    data = SneakersAndBoots(n=16)
    new = evaluate_translation(Oracle(data), dataset=data, metrics="acc", directions="a2b", progress=False)
    assert [v.name for v in new.values] == ["ClassAccuracy[fmnist-cnn]"]
    assert new.values[0].value == new.values[0].baseline > 0.8  # the oracle draws the real boots
    for old_name in ("class-agreement", "ca"):
        old = evaluate_translation(Oracle(data), dataset=data, metrics=old_name, directions="a2b", progress=False)
        assert [(v.name, v.metric, v.value, v.baseline) for v in old.values] == \
            [(v.name, v.metric, v.value, v.baseline) for v in new.values]


def test_metric_names_and_generators_are_told_apart():
    assert parse_translation_metrics(None) == ["l1", "fid", "class-accuracy"]
    assert parse_translation_metrics("L1, ca, kid") == ["l1", "class-accuracy", "kid"]
    assert parse_translation_metrics("class-agreement,acc,class-accuracy") == ["class-accuracy"]
    assert parse_translation_metrics("all")[:2] == ["l1", "class-accuracy"]
    check_metric_names("l1,fid,class-agreement")  # the old name in scripts written before the rename
    with pytest.raises(UsageError, match="did you mean 'class-accuracy'"):
        parse_translation_metrics("l1,class-acuracy")
    check_metric_names("fid,kid,is,pr")
    check_metric_names("l1,fid")
    with pytest.raises(UsageError, match=r"unknown metric 'l2'.*l1, fid, .*acc \(class-accuracy\)"):
        check_metric_names("l1,l2")
    with pytest.raises(UsageError, match="unknown metric 'fdi'; did you mean 'fid'"):
        check_metric_names("fid,fdi")
    with pytest.raises(UsageError, match="not an image-to-image model"):
        evaluate_translation(build_model("vanilla", hidden=[8], image_size=8, latent_dim=4), dataset="tiny-pairs")
    with pytest.raises(UsageError, match="no 'source' images"):
        evaluate_translation(_tiny(), dataset="fake:test")


@pytest.fixture
def negate_folder(tmp_path):
    model = _tiny(mode="negate")
    config = checkpoint_config(model, architecture="tiny-translator",
                               training={"dataset": {"name": "tiny-pairs", "split": "train", "options": {}}})
    write_checkpoint(tmp_path / "negate", model, config)
    return tmp_path / "negate"


def test_evaluate_routes_translators_to_their_dataset(negate_folder):
    results = evaluate(str(negate_folder), metrics="l1", progress=False)
    assert results["L1"] == 0.0 and results.provenance["reference"]["dataset"] == "tiny-pairs"
    assert results.provenance["target"]["kind"] == "pretrained"


def test_ganzoo_eval_shows_the_copy_input_column(negate_folder):
    result = CliRunner().invoke(build_cli(), ["eval", str(negate_folder), "--metrics", "l1,fid", "-n", "20",
                                              "--feature", FEATURE])
    assert result.exit_code == 0, result.output
    assert "copy-input" in result.output and "L1" in result.output and "FID[fmnist-cnn]" in result.output
    assert "translated 20 inputs of tiny-pairs:test (a2b)" in result.output
    result = CliRunner().invoke(build_cli(), ["eval", str(negate_folder), "--metrics", "l1,ca"])
    assert result.exit_code == 2 and "class accuracy needs labels" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_export_records_translation_metrics_in_config_and_card(tmp_path):
    from ganzoo.publish.export import export_run
    from ganzoo.train import TrainConfig, train

    train(TrainConfig(arch="tiny-translator", dataset="tiny-pairs", batch_size=8, max_steps=2, precision="fp32",
                      device="cpu", quiet=True, out=str(tmp_path / "run")))
    folder = export_run(tmp_path / "run", tmp_path / "out", evaluation={"metrics": "l1,fid", "num_samples": 100,
                                                                                  "feature": FEATURE})
    metrics = json.loads((folder / "config.json").read_text())["metrics"]
    assert [m["name"] for m in metrics] == ["L1", "FID[fmnist-cnn]"]
    assert metrics[0]["dataset"] == "tiny-pairs" and metrics[0]["split"] == "test" and "extractor" not in metrics[0]
    assert metrics[0]["copy_input"] > 0.5 and 0 < metrics[0]["value"] < 1
    card = (folder / "README.md").read_text()
    assert "| L1 |" in card and "copy_input" in card and "type: l1" in card


def test_the_feature_extractor_and_classifier_are_the_datasets_own():
    from ganzoo.eval.names import default_classifier, default_feature

    assert default_feature("edges2fashion") == default_feature("fashion-domains") == "fmnist-cnn"
    assert default_feature("tiny-pairs") == default_feature(None) == "inception"  # declares none
    assert default_classifier("edges2fashion") == "fmnist-cnn"
    assert default_classifier("tiny-pairs") == "fmnist-cnn"  # the class-accuracy metric's own classifier
