"""Family training defaults: TrainConfig < family train_defaults < --config file < command line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ganzoo import hookimpl
from ganzoo.cli import build_cli
from ganzoo.errors import PluginError, UnknownNameError
from ganzoo.plugins import get_manager
from ganzoo.train.config import TrainConfig, arch_train_defaults

pytestmark = pytest.mark.usefixtures("one_thread")

WGAN_GP = {"loss": "wasserstein", "regularisers": {"gradient-penalty": 10.0}, "n_critic": 5,
           "lr_g": 1e-4, "lr_d": 1e-4, "betas": (0.5, 0.9)}
TINY = ["--dataset", "fake", "--data", "length=16", "--set", "base_channels=4", "--set", "latent_dim=8",
        "-b", "4", "--max-steps", "2", "--precision", "fp32", "--quiet", "--log-every", "1", "--samples", "4"]


def ganzoo(*args: str):
    return CliRunner().invoke(build_cli(), list(args))


def effective(config: TrainConfig) -> dict:
    return {key: getattr(config, key) for key in WGAN_GP}


def saved_train(out) -> dict:
    return json.loads((out / "config.json").read_text())["train"]


# -- Python -------------------------------------------------------------------------------------------
def test_for_arch_applies_the_family_defaults_and_options_win():
    assert effective(TrainConfig.for_arch("wgan-gp", "fake")) == WGAN_GP
    config = TrainConfig.for_arch("wgan-gp", "fake", n_critic=2, reg={"r1": 1.0}, max_steps=7)
    assert (config.n_critic, config.regularisers, config.loss, config.max_steps) == (2, {"r1": 1.0}, "wasserstein", 7)


def test_the_plain_constructor_and_families_without_defaults_keep_the_engine_defaults():
    plain = TrainConfig("wgan-gp", "fake")
    assert (plain.loss, plain.n_critic, plain.betas) == ("non-saturating", 1, (0.5, 0.999))
    assert TrainConfig.for_arch("dcgan", "fake") == TrainConfig("dcgan", "fake")
    assert arch_train_defaults("dcgan") == {} and arch_train_defaults("") == {}
    with pytest.raises(UnknownNameError, match="did you mean 'wgan-gp'"):
        arch_train_defaults("wgan-pg")


def test_defaults_are_copies_not_the_registrys_own_tables():
    config = TrainConfig.for_arch("wgan-gp", "fake")
    config.regularisers["r1"] = 1.0
    assert arch_train_defaults("wgan-gp")["regularisers"] == {"gradient-penalty": 10.0}


# -- the command line ---------------------------------------------------------------------------------
def test_ganzoo_train_applies_the_family_defaults(tmp_path):
    out = tmp_path / "run"
    result = ganzoo("train", "wgan-gp", *TINY, "--out", str(out))
    assert result.exit_code == 0, result.output
    train = saved_train(out)
    assert {k: train[k] for k in WGAN_GP} == {**WGAN_GP, "betas": [0.5, 0.9]}
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert all("wasserstein" in line and "d_penalty" in line for line in lines)


def test_command_line_and_config_file_override_the_family_defaults(tmp_path):
    config = tmp_path / "train.toml"
    config.write_text('n_critic = 3\nlr_d = 0.0003\n[reg]\nr1 = 2.0\n')
    out = tmp_path / "run"
    result = ganzoo("train", "wgan-gp", *TINY, "--config", str(config), "--n-critic", "2", "--loss", "hinge",
                    "--betas", "0.0,0.9", "--out", str(out))
    assert result.exit_code == 0, result.output
    train = saved_train(out)
    assert train["n_critic"] == 2 and train["loss"] == "hinge" and train["betas"] == [0.0, 0.9]  # command line
    assert train["lr_d"] == 3e-4 and train["regularisers"] == {"r1": 2.0}  # config file over family
    assert train["lr_g"] == 1e-4  # family over TrainConfig


def test_reg_none_drops_the_familys_penalty(tmp_path):
    out = tmp_path / "run"
    result = ganzoo("train", "wgan-gp", *TINY, "--reg", "none", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert saved_train(out)["regularisers"] == {}
    assert all("d_penalty" not in json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines())


def test_resume_keeps_the_saved_values_not_the_family_defaults(tmp_path):
    out = tmp_path / "run"
    assert ganzoo("train", "wgan-gp", *TINY, "--n-critic", "2", "--out", str(out)).exit_code == 0
    result = ganzoo("train", "--resume", "--out", str(out), "--max-steps", "3")
    assert result.exit_code == 0, result.output
    train = saved_train(out)
    assert train["n_critic"] == 2 and train["max_steps"] == 3 and train["loss"] == "wasserstein"


def test_help_and_info_show_the_defaults():
    assert "families bring their own training defaults" in " ".join(ganzoo("train", "--help").output.split())
    text = ganzoo("info", "wgan-gp").output
    assert "training defaults" in text and "--n-critic  5" in text and "gradient-penalty=10" in text
    assert "--betas     0.5,0.9" in text
    data = json.loads(ganzoo("info", "wgan-gp", "--json").output)
    assert data["train_defaults"] == {**WGAN_GP, "betas": [0.5, 0.9]}
    assert "training defaults" not in ganzoo("info", "dcgan").output


# -- a plugin with broken defaults --------------------------------------------------------------------
class BrokenDefaults:
    @hookimpl
    def register_architectures(self, register):
        register("odd-gan", "ganzoo_vanilla.models:VanillaGAN", summary="Defaults with a typo",
                 metadata={"task": "unconditional", "train_defaults": {"n_critc": 5}})
        register("greedy-gan", "ganzoo_vanilla.models:VanillaGAN", summary="Defaults that pick the output",
                 metadata={"task": "unconditional", "train_defaults": {"out": "/tmp/x"}})
        register("typo-gan", "ganzoo_vanilla.models:VanillaGAN", summary="Defaults with a misspelt penalty",
                 metadata={"task": "unconditional", "train_defaults": {"regularisers": {"gradient-penalyt": 10}}})


@pytest.fixture
def broken_plugin():
    get_manager().add_plugin(BrokenDefaults(), "broken-defaults")


def test_broken_defaults_do_not_break_listing_but_stop_training(broken_plugin, tmp_path):
    listed = ganzoo("list", "architectures")
    assert listed.exit_code == 0 and "odd-gan" in listed.output
    info = ganzoo("info", "odd-gan")
    assert info.exit_code == 0 and "training defaults: unusable" in info.output and "n_critc" in info.output
    assert "train_defaults_error" in json.loads(ganzoo("info", "odd-gan", "--json").output)
    for name, words in (("odd-gan", "unknown option(s) n_critc"), ("greedy-gan", "set out"),
                        ("typo-gan", "unknown regulariser 'gradient-penalyt'; did you mean 'gradient-penalty'?")):
        result = ganzoo("train", name, "--dataset", "fake", "--max-steps", "1", "--out", str(tmp_path / name))
        assert result.exit_code == PluginError.exit_code
        line = result.output.strip()
        assert len(line.splitlines()) == 1 and "plugin 'broken-defaults'" in line and words in line, line
        assert not (tmp_path / name).exists()
