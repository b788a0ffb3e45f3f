"""The ``ganzoo`` command line.

Each command group lives in its own module and imports torch only inside the function that needs
it, so ``ganzoo --help`` and ``ganzoo list`` stay fast. Errors a user can cause
(:class:`ganzoo.errors.GanzooError`, and click's own usage errors) become one line on stderr with
exit code 2 (usage) or 1 (failure); ``--debug`` or ``GANZOO_DEBUG=1`` shows the traceback instead.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Sequence

import click

from ganzoo import __version__
from ganzoo.errors import GanzooError

# click >= 8.2 signals "no arguments, show the help" with a UsageError subclass; keep its help page.
_NO_ARGS_IS_HELP: tuple[type[BaseException], ...] = tuple(
    t for t in (getattr(click.exceptions, "NoArgsIsHelpError", None),) if t is not None
)


def _debug_enabled(ctx: click.Context | None = None) -> bool:
    if os.environ.get("GANZOO_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}:
        return True
    return bool(ctx is not None and ctx.obj and ctx.obj.get("debug"))


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _usage_line(exc: click.UsageError) -> str:
    where = exc.ctx.command_path if exc.ctx is not None else "ganzoo"
    return f"ganzoo: error: {_one_line(exc.format_message()).rstrip('.')}; see '{where} --help'"


class GanzooGroup(click.Group):
    """A click group that turns every error into one line on stderr and an exit code."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:  # bad options to ``ganzoo`` itself
            if isinstance(exc, _NO_ARGS_IS_HELP) or _debug_enabled():
                raise
            click.echo(_usage_line(exc), err=True)
            raise click.exceptions.Exit(exc.exit_code) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GanzooError as exc:
            if _debug_enabled(ctx):
                raise
            click.echo(f"ganzoo: error: {_one_line(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except click.UsageError as exc:  # unknown command, bad option or argument
            if isinstance(exc, _NO_ARGS_IS_HELP) or _debug_enabled(ctx):
                raise
            click.echo(_usage_line(exc), err=True)
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
                f"ganzoo: internal error: {type(exc).__name__}: {_one_line(str(exc))} "
                f"(rerun with --debug for the traceback, and please report it)",
                err=True,
            )
            ctx.exit(1)


def _make_group() -> click.Group:
    """A bare top-level group; :func:`build_cli` adds the commands."""

    @click.group(cls=GanzooGroup, name="ganzoo", context_settings={"help_option_names": ["-h", "--help"]})
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

        \b
        Environment:
          GANZOO_LOAD_PLUGINS=a,b   load only these third-party plugins ("" = built-ins only)
          GANZOO_STRICT_PLUGINS=1   a broken plugin is an error instead of a warning
          GANZOO_TRACE_PLUGINS=1    print every plugin hook call
          GANZOO_DEBUG=1            full tracebacks (same as --debug)
        """
        ctx.ensure_object(dict)
        ctx.obj["debug"] = debug

    return cli


#: The top-level group without commands, kept for callers that decorate it; use :func:`build_cli`.
cli = _make_group()


#: Modules holding built-in commands; each exports ``COMMANDS`` and imports no torch at import.
COMMAND_MODULES: tuple[str, ...] = (
    "ganzoo.cli.listing",
    "ganzoo.cli.pretrained",
    "ganzoo.cli.train",
    "ganzoo.cli.sample",
    "ganzoo.cli.eval",
    "ganzoo.cli.translate",
    "ganzoo.cli.style",
)


def _add_builtin_commands(group: click.Group) -> None:
    import importlib

    for module_name in COMMAND_MODULES:
        for command in importlib.import_module(module_name).COMMANDS:
            group.add_command(command)


def build_cli() -> click.Group:
    """A fresh top-level group with the built-in commands, then those plugins add.

    Fresh on every call, so commands of an earlier plugin manager (tests, notebooks) never
    linger. Raises :class:`ganzoo.errors.PluginError` when ``GANZOO_STRICT_PLUGINS=1`` and a
    plugin is broken.
    """
    from ganzoo.plugins import get_manager

    group = _make_group()
    _add_builtin_commands(group)
    get_manager().add_commands(group)
    return group


def main(args: Sequence[str] | None = None) -> None:
    """Console-script entry point: ``main(["list", "losses"])`` runs ``ganzoo list losses``."""
    argv = list(sys.argv[1:] if args is None else args)
    try:
        group = build_cli()
    except GanzooError as exc:  # strict plugins: one line, exit 1, unless debugging
        if _debug_enabled() or "--debug" in argv:
            raise
        click.echo(f"ganzoo: error: {_one_line(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    group.main(args=argv, prog_name="ganzoo")
