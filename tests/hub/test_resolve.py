"""One resolver: odd inputs through ``parse_model_name`` each give the right kind or one line naming the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ganzoo.errors import CheckpointError, GanzooError, UsageError
from ganzoo.folders import CHECKPOINT_FORMAT, RUN_FORMAT
from ganzoo.hub.config import CheckpointConfig, DatasetRecord
from ganzoo.hub.resolve import PRETRAINED_KINDS, parse_model_name


@pytest.fixture()
def place(tmp_path, monkeypatch):
    """A folder of odd things, as the current directory."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.png").write_bytes(b"\x89PNG")
    (tmp_path / "file.txt").write_text("x")
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"format": RUN_FORMAT, "format_version": 1}))
    bare_run = tmp_path / "bare-run"
    (bare_run / "checkpoints").mkdir(parents=True)
    checkpoint = tmp_path / "ckpt"
    checkpoint.mkdir()
    (checkpoint / "config.json").write_text(json.dumps({"format": CHECKPOINT_FORMAT}))
    other = tmp_path / "other-format"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"format": "something-else"}))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    return tmp_path


KINDS = [
    ("dcgan-fashion", "zoo", {"zoo": "dcgan-fashion"}),
    ("hf:ganzoo/dcgan-fashion", "hub", {"repo_id": "ganzoo/dcgan-fashion", "revision": None}),
    ("hf:ganzoo/dcgan-fashion@v1", "hub", {"repo_id": "ganzoo/dcgan-fashion", "revision": "v1"}),
    ("./run", "run", {}),
    ("run", "run", {}),  # an existing folder needs no ./
    ("bare-run", "run", {}),  # checkpoints/ without config.json still says "run" (load_run explains)
    ("./ckpt", "checkpoint", {}),
    ("ckpt/", "checkpoint", {}),
]


@pytest.mark.parametrize("text, kind, fields", KINDS, ids=[k[0] for k in KINDS])
def test_each_kind_of_name(place, text, kind, fields):
    name = parse_model_name(text)
    assert name.kind == kind and name.text == text
    for key, value in fields.items():
        assert getattr(name, key) == value
    if kind in ("run", "checkpoint"):
        assert name.path is not None and name.path.is_dir()


ERRORS = [
    ("hf:ownér/repo", UsageError, "bad Hub name 'hf:ownér/repo'"),
    ("hf:owner/repo@", UsageError, "empty revision"),
    ("hf:owner", UsageError, "bad Hub name"),
    ("", UsageError, "empty model name"),
    ("owner/repo", UsageError, "for a Hub repo write 'hf:owner/repo'"),
    ("./missing", UsageError, "no such folder"),
    ("./file.txt", UsageError, "is a file, not a checkpoint folder or a training run"),
    ("./images", CheckpointError, "neither a checkpoint folder nor a training run"),
    ("./other-format", CheckpointError, "neither a ganzoo checkpoint nor a run config"),
    ("./broken", CheckpointError, "is not valid JSON"),
    ("~nouser-ganzoo-test/x", UsageError, "there is no user 'nouser-ganzoo-test' on this machine"),
]


@pytest.mark.parametrize("text, error, words", ERRORS, ids=[e[0] or "empty" for e in ERRORS])
def test_odd_names_are_one_line_errors(place, text, error, words):
    with pytest.raises(error, match=words) as info:
        parse_model_name(text)
    assert "\n" not in str(info.value) and isinstance(info.value, GanzooError)


def test_a_command_that_takes_checkpoints_only_refuses_a_run_with_the_way_that_works(place):
    with pytest.raises(UsageError, match="is a training run, not a checkpoint folder.*ganzoo export"):
        parse_model_name("./run", accept=PRETRAINED_KINDS)
    with pytest.raises(CheckpointError, match="is not a ganzoo checkpoint"):
        parse_model_name("./images", accept=PRETRAINED_KINDS)
    with pytest.raises(UsageError, match="is a file, not a checkpoint folder"):
        parse_model_name("./file.txt", accept=PRETRAINED_KINDS)


def test_a_command_that_takes_runs_only_refuses_models_and_keeps_its_words(place):
    with pytest.raises(UsageError, match="is a checkpoint folder, not a training run.*ganzoo pretrained"):
        parse_model_name("./ckpt", accept=("run",))
    with pytest.raises(UsageError, match="is a Hub model, not a training run"):
        parse_model_name("hf:owner/repo", accept=("run",))
    for missing in ("./nothing", "nothing", "/nonexistent/run"):  # a run is a folder: no zoo guess
        with pytest.raises(CheckpointError, match="no run directory at"):
            parse_model_name(missing, accept=("run",))
    with pytest.raises(CheckpointError, match="not a ganzoo run directory"):
        parse_model_name("./images", accept=("run",))
    assert parse_model_name("run", accept=("run",)).kind == "run"


def test_the_cli_gives_the_resolvers_words(place):
    from click.testing import CliRunner

    from ganzoo.cli import build_cli

    result = CliRunner().invoke(build_cli(), ["pretrained", "./run", "info"])
    assert result.exit_code == 2 and "is a training run, not a checkpoint folder" in result.output
    result = CliRunner().invoke(build_cli(), ["sample", "./ckpt", "--ema", "-o", str(place / "s.png")])
    assert result.exit_code == 2 and "but ./ckpt is a checkpoint folder; drop it" in result.output
    result = CliRunner().invoke(build_cli(), ["translate", "./images", "images/a.png", "-o", str(place / "o.png")])
    assert result.exit_code == 1 and "neither a checkpoint folder nor a training run" in result.output


# -- the typed config's dataset: a name or a table, told apart once ---------------------------------------
@pytest.mark.parametrize("recorded, name, split, options", [
    (None, None, None, None),
    ("fashion-mnist", "fashion-mnist", None, None),
    ({"name": "fashion-mnist", "split": "train", "options": {"limit": 5}}, "fashion-mnist", "train", {"limit": 5}),
    ({"name": "edges2fashion"}, "edges2fashion", None, None),
])
def test_the_recorded_dataset_is_one_property(recorded, name, split, options):
    config = CheckpointConfig.parse({"format": CHECKPOINT_FORMAT, "architecture": {"name": "dcgan"},
                                     "training": {"dataset": recorded}}, Path("config.json"))
    assert config.dataset_name == name
    if name is None:
        assert config.dataset is None and DatasetRecord.of(recorded) is None
    else:
        assert (config.dataset.split, config.dataset.options) == (split, options)
