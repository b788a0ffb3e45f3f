"""Start-up: ``ganzoo --version`` and a built-in command import only what they need.

Timings belong to ``benchmarks/main_job.py``; these tests pin what makes them fast: which modules
a fresh interpreter imported.
"""

from __future__ import annotations

import importlib

import pytest
from cli_probe import probe as run_probe

from ganzoo.cli import COMMAND_HOMES, COMMAND_MODULES, main


def probe(*args: str) -> dict:
    code, modules, _ = run_probe(*args)
    mine = [m for m in modules if m.startswith(("ganzoo.cli.", "ganzoo_", "onnxruntime", "numpy", "PIL"))]
    return {"code": code, "modules": mine}


def test_every_built_in_command_has_its_home():
    defined = {command.name: module for module in COMMAND_MODULES
               for command in importlib.import_module(module).COMMANDS}
    assert defined == COMMAND_HOMES


def test_version_imports_no_command_and_no_plugin():
    found = probe("--version")
    assert found["code"] in (0, None)
    assert found["modules"] == []


@pytest.mark.parametrize("args, module, uses", [
    (["list"], "ganzoo.cli.listing", set()),
    (["--debug", "plugins"], "ganzoo.cli.listing", set()),
    (["pretrained", "dcgan-fashion", "info"], "ganzoo.cli.pretrained",
     {"ganzoo.cli.interpolate", "ganzoo.cli.sample"}),  # walk options; 'pretrained NAME sample' is 'sample NAME'
    (["sample", "--help"], "ganzoo.cli.sample", set()),
], ids=["list", "debug-plugins", "pretrained", "sample"])
def test_a_built_in_command_imports_its_own_module_only(args, module, uses):
    found = probe(*args)
    assert found["code"] in (0, None)
    commands = [m for m in found["modules"] if m.startswith("ganzoo.cli.")]
    assert module in commands
    assert set(commands) & set(COMMAND_MODULES) == {module, *uses}, commands
    assert any(m.startswith("ganzoo_") for m in found["modules"])  # the plugins still load


def test_help_and_unknown_commands_still_see_every_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code in (0, None)
    shown = capsys.readouterr().out
    assert all(f"  {name}" in shown for name in COMMAND_HOMES)
    with pytest.raises(SystemExit) as exit_info:
        main(["lsit"])
    assert exit_info.value.code == 2 and "list" in capsys.readouterr().err
