"""The command line: list, info, plugins, --version, help examples, errors and exit codes.

Most tests use click's CliRunner; where the exit code, stderr or the imported modules are the
point, a real ``python -m ganzoo`` subprocess runs instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest
from cli_probe import probe, top_level_in
from click.testing import CliRunner

from ganzoo import __version__, hookimpl
from ganzoo.cli import build_cli
from ganzoo.errors import CheckpointError, UsageError
from ganzoo.plugins import get_manager, get_registry


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # no truncated summaries


def invoke(*args: str, **env: str):
    return CliRunner().invoke(build_cli(), list(args), env=env or None)


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m ganzoo ARGS`` with every installed plugin, unless ``env`` says otherwise."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("GANZOO_")}
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True,
                          env={**base, **env}, timeout=60)


# -- version and help ------------------------------------------------------------------------------


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.output.strip() == f"ganzoo, version {__version__}"
    assert invoke("-V").output == result.output


def _all_commands(group: click.Group, path: tuple[str, ...] = ()):
    """(argv path, command) for every command; a group's own arguments get a sample value."""
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            arguments = tuple("NAME" for p in command.params if isinstance(p, click.Argument))
            yield from _all_commands(command, (*path, name, *arguments))


def test_every_command_help_has_an_example():
    commands = list(_all_commands(build_cli()))
    assert {"list", "info", "plugins"} <= {path[0] for path, _ in commands}
    root = invoke("--help")
    assert root.exit_code == 0 and "Examples:" in root.output
    for path, _ in commands:
        result = invoke(*path, "--help")
        assert result.exit_code == 0, (path, result.output)
        shown = " ".join(word for word in path if word != "NAME")
        assert "Examples:" in result.output and f"ganzoo {shown}" in result.output.replace(" NAME", ""), path


# -- list --------------------------------------------------------------------------------------------


def test_list_groups_every_registry_with_aligned_columns():
    result = invoke("list")
    assert result.exit_code == 0
    out = result.output
    regularisers = get_registry("regularisers").specs()
    assert f"regularisers ({len(regularisers)})" in out and "architectures (" in out and "datasets (" in out
    assert out.index("architectures (") < out.index("losses (") < out.index("regularisers (")
    lines = {s.name: next(row for row in out.splitlines() if row.startswith(f"  {s.name} ")) for s in regularisers}
    summary_at = {lines[s.name].index(s.summary[:40]) for s in regularisers}
    weight_at = {lines[s.name].index("weight ", len(s.summary[:40])) for s in regularisers}
    plugin_at = {lines[s.name].rindex(s.plugin) for s in regularisers}
    assert len(summary_at) == len(weight_at) == len(plugin_at) == 1  # one column each


@pytest.mark.parametrize(
    ("args", "present", "absent"),
    [
        (["list", "losses"], ["hinge", "wasserstein"], ["vanilla", "architectures (", "r1"]),
        (["list", "loss"], ["hinge"], ["vanilla"]),  # singular kinds work too
        (["list", "losses", "*gan"], ["lsgan"], ["hinge"]),
        (["list", "*-*"], ["non-saturating", "gradient-penalty"], ["hinge", "vanilla"]),  # PATTERN alone
        (["list", "--tag", "penalty"], ["gradient-penalty", "r1"], ["hinge"]),
        (["list", "architectures", "--tag", "mlp"], ["vanilla"], ["hinge"]),
    ],
)
def test_list_filters(args, present, absent):
    result = invoke(*args)
    assert result.exit_code == 0
    names = {line.split()[0] for line in result.output.splitlines() if line.startswith("  ")}
    for name in present:
        assert name in names
    for text in absent:
        assert text not in names and not result.output.startswith(text)


def test_list_says_when_nothing_matches():
    assert invoke("list", "losses", "zz*").output.strip().endswith("(none matching 'zz*')")
    assert invoke("list", "zz*").output.strip() == "nothing matches 'zz*'"
    assert invoke("list", "--tag", "nope").output.strip() == "nothing matches tag 'nope'"


def test_list_json_is_valid_and_complete():
    result = invoke("list", "--json")
    data = json.loads(result.stdout)
    assert set(data) == {"architectures", "losses", "regularisers", "datasets", "metrics", "features", "pretrained"}
    vanilla = next(e for e in data["architectures"] if e["name"] == "vanilla")
    assert vanilla["plugin"] == "vanilla" and vanilla["plugin_distribution"] == "ganzoo"
    assert vanilla["plugin_version"] == __version__ and vanilla["metadata"]["task"] == "unconditional"
    only = json.loads(invoke("list", "regularisers", "--tag", "penalty", "--json").stdout)
    assert [e["name"] for e in only["regularisers"]] == ["gradient-penalty", "r1"] and list(only) == ["regularisers"]


def test_list_rejects_a_bad_kind_with_a_pattern():
    result = invoke("list", "models", "*")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == "ganzoo: error: unknown kind 'models'; choose one of: architectures, losses, regularisers, datasets, metrics, features, pretrained\n"


# -- info ---------------------------------------------------------------------------------------------


def test_info_of_an_architecture():
    result = invoke("info", "vanilla")
    assert result.exit_code == 0
    out = result.output
    assert out.startswith("vanilla  (architecture)\n  Vanilla GAN")
    assert f"vanilla (from ganzoo {__version__})" in out
    assert "task         unconditional" in out and "image_sizes  28, 32, 64" in out
    assert "parameters" in out
    assert any(line.split()[:3] == ["latent_dim", "=", "100"] for line in out.splitlines())


def test_info_json_lists_parameters_with_defaults():
    data = json.loads(invoke("info", "vanilla", "--json").stdout)
    params = {p["name"]: p for p in data["parameters"]}
    assert params["latent_dim"]["default"] == 100 and params["latent_dim"]["type"] == "int"
    assert params["image_size"]["required"] is False
    assert data["plugin_version"] == __version__ and data["plugin_distribution"] == "ganzoo"
    assert data["metadata"]["image_sizes"] == [28, 32, 64]


def test_info_of_a_loss_with_kind():
    data = json.loads(invoke("info", "gradient-penalty", "--kind", "regularisers", "--json").stdout)
    assert data["kind"] == "regularisers" and data["metadata"]["default_weight"] == 10.0
    assert data["parameters"] == [{"name": "weight", "default": 10.0, "required": False, "type": "float"}]


def test_info_typo_is_a_usage_error_with_a_suggestion():
    result = invoke("info", "vanila")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == "ganzoo: error: unknown architecture 'vanila'; did you mean 'vanilla'?\n"
    wrong_kind = invoke("info", "vanilla", "--kind", "losses")
    assert wrong_kind.exit_code == 2 and "unknown loss 'vanilla'" in wrong_kind.stderr


class BrokenTarget:
    @hookimpl
    def register_architectures(self, register):
        register("broken-target", "no_such_module_xyz:build", summary="Points nowhere", metadata={"task": "x"})


def test_info_still_shows_an_entry_whose_code_is_broken():
    get_manager().add_plugin(BrokenTarget(), "broken-target-plugin")
    result = invoke("info", "broken-target")
    assert result.exit_code == 0
    assert "Points nowhere" in result.output and "parameters: unavailable (plugin 'broken-target-plugin'" in result.output


# -- plugins ----------------------------------------------------------------------------------------


def test_plugins_lists_builtins():
    result = invoke("plugins")
    assert result.exit_code == 0
    assert f"vanilla  [ok]  ganzoo {__version__}, built-in, module ganzoo_vanilla.plugin" in result.output
    assert "  architectures: vanilla" in result.output
    data = json.loads(invoke("plugins", "--json").stdout)
    losses = next(p for p in data if p["name"] == "losses")
    assert losses["status"] == "ok" and losses["builtin"] and "hinge" in losses["registered"]["losses"]


# -- errors: one line, exit code, traceback only when debugging ------------------------------------------


class ErrorCommands:
    @hookimpl
    def register_commands(self, cli):
        @cli.command("boom-usage")
        def boom_usage():
            raise UsageError("that option cannot mean anything;\nuse another")

        @cli.command("boom-failure")
        def boom_failure():
            raise CheckpointError("the checkpoint is corrupt; retrain")

        @cli.command("boom-bug")
        def boom_bug():
            raise ZeroDivisionError("division by zero")


@pytest.mark.parametrize(
    ("command", "code", "line"),
    [
        ("boom-usage", 2, "ganzoo: error: that option cannot mean anything; use another"),
        ("boom-failure", 1, "ganzoo: error: the checkpoint is corrupt; retrain"),
        ("boom-bug", 1, "ganzoo: internal error: ZeroDivisionError: division by zero (rerun with --debug for the "
                        "traceback, and please report it)"),
    ],
)
def test_errors_are_one_line_with_an_exit_code(command, code, line):
    get_manager().add_plugin(ErrorCommands(), "errors")
    result = invoke(command)
    assert result.exit_code == code and result.stderr == line + "\n" and result.stdout == ""


@pytest.mark.parametrize("how", ["flag", "env"])
def test_debug_shows_the_real_exception(how):
    get_manager().add_plugin(ErrorCommands(), "errors")
    result = invoke("--debug", "boom-bug") if how == "flag" else invoke("boom-bug", GANZOO_DEBUG="1")
    assert isinstance(result.exception, ZeroDivisionError)
    assert "internal error" not in result.stderr


@pytest.mark.parametrize(
    ("args", "start", "where"),
    [
        (["--bogus"], "No such option", "ganzoo"),
        (["nope"], "No such command 'nope'", "ganzoo"),
        (["list", "--bogus"], "No such option", "ganzoo list"),
        (["info"], "Missing argument 'NAME'", "ganzoo info"),
        (["info", "x", "--kind", "models"], "Invalid value for '--kind'", "ganzoo info"),
    ],
)
def test_click_usage_errors_are_one_line_too(args, start, where):
    result = invoke(*args)
    assert result.exit_code == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"ganzoo: error: {start}") and line.endswith(f"; see '{where} --help'")


def test_errors_in_a_real_process():
    proc = run("info", "vanila")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == "ganzoo: error: unknown architecture 'vanila'; did you mean 'vanilla'?\n"
    proc = run("list", "--bogus")
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr
    debug = run("--debug", "info", "vanila")
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "UnknownNameError" in debug.stderr


# -- listing is cheap: no torch ------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["list"], ["--help"], ["list", "--json"], ["plugins"], ["list", "--help"],
                                  ["demo", "--help"], ["interpolate", "--help"], ["space", "--help"]],
                         ids=" ".join)
def test_listing_never_imports_torch(args):
    code, modules, proc = probe(*args)  # every installed plugin loads
    heavy = top_level_in(modules, ("torch", "torchvision", "gradio", "gradio_client", "imageio", "playwright"))
    assert code in (0, None), proc.stderr
    assert heavy == [], f"'ganzoo {' '.join(args)}' imported {heavy[:5]}"


@pytest.mark.parametrize("args", [["list"], ["--version"]], ids=" ".join)
def test_listing_imports_only_what_it_prints(args):
    """Start-up is the budget of the commands people run most (docs/performance.md): no hashing or
    traceback machinery is imported until a file is verified or a plugin fails."""
    code, modules, proc = probe(*args)
    assert code in (0, None), proc.stderr
    assert top_level_in(modules, ("hashlib", "traceback")) == []
