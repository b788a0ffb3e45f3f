"""The ``ganzoo`` command line.

Each command group lives in its own module and imports torch only inside the function that needs
it, so ``ganzoo --help`` and ``ganzoo list`` stay fast. Errors a user can cause
(:class:`ganzoo.errors.GanzooError`) become one line on stderr with exit code 2 (usage) or 1
(failure); ``--debug`` or ``GANZOO_DEBUG=1`` shows the traceback instead.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from ganzoo import __version__
from ganzoo.errors import GanzooError


def _debug_enabled(ctx: click.Context | None = None) -> bool:
    if os.environ.get("GANZOO_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}:
        return True
    return bool(ctx is not None and ctx.obj and ctx.obj.get("debug"))


class GanzooGroup(click.Group):
    """A click group that turns ganzoo's errors into one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GanzooError as exc:
            if _debug_enabled(ctx):
                raise
            click.echo(f"ganzoo: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("ganzoo: interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:  # a bug: keep it one line unless debugging
            if _debug_enabled(ctx):
                raise
            click.echo(
                f"ganzoo: internal error: {type(exc).__name__}: {exc} "
                f"(rerun with --debug for the traceback, and please report it)",
                err=True,
            )
            ctx.exit(1)


@click.group(cls=GanzooGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="ganzoo")
@click.option("--debug", is_flag=True, help="Show full tracebacks (same as GANZOO_DEBUG=1).")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """ganzoo: a plugin-based GAN model zoo.

    \b
    Examples:
      ganzoo list                         what every registry holds
      ganzoo info dcgan                   parameters and facts of one entry
      ganzoo plugins                      installed plugins and their errors
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


#: Modules holding built-in commands; each exports ``COMMANDS`` and imports no torch at import.
COMMAND_MODULES: tuple[str, ...] = ("ganzoo.cli.listing",)


def _add_builtin_commands(group: click.Group) -> None:
    import importlib

    for module_name in COMMAND_MODULES:
        for command in importlib.import_module(module_name).COMMANDS:
            group.add_command(command)


def build_cli() -> click.Group:
    """The top-level group with built-in commands and those plugins add."""
    _add_builtin_commands(cli)
    try:
        from ganzoo.plugins import get_manager

        get_manager().add_commands(cli)
    except GanzooError as exc:  # strict mode: report, keep the built-in commands
        click.echo(f"ganzoo: error: {exc}", err=True)
        if _debug_enabled():
            raise
        sys.exit(exc.exit_code)
    return cli


def main() -> None:
    """Console-script entry point."""
    build_cli()(prog_name="ganzoo")
