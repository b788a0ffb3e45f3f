"""Class fidelity: the `class-accuracy` metric scores the classes a conditional model was asked for.

Translators report it under the same name (tests/eval/test_translation_eval.py); `class-agreement`,
their first name for it, is an alias.
"""

from __future__ import annotations

import pytest
import torch
from click.testing import CliRunner
from torch import Tensor, nn

import ganzoo
from ganzoo.cli import build_cli
from ganzoo.errors import UsageError
from ganzoo.eval import checkpoint_metrics, evaluate
from ganzoo.eval.classes import predict_classes
from ganzoo.eval.features import extract, iter_batches, load_extractor
from ganzoo.eval.names import parse_metrics
from ganzoo.models import GAN
from ganzoo_metrics.class_fidelity import ClassAccuracy

pytestmark = pytest.mark.usefixtures("one_thread")

NAME = "ClassAccuracy[fmnist-cnn]"


@pytest.fixture(scope="module")
def test_images() -> tuple[Tensor, Tensor]:
    from ganzoo.data import build_dataset

    data = build_dataset("fashion-mnist", "test", limit=1000)
    batch = data.get_batch(torch.arange(len(data)))
    return batch["image"], batch["label"]


@pytest.fixture(scope="module")
def prototypes(test_images) -> Tensor:
    """One real test image per class that the classifier gets right: [10, 1, 28, 28]."""
    images, labels = test_images
    right = predict_classes(images) == labels
    return torch.stack([images[(right & (labels == c)).nonzero()[0, 0]] for c in range(10)])


class Oracle(GAN):
    """A 'generator' that draws a real image of class ``labels + shift``: a perfect or a wrong one."""

    task = "class-conditional"

    def __init__(self, prototypes: Tensor, shift: int = 0) -> None:
        super().__init__({})
        self.num_classes, self.latent_dim, self.image_shape = 10, 2, (1, 28, 28)
        self.register_buffer("prototypes", prototypes)
        self.shift = shift
        self.generator = nn.Linear(1, 1)  # parameters tell the sources which device the model is on

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        assert labels is not None, "the evaluation must pass the labels it scores against"
        return self.prototypes[(labels + self.shift) % 10]


# -- the metric ---------------------------------------------------------------------------------------
def test_real_images_score_high_with_true_labels_and_chance_with_shuffled_ones(test_images):
    images, labels = test_images
    features = extract(iter_batches(images, 500), load_extractor("fmnist-cnn"))
    metric = ClassAccuracy()
    assert metric.compute(features, None, labels=labels)["ClassAccuracy"] >= 0.9
    shuffled = labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))]
    assert metric.compute(features, None, labels=shuffled)["ClassAccuracy"] < 0.2
    with pytest.raises(UsageError, match="needs the class each image was generated for"):
        metric.compute(features, None)
    with pytest.raises(UsageError, match="1000 images but 3 labels"):
        metric.compute(features, None, labels=labels[:3])


def test_metric_names():
    assert parse_metrics("acc") == parse_metrics("class-accuracy") == ["class-accuracy"]
    assert parse_metrics("class-agreement") == parse_metrics("ca") == ["class-accuracy"]  # one metric, one name
    assert "class-accuracy" not in parse_metrics("all")  # it applies to conditional models only: ask by name
    with pytest.raises(UsageError, match="did you mean 'class-accuracy'"):
        parse_metrics("class-acuracy")
    spec = ganzoo.plugins.get_registry("metrics").get("class-accuracy")
    assert spec.metadata["higher_is_better"] == ["ClassAccuracy"]


# -- evaluate() follows the labels it generated with ---------------------------------------------------------
def test_evaluate_scores_the_requested_classes(prototypes):
    right = evaluate(Oracle(prototypes), metrics="class-accuracy", num_samples=300, cache=False)
    value = right.get(NAME)
    assert value.value == 1.0 and value.higher_is_better and not value.uses_reference
    assert 0.9 <= value.baseline <= 0.97  # the classifier on 300 real test images with their labels
    assert right.provenance["class_baseline"]["split"] == "test"
    wrong = evaluate(Oracle(prototypes, shift=1), metrics="class-accuracy", num_samples=300, cache=False)
    assert wrong[NAME] == 0.0
    row = next(m for m in checkpoint_metrics(right) if m["name"] == NAME)
    assert row["value"] == 1.0 and row["real_vs_real"] == pytest.approx(value.baseline, abs=1e-6)


def test_the_translators_old_name_scores_a_generator_the_same(prototypes):
    old = evaluate(Oracle(prototypes), metrics="class-agreement", num_samples=100, cache=False, baseline=False)
    assert [(v.name, v.metric, v.value) for v in old.values] == [(NAME, "class-accuracy", 1.0)]


def test_evaluate_with_other_metrics_in_one_pass(prototypes):
    results = evaluate(Oracle(prototypes), metrics="is,class-accuracy", num_samples=200, cache=False)
    assert [v.name for v in results.values] == ["IS[fmnist-cnn]", NAME]
    assert results[NAME] == 1.0 and results.get(NAME).baseline is not None


def test_real_data_target_scores_like_its_baseline(ganzoo_home):
    results = evaluate("fashion-mnist:test", metrics="class-accuracy", num_samples=1000)
    value = results.get(NAME)
    assert value.value == pytest.approx(value.baseline) and 0.9 <= value.value <= 0.97


# -- errors -------------------------------------------------------------------------------------------------
def test_an_unconditional_model_is_a_clear_error():
    model = ganzoo.create_model("dcgan", base_channels=8, latent_dim=8)
    with pytest.raises(UsageError, match="class-accuracy needs images made for known classes.*not class-conditional"):
        evaluate(model, metrics="fid,class-accuracy", num_samples=50, cache=False)


def test_a_model_with_other_classes_than_the_classifier_is_a_clear_error():
    model = ganzoo.create_model("cgan", num_classes=3, base_channels=8, latent_dim=8, embed_dim=4)
    with pytest.raises(UsageError, match="has 3 classes but classifier 'fmnist-cnn' knows 10"):
        evaluate(model, metrics="class-accuracy", num_samples=50, cache=False)


def test_cli_error_is_one_line(ganzoo_home):
    result = CliRunner().invoke(build_cli(), ["eval", "dcgan-fashion", "--metrics", "class-accuracy", "-n", "50"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "dcgan-fashion has none (it is not class-conditional)" in lines[0]
