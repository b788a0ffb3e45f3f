"""Plugin loading: isolation, rollback, clashes and the GANZOO_*_PLUGINS switches.

Two ways in: in-process plugin objects (``PluginManager.add_plugin``) for the fine detail, and
fake distributions -- real ``*.dist-info`` folders with entry points -- loaded both in this process
and by a ``ganzoo`` subprocess, where exit codes and stderr are what users see.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from plugin_fixtures import FAKE_PLUGINS, FIXTURES_DIR, install_fakes, write_distribution

from ganzoo import hookimpl
from ganzoo.cli import build_cli
from ganzoo.errors import PluginError
from ganzoo.plugins import PluginManager, get_manager, get_registry, reset_manager

BUILTINS = {"losses", "vanilla", "datasets"}


# -- in-process plugin objects ---------------------------------------------------------------------


class Good:
    @hookimpl
    def register_architectures(self, register):
        register("inproc-gan", "ganzoo_vanilla.models:VanillaGAN", summary="In-process GAN", tags=["x"])

    @hookimpl
    def register_losses(self, register):
        register("inproc-loss", "ganzoo_losses.losses:Hinge", summary="In-process loss")


class RaisesInSecondHook:
    """Its architectures hook succeeds, its losses hook raises: both must be rolled back."""

    @hookimpl
    def register_architectures(self, register):
        register("second-hook-gan", "ganzoo_vanilla.models:VanillaGAN", summary="Rolled back")

    @hookimpl
    def register_losses(self, register):
        register("second-hook-loss", "ganzoo_losses.losses:Hinge", summary="Rolled back")
        raise KeyError("boom")


class BadName:
    @hookimpl
    def register_architectures(self, register):
        register("ok-name", "ganzoo_vanilla.models:VanillaGAN", summary="Rolled back")
        register("Bad Name", "ganzoo_vanilla.models:VanillaGAN", summary="Invalid")


class WrongSignature:
    @hookimpl
    def register_architectures(self, reg):  # the spec's argument is called "register"
        reg("wrong-signature", "ganzoo_vanilla.models:VanillaGAN", summary="Never")


class ClashesWithBuiltin:
    @hookimpl
    def register_losses(self, register):
        register("hinge", "ganzoo_losses.losses:Wasserstein", summary="Impostor")
        register("own-loss", "ganzoo_losses.losses:Hinge", summary="Mine")


def test_builtins_load_first_as_plugins_of_the_ganzoo_distribution():
    manager = get_manager()
    names = list(manager.plugins)
    assert set(names) >= BUILTINS
    for name in BUILTINS:
        info = manager.plugins[name]
        assert info.builtin and info.distribution == "ganzoo" and info.version and info.status == "ok"
    assert manager.plugins["vanilla"].registered == {"architectures": ["vanilla"]}
    assert get_registry("architectures").get("vanilla").plugin == "vanilla"
    assert not manager.failures()


def test_add_plugin_registers_entries_under_the_plugin_name():
    info = get_manager().add_plugin(Good(), "good-inproc", distribution="good-dist", version="2.0")
    assert info.status == "ok" and info.hooks == ["register_architectures", "register_losses"]
    assert info.registered == {"architectures": ["inproc-gan"], "losses": ["inproc-loss"]}
    spec = get_registry("architectures").get("inproc-gan")
    assert (spec.plugin, spec.tags, spec.summary) == ("good-inproc", ("x",), "In-process GAN")


@pytest.mark.parametrize(
    ("plugin", "stage", "gone"),
    [
        (RaisesInSecondHook(), "a hook raised: KeyError", ["second-hook-gan", "second-hook-loss"]),
        (BadName(), "a hook raised: UsageError: invalid architecture name 'Bad Name'", ["ok-name"]),
        (WrongSignature(), "invalid plugin: PluginValidationError", ["wrong-signature"]),
    ],
    ids=["raises-in-second-hook", "invalid-name", "wrong-signature"],
)
def test_a_failing_plugin_is_reported_and_rolled_back(plugin, stage, gone, capsys):
    manager = get_manager()
    info = manager.add_plugin(plugin, "faulty")
    assert info.status == "failed" and info.error.startswith(stage)
    assert info.registered == {} and "Traceback" in info.details
    for name in gone:
        assert name not in get_registry("architectures") and name not in get_registry("losses")
    assert manager.pm.get_plugin("faulty") is None  # no hook of it stays registered
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ganzoo: plugin 'faulty' failed (") and "ganzoo plugins" in err[0]
    assert "vanilla" in get_registry("architectures")  # the rest keeps working


def test_a_clash_keeps_the_first_entry_and_names_both_plugins(capsys):
    info = get_manager().add_plugin(ClashesWithBuiltin(), "impostor")
    assert get_registry("losses").get("hinge").plugin == "losses"
    assert get_registry("losses").get("own-loss").plugin == "impostor"
    assert info.status == "ok" and info.registered == {"losses": ["own-loss"]}
    message = "loss 'hinge' from plugin 'impostor' is ignored: plugin 'losses' registered it first"
    assert info.clashes == [message]
    assert capsys.readouterr().err.strip() == f"ganzoo: {message}"


def test_between_third_party_plugins_the_first_loaded_wins(capsys):
    manager = get_manager()
    manager.add_plugin(Good(), "first")
    second = manager.add_plugin(Good(), "second")
    assert get_registry("architectures").get("inproc-gan").plugin == "first"
    assert len(second.clashes) == 2 and all("plugin 'first' registered it first" in c for c in second.clashes)


def test_strict_mode_reraises_naming_the_plugin(monkeypatch):
    monkeypatch.setenv("GANZOO_STRICT_PLUGINS", "1")
    manager = PluginManager()
    with pytest.raises(PluginError, match=r"plugin 'faulty' failed: a hook raised: KeyError"):
        manager.add_plugin(RaisesInSecondHook(), "faulty")
    assert "second-hook-gan" not in manager.registries["architectures"]


def test_trace_mode_prints_every_hook_call_and_registration(monkeypatch, capsys):
    monkeypatch.setenv("GANZOO_TRACE_PLUGINS", "1")
    get_manager()
    err = capsys.readouterr().err
    assert "ganzoo-trace: loading plugin 'vanilla' from ganzoo_vanilla.plugin" in err
    assert "ganzoo-trace: vanilla.register_architectures(register)" in err
    assert "ganzoo-trace:   architecture 'vanilla' -> ganzoo_vanilla.models:VanillaGAN" in err


def test_no_trace_output_by_default(capsys):
    get_manager()
    assert capsys.readouterr().err == ""


# -- commands from plugins ------------------------------------------------------------------------------


@click.command("shout")
def shout() -> None:
    """Shout."""
    click.echo("SHOUT")


@click.command("list")
def fake_list() -> None:
    click.echo("hijacked")


class AddsCommands:
    @hookimpl
    def register_commands(self, cli):
        cli.add_command(shout)
        cli.add_command(fake_list)


class CommandsRaise:
    @hookimpl
    def register_commands(self, cli):
        cli.add_command(click.Command("half-added"))
        raise RuntimeError("commands broke")


def test_plugin_commands_are_added_but_never_replace_builtins(capsys):
    manager = get_manager()
    info = manager.add_plugin(AddsCommands(), "commands")
    group = build_cli()
    assert "shout" in group.commands
    assert group.commands["list"].callback is not fake_list.callback
    assert info.clashes == ["command 'list' from plugin 'commands' is ignored: ganzoo itself defined it first"]
    assert "command 'list' from plugin 'commands' is ignored" in capsys.readouterr().err


def test_a_raising_register_commands_adds_nothing_and_is_reported(capsys):
    info = get_manager().add_plugin(CommandsRaise(), "bad-commands")
    group = build_cli()
    assert "half-added" not in group.commands and "list" in group.commands
    assert info.status == "failed" and info.error == "register_commands raised: RuntimeError: commands broke"
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "plugin 'bad-commands' failed" in err[0]


def test_build_cli_is_fresh_after_the_manager_is_reset():
    get_manager().add_plugin(AddsCommands(), "commands")
    assert "shout" in build_cli().commands
    reset_manager()
    assert "shout" not in build_cli().commands


# -- real entry points, loaded in this process ----------------------------------------------------------


@pytest.fixture
def fake_site(tmp_path, monkeypatch):
    """The fake distributions "installed" on sys.path, importable, no allow-list."""
    site = install_fakes(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(FIXTURES_DIR))
    monkeypatch.delenv("GANZOO_LOAD_PLUGINS", raising=False)
    yield site
    for module in [m for m in sys.modules if m.startswith("ganzoo_fake_")]:
        del sys.modules[module]


def test_entry_points_each_fail_in_their_own_way(fake_site, capsys):
    manager = get_manager()
    plugins = manager.plugins
    order = list(plugins)  # built-ins load first, so they win clashes
    assert max(order.index(b) for b in BUILTINS) < min(order.index(f) for f in FAKE_PLUGINS)
    assert plugins["broken-import"].error == "import failed: RuntimeError: this plugin is broken on purpose"
    assert plugins["unknown-hook"].error.startswith(
        "invalid plugin: PluginError: implements unknown hook(s) register_widgets"
    )
    assert plugins["halfway"].error == "a hook raised: ValueError: failed after registering two architectures"
    assert plugins["clash"].status == "ok" and plugins["good"].status == "ok"
    assert plugins["good"].distribution == "ganzoo-fake-good" and plugins["good"].version == "1.0"
    archs = get_registry("architectures")
    for gone in ("unknown-hook-arch", "halfway-one", "halfway-two"):
        assert gone not in archs
    assert archs.get("vanilla").plugin == "vanilla" and archs.get("clash-own").plugin == "clash"
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4  # three failures and one clash, one line each
    for name in ("broken-import", "unknown-hook", "halfway"):
        assert sum(f"plugin '{name}'" in line for line in err) == 1


def test_allow_list_empty_means_builtins_only(fake_site, monkeypatch, capsys):
    monkeypatch.setenv("GANZOO_LOAD_PLUGINS", "")
    manager = get_manager()
    assert set(manager.plugins) == {info.name for info in manager.plugins.values() if info.builtin}
    assert {info.name for info in manager.skipped} == set(FAKE_PLUGINS)
    assert all(info.status == "skipped" for info in manager.skipped)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("allow", ["good", "ganzoo-fake-good", "ganzoo_fake_good", " Ganzoo.Fake.Good , nope"])
def test_allow_list_matches_entry_point_or_distribution_names(fake_site, monkeypatch, allow):
    monkeypatch.setenv("GANZOO_LOAD_PLUGINS", allow)
    manager = get_manager()
    third_party = [name for name, info in manager.plugins.items() if not info.builtin]
    assert third_party == ["good"]
    assert "fake-good" in get_registry("architectures")


def test_a_plugin_calling_sys_exit_is_a_failure_not_an_exit(fake_site, monkeypatch):
    write_distribution(fake_site, "ganzoo-fake-exit", "1.0", {"exits": "ganzoo_fake_exit"})
    monkeypatch.setenv("GANZOO_LOAD_PLUGINS", "exits")
    assert get_manager().plugins["exits"].error == "import failed: SystemExit: 3"


# -- real entry points, seen by a ganzoo subprocess -------------------------------------------------------


def run_ganzoo(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ganzoo ARGS`` with the fake site on PYTHONPATH and exactly this environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("GANZOO_")}
    base["PYTHONPATH"] = os.pathsep.join([str(site), str(FIXTURES_DIR)])
    base["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True, env={**base, **env}, timeout=60
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return install_fakes(tmp_path_factory.mktemp("site"))


@pytest.mark.parametrize("args", [["list"], ["--help"], ["plugins"], ["list", "--json"]], ids=" ".join)
def test_cli_survives_broken_plugins(site, args):
    proc = run_ganzoo(site, *args)
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr.strip().splitlines()
    assert len(err) == 4 and "Traceback" not in proc.stderr
    for name in ("broken-import", "unknown-hook", "halfway"):
        assert sum(line.startswith(f"ganzoo: plugin '{name}' failed") for line in err) == 1
    assert any("'vanilla' from plugin 'clash' is ignored: plugin 'vanilla'" in line for line in err)
    if args == ["list", "--json"]:
        names = [entry["name"] for entry in json.loads(proc.stdout)["architectures"]]
        assert "clash-own" in names and "fake-good" in names and "halfway-one" not in names
    if args == ["--help"]:
        assert "hello" in proc.stdout  # the good plugin's command


def test_plugins_command_shows_the_details(site):
    proc = run_ganzoo(site, "plugins")
    out = proc.stdout
    assert "broken-import  [FAILED]  ganzoo-fake-broken-import 1.0, third-party" in out
    assert "error: import failed: RuntimeError: this plugin is broken on purpose" in out
    assert "raise RuntimeError" in out  # the traceback's last lines
    assert "clash: architecture 'vanilla' from plugin 'clash' is ignored" in out
    data = {p["name"]: p for p in json.loads(run_ganzoo(site, "plugins", "--json").stdout)}
    assert data["halfway"]["status"] == "failed" and data["halfway"]["registered"] == {}
    assert data["good"]["status"] == "ok" and data["good"]["registered"] == {"architectures": ["fake-good"]}


def test_strict_mode_is_one_line_and_exit_1(site):
    proc = run_ganzoo(site, "list", GANZOO_STRICT_PLUGINS="1")
    assert proc.returncode == 1 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("ganzoo: error: plugin 'broken-import' failed: import failed: RuntimeError")
    debug = run_ganzoo(site, "--debug", "list", GANZOO_STRICT_PLUGINS="1")
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_trace_mode_in_a_subprocess(site):
    proc = run_ganzoo(site, "list", "architectures", GANZOO_TRACE_PLUGINS="1", GANZOO_LOAD_PLUGINS="good")
    assert proc.returncode == 0
    assert "ganzoo-trace: good.register_architectures(register)" in proc.stderr
    assert "ganzoo-trace: good.register_commands(cli)" in proc.stderr
    assert "fake-good" in proc.stdout


def test_allow_list_in_a_subprocess(site):
    quiet = run_ganzoo(site, "list", GANZOO_LOAD_PLUGINS="")
    assert quiet.returncode == 0 and quiet.stderr == "" and "clash-own" not in quiet.stdout
    only_good = run_ganzoo(site, "hello", GANZOO_LOAD_PLUGINS="ganzoo-fake-good")
    assert only_good.returncode == 0 and only_good.stderr == ""
    assert only_good.stdout.strip() == "hello from ganzoo-fake-good"
