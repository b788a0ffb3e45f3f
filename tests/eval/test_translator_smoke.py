"""`fake`-data smoke runs of the image-to-image families: `--data pairs=true` gives each fake
pattern its negative as the `source`, so pix2pix and CycleGAN train, sample and translate with
no real data at all."""

import json
import math

import pytest
from click.testing import CliRunner

from ganzoo.cli import build_cli
from ganzoo.data import build_dataset

pytestmark = pytest.mark.usefixtures("one_thread")


def test_fake_pairs_are_negatives_with_labels():
    data = build_dataset("fake", length=8, pairs=True)
    item = data[3]
    assert item["source"].shape == item["image"].shape == (1, 28, 28)
    assert (item["source"] + item["image"]).abs().max() < 1e-5  # 255 - x, in [-1, 1]
    assert item["label"] == item["source_label"] == 3
    assert data.info.source_channels == 1 and data.info.domains == {"a": "negative", "b": "pattern"}


@pytest.mark.parametrize("arch", ["pix2pix", "cyclegan"])
def test_translators_train_on_fake_pairs_and_translate(arch, tmp_path):
    out = tmp_path / "run"
    runner = CliRunner()
    result = runner.invoke(build_cli(), ["train", arch, "--dataset", "fake", "--data", "pairs=true", "--data",
                                         "length=32", "--set", "base_channels=4", "--max-steps", "3", "-b", "8",
                                         "--precision", "fp32", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    logs = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert logs and all(math.isfinite(v) for v in logs[-1].values() if isinstance(v, float))
    assert json.loads((out / "config.json").read_text())["architecture"]["kwargs"]["domains"]["a"] == "negative"

    from ganzoo.images import write_image

    write_image(build_dataset("fake", length=1, pairs=True)[0]["source"], tmp_path / "in.png")
    result = runner.invoke(build_cli(), ["translate", str(out), str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out.png").is_file()
