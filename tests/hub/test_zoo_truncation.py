"""Truncation on every zoo model that samples from noise: the CLI takes it, and it does what it promises.

Lower bounds must give less varied images (a smaller spread of pixels across samples, within each
class for class-conditional models) and more typical ones in the eyes of the shipped Fashion-MNIST
classifier (fmnist-cnn): a higher precision, the share of samples inside the real images' k-NN
manifold of the classifier's features, on 10,000 samples. (The classifier's confidence in the
asked-for class is no such promise: sngan-projection-fashion's class accuracy is 0.892 untruncated
and 0.880 at bound 1.0.) What truncation does to these models' FID and recall is in
docs/leaderboard.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from ganzoo.cli import build_cli
from ganzoo.eval.api import evaluate
from ganzoo.hub.pretrained import load_pretrained
from ganzoo.plugins import get_registry

SAMPLING = [entry.name for entry in get_registry("pretrained")
            if {"unconditional", "class-conditional"} & set(entry.tags)]


def test_every_sampling_zoo_model_is_covered():
    assert {"dcgan-fashion", "cgan-fashion", "wgan-gp-fashion"} <= set(SAMPLING)


@pytest.mark.parametrize("name", SAMPLING)
def test_pretrained_sample_takes_truncation(name: str, tmp_path: Path):
    plain, truncated = tmp_path / "plain.png", tmp_path / "truncated.png"
    for out, extra in ((plain, []), (truncated, ["--truncation", "0.5"])):
        result = CliRunner().invoke(build_cli(), ["pretrained", name, "sample", "-n", "16", "--seed", "1",
                                                  "-o", str(out), *extra])
        assert result.exit_code == 0, result.output
    assert truncated.read_bytes() != plain.read_bytes()


@pytest.mark.parametrize("name", SAMPLING)
def test_lower_truncation_gives_less_varied_more_confident_samples(name: str):
    model = load_pretrained(name)
    classes = model.model.num_classes
    labels = torch.arange(classes).repeat_interleave(100) if classes else None
    variety, confidence = {}, {}
    for bound in (None, 1.0, 0.5):
        images = model.sample(1000, seed=0, truncation=bound, labels=labels)
        groups = [labels == c for c in range(classes)] if classes else [slice(None)]
        variety[bound] = sum(images[g].std(dim=0).mean().item() for g in groups) / len(groups)
        if bound != 0.5:
            scores = evaluate(model.model, metrics="pr", num_samples=10_000, reference="fashion-mnist:test",
                              baseline=False, progress=False, truncation=bound)
            confidence[bound] = scores.get("Precision").value
    assert variety[0.5] < variety[1.0] < variety[None], variety
    assert confidence[1.0] > confidence[None], confidence


def test_image_to_image_models_refuse_truncation(tmp_path: Path):
    result = CliRunner().invoke(build_cli(), ["eval", "pix2pix-edges2fashion", "--truncation", "0.5", "-n", "10"])
    assert result.exit_code == 2 and "truncation" in result.output and "Traceback" not in result.output
