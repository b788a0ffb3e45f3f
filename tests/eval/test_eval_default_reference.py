"""``ganzoo eval`` of a run or checkpoint compares with the test split of the data it was trained on, and says so."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ganzoo.cli import build_cli

pytestmark = pytest.mark.usefixtures("one_thread", "ganzoo_home")


def ganzoo(*args: str):
    result = CliRunner().invoke(build_cli(), list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def run(tmp_path):
    out = tmp_path / "run"
    ganzoo("train", "vanilla", "--dataset", "fake", "--set", "hidden=[16,16]", "--data", "length=16", "-b", "8",
           "--precision", "fp32", "--quiet", "--samples", "4", "--max-steps", "1", "--out", str(out))
    return out


EVAL = ("--metrics", "fid", "-n", "16", "--feature", "fmnist-cnn", "--no-baseline", "--no-cache", "-q")


def test_eval_of_a_run_defaults_to_its_datasets_test_split(run, tmp_path):
    table = ganzoo("eval", str(run), *EVAL).output
    assert "vs fake:test" in table and "the test split of the dataset the model was trained on" in table
    data = json.loads(ganzoo("eval", str(run), *EVAL, "--json").stdout)
    assert (data["provenance"]["reference"]["dataset"], data["provenance"]["reference"]["split"]) == ("fake", "test")

    ganzoo("export", str(run), str(tmp_path / "exported"))
    data = json.loads(ganzoo("eval", str(tmp_path / "exported"), *EVAL, "--json").stdout)
    assert data["provenance"]["reference"]["dataset"] == "fake"


def test_a_given_reference_still_wins(run):
    data = json.loads(ganzoo("eval", str(run), *EVAL, "--reference", "fake:train", "--json").stdout)
    assert (data["provenance"]["reference"]["split"], data["provenance"]["reference"]["chosen"]) == ("train", "given")
