"""Checks on the CLI commands a plugin adds through ``register_commands``."""

from __future__ import annotations

from typing import Any

from ganzoo.testing.framework import CheckContext, conformance_check
from ganzoo.testing.framework import expect as _expect


def plugin_commands(plugin_names: set[str] | None) -> dict[str, tuple[str, Any]]:
    """``{command name: (plugin, click command)}`` for the commands plugins add (``None``: every plugin)."""
    import click

    from ganzoo.plugins import get_manager

    manager = get_manager()
    found: dict[str, tuple[str, Any]] = {}
    for impl in manager.pm.hook.register_commands.get_hookimpls():
        name = manager.pm.get_name(impl.plugin) or "?"
        if plugin_names is not None and name not in plugin_names:
            continue
        group = click.Group("ganzoo")
        impl.function(cli=group)
        for command, obj in group.commands.items():
            found.setdefault(command, (name, obj))
    return found


@conformance_check("commands", "help")
def _help_exits_zero(ctx: CheckContext) -> None:
    """``ganzoo COMMAND --help`` prints help and exits 0 (importing only what the command needs)."""
    import click
    from click.testing import CliRunner

    command = ctx.command
    _expect(isinstance(command, click.Command),
            f"register_commands added {type(command).__name__}, not a click command")
    group = click.Group("ganzoo")
    group.add_command(command, ctx.name)
    result = CliRunner().invoke(group, [ctx.name, "--help"])
    _expect(result.exit_code == 0, f"'ganzoo {ctx.name} --help' exited {result.exit_code}: "
            f"{(result.output or repr(result.exception)).strip()[-300:]}")
    _expect("Usage:" in result.output, f"'ganzoo {ctx.name} --help' printed no usage line")
