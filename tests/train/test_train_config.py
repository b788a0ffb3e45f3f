"""TrainConfig: one option set for the CLI, config files and the Python API (no torch needed)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ganzoo.errors import UsageError
from ganzoo.train.config import TrainConfig, check_resumable, parse_betas, parse_pairs, parse_value


def test_defaults_are_the_dcgan_recipe():
    cfg = TrainConfig("vanilla", "fake")
    assert (cfg.optimizer, cfg.lr_g, cfg.lr_d, cfg.betas) == ("adam", 2e-4, 2e-4, (0.5, 0.999))
    assert cfg.loss == "non-saturating" and cfg.ema_decay == 0 and cfg.precision == "auto"


def test_round_trip_through_json():
    cfg = TrainConfig("vanilla", "fake", arch_options={"hidden": [32, 64]}, regularisers={"r1": 1.0},
                      betas=(0.0, 0.9), max_steps=7)
    again = TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg


@pytest.mark.parametrize("text, value", [("3", 3), ("0.5", 0.5), ("[32, 64]", [32, 64]), ("true", True),
                                         ("frog", "frog"), ("a,b", "a,b"), ('"7"', "7")])
def test_values_parse_as_json_when_they_can(text, value):
    assert parse_value(text) == value


def test_pairs_and_betas():
    assert parse_pairs(["latent_dim=64", "hidden=[8,16]", "name=x=y"], "--set") == {
        "latent_dim": 64, "hidden": [8, 16], "name": "x=y"}
    assert parse_pairs(["gradient-penalty=10", "r1"], "--reg", numeric=True) == {"gradient-penalty": 10, "r1": None}
    assert parse_betas("0.5,0.99") == (0.5, 0.99)
    for bad in (lambda: parse_pairs(["nokey"], "--set"), lambda: parse_pairs(["r1=big"], "--reg", numeric=True),
                lambda: parse_betas("0.5"), lambda: parse_betas("a,b")):
        with pytest.raises(UsageError):
            bad()


@pytest.mark.parametrize("changes", [{"batch_size": 0}, {"optimizer": "sgd"}, {"precision": "fp8"},
                                     {"ema_decay": 1.0}, {"lr_g": -1.0}, {"betas": (0.5, 1.5)},
                                     {"resume": True, "overwrite": True}, {"max_steps": 0}])
def test_nonsense_is_a_usage_error(changes):
    with pytest.raises(UsageError):
        TrainConfig("vanilla", "fake", **changes)


def test_config_files_json_and_toml_with_cli_spellings(tmp_path):
    toml = tmp_path / "train.toml"
    toml.write_text('arch = "vanilla"\ndataset = "fake"\nlr-g = 0.001\nmax_steps = 9\n'
                    '[set]\nhidden = [32, 64]\n[data]\nlength = 32\n[reg]\nr1 = 2.0\n')
    cfg = TrainConfig.from_file(toml, overrides={"max_steps": 3})
    assert (cfg.lr_g, cfg.max_steps, cfg.arch_options, cfg.data_options, cfg.regularisers) == (
        0.001, 3, {"hidden": [32, 64]}, {"length": 32}, {"r1": 2.0})
    js = tmp_path / "train.json"
    js.write_text(json.dumps({"arch": "vanilla", "dataset": "fake", "batch-size": 8}))
    assert TrainConfig.from_file(js).batch_size == 8


def test_bad_config_files_say_what_is_wrong(tmp_path):
    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps({"arch": "vanilla", "lr_gg": 0.1}))
    with pytest.raises(UsageError, match="did you mean lr_g"):
        TrainConfig.from_file(typo)
    broken = tmp_path / "broken.toml"
    broken.write_text("arch = \n")
    with pytest.raises(UsageError, match="not valid TOML"):
        TrainConfig.from_file(broken)
    with pytest.raises(UsageError, match="cannot read"):
        TrainConfig.from_file(tmp_path / "missing.json")


def test_resume_refuses_to_change_what_is_trained():
    saved = TrainConfig("vanilla", "fake", max_steps=10)
    check_resumable(saved, saved.replace(max_steps=20, sample_every=5, quiet=True))  # budget may change
    with pytest.raises(UsageError, match="batch_size: 64 -> 32"):
        check_resumable(saved, saved.replace(batch_size=32))


def test_importing_the_config_and_cli_modules_needs_no_torch():
    code = ("import sys, ganzoo.train, ganzoo.train.config, ganzoo.cli.train, ganzoo.cli.sample;"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
