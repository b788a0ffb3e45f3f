"""The ``ganzoo`` command line.

Each command group lives in its own module and imports torch only inside the function that needs
it, so ``ganzoo --help`` and ``ganzoo list`` stay fast. Errors a user can cause
(:class:`ganzoo.errors.GanzooError`, and click's own usage errors) become one line on stderr with
exit code 2 (usage) or 1 (failure); ``--debug`` or ``GANZOO_DEBUG=1`` shows the traceback instead.
So do the file system's refusals (full disk, read-only, no permission) that a command does not
catch itself. A closed pipe (``ganzoo list | head -1``) ends the command quietly with 141, the
exit status of a program killed by SIGPIPE; Ctrl-C is one line and 130.

``ganzoo --version`` and ``ganzoo plugins --check`` run before any plugin loads, so a plugin that
hangs or ends the process cannot stop them. Everything else, ``--help`` included, loads the
plugins first (they may add commands); :mod:`ganzoo.plugins` names a slow one as it happens.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from ganzoo.errors import FileSystemError, GanzooError, PluginLoadInterrupted
from ganzoo.version import __version__

#: Exit status for a closed pipe: what a program killed by SIGPIPE reports (128 + 13).
BROKEN_PIPE_EXIT = 141

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


def _interrupted_line(exc: KeyboardInterrupt) -> str:
    return f"ganzoo: {exc}" if isinstance(exc, PluginLoadInterrupted) else "ganzoo: interrupted"


def _silence_stdout() -> None:
    """Point stdout at the null device, so that the exit-time flush cannot fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):  # stdout without a descriptor (tests' runners)
        pass


def _broken_pipe() -> NoReturn:
    """The reader of stdout went away: stop quietly."""
    _silence_stdout()
    raise click.exceptions.Exit(BROKEN_PIPE_EXIT)


def _flush_stdout() -> None:
    """Flush what ``print`` left buffered now, while a failure can still be worded as one line."""
    try:
        sys.stdout.flush()
    except OSError as exc:
        if _is_broken_pipe(exc):
            _silence_stdout()
            sys.exit(BROKEN_PIPE_EXIT)
        error = FileSystemError.from_os_error(exc, path="standard output")
        _silence_stdout()
        if error is not None:
            click.echo(f"ganzoo: error: {_one_line(str(error))}", err=True)
            sys.exit(error.exit_code)
    except (AttributeError, ValueError):  # no stdout, or a closed one
        pass


def _is_broken_pipe(exc: BaseException) -> bool:
    """EPIPE from writing stdout whose reader has gone; a closed socket is not a quiet matter."""
    if not (isinstance(exc, OSError) and exc.errno == errno.EPIPE):
        return False
    try:
        import select

        poll = select.poll()
        poll.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poll.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows) or no descriptor: trust EPIPE
        return True


def _file_system_line(exc: BaseException) -> str | None:
    """One line for a full disk, a read-only mount or a refused permission; None for anything else.

    A failed write names no file, so the file is looked up in the traceback: the innermost file
    object open for writing. When that is stdout (``ganzoo list --json > /full/disk/x``), stdout
    goes to the null device so that the exit-time flush does not fail a second time.
    """
    target = None
    if isinstance(exc, OSError) and exc.filename is None:
        target = _file_being_written(exc)
        if target == "standard output":
            _silence_stdout()
    error = FileSystemError.from_os_error(exc, path=target)
    return None if error is None else f"ganzoo: error: {_one_line(str(error))}"


def _file_being_written(exc: BaseException) -> str | None:
    """The name of the innermost file opened for writing in ``exc``'s traceback, if any."""
    import io

    stdout = [s for s in (sys.stdout, getattr(sys.stdout, "buffer", None), sys.__stdout__) if s is not None]
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):  # innermost first: nearest to the failed write
        for value in list(frame.f_locals.values()):
            if any(value is s for s in stdout):
                return "standard output"
            if not isinstance(value, io.IOBase):
                continue
            name, mode = getattr(value, "name", None), getattr(value, "mode", None)
            if isinstance(name, str) and isinstance(mode, str) and set(mode) & set("wax+"):
                return name  # name and mode are still known once ``with open(...)`` has closed it
    return None


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
        except OSError as exc:  # ``ganzoo --help | head -1``
            if not _is_broken_pipe(exc):
                raise
            _broken_pipe()

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """``ganzoo eval X --debug`` means ``ganzoo --debug eval X``: the switch is accepted after the command too."""
        if ctx.parent is None and "--debug" in args:
            end = args.index("--") if "--" in args else len(args)
            if "--debug" in args[:end]:
                args = ["--debug", *(a for a in args[:end] if a != "--debug"), *args[end:]]
        return super().parse_args(ctx, args)

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
        except KeyboardInterrupt as exc:
            click.echo(_interrupted_line(exc), err=True)
            ctx.exit(130)
        except Exception as exc:  # a bug: keep it one line unless debugging
            if _is_broken_pipe(exc):
                _broken_pipe()
            if _debug_enabled(ctx):
                raise
            line = _file_system_line(exc)
            if line is not None:  # the disk or its permissions, not a bug: say so, exit 1
                click.echo(line, err=True)
                ctx.exit(1)
            from ganzoo.plugins import blame

            blamed = blame(exc)
            if blamed is not None:  # raised in a third-party plugin's code: its bug, named
                click.echo(f"ganzoo: error: {_one_line(str(blamed))} (rerun with --debug for the traceback)",
                           err=True)
                ctx.exit(blamed.exit_code)
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
          GANZOO_LOAD_PLUGINS=a,b       load only these third-party plugins ("" = built-ins only)
          GANZOO_STRICT_PLUGINS=1       a broken plugin is an error instead of a warning
          GANZOO_TRACE_PLUGINS=1        print every plugin hook call
          GANZOO_PLUGIN_SLOW_SECONDS=3  name a plugin still loading after 3 s (0: never)
          GANZOO_MAX_IMAGE_PIXELS=N     refuse input images over N pixels (default 200000000; 0: no limit)
          GANZOO_DEBUG=1                full tracebacks (same as --debug)

        A plugin that hangs, crashes or ends ganzoo while loading: 'ganzoo plugins --check' loads
        each plugin in a process of its own and names the bad ones.
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
    "ganzoo.cli.interpolate",
    "ganzoo.cli.demo",
    "ganzoo.cli.deploy",
    "ganzoo.cli.eval",
    "ganzoo.cli.translate",
)


#: The module of each built-in command. Running one imports only its module (0.1-0.2 s less
#: than importing all of them); ``--help``, unknown names and plugins' commands get every module.
#: tests/cli/test_cli.py keeps it equal to what :data:`COMMAND_MODULES` define.
COMMAND_HOMES: dict[str, str] = {
    "list": "ganzoo.cli.listing", "info": "ganzoo.cli.listing", "plugins": "ganzoo.cli.listing",
    "pretrained": "ganzoo.cli.pretrained", "export": "ganzoo.cli.pretrained", "push": "ganzoo.cli.pretrained",
    "space": "ganzoo.cli.pretrained", "train": "ganzoo.cli.train", "sample": "ganzoo.cli.sample",
    "interpolate": "ganzoo.cli.interpolate", "demo": "ganzoo.cli.demo", "onnx": "ganzoo.cli.deploy",
    "eval": "ganzoo.cli.eval", "translate": "ganzoo.cli.translate",
}


def _add_builtin_commands(group: click.Group, modules: Sequence[str] = COMMAND_MODULES) -> None:
    import importlib

    for module_name in modules:
        for command in importlib.import_module(module_name).COMMANDS:
            group.add_command(command)


def _leading_options(argv: Sequence[str]) -> list[str]:
    """The options before the command name (``--debug``, ``-V``)."""
    leading = []
    for arg in argv:
        if not arg.startswith("-"):
            break
        leading.append(arg)
    return leading


def _modules_for(argv: Sequence[str]) -> Sequence[str]:
    """The built-in command modules a command line needs: none for ``--version``, one for a built-in command."""
    leading = _leading_options(argv)
    if {"-V", "--version"} & set(leading):
        return ()
    if {"-h", "--help"} & set(leading) or len(leading) == len(argv):
        return COMMAND_MODULES
    home = COMMAND_HOMES.get(argv[len(leading)])
    return (home,) if home is not None else COMMAND_MODULES


def _without_plugins(argv: Sequence[str]) -> bool:
    """Whether the command line can and must run before any plugin loads.

    ``--version`` (before the command name) needs nothing from plugins, and ``plugins --check``
    exists for when loading them in this process hangs or ends it.
    """
    leading = _leading_options(argv)
    if {"-V", "--version"} & set(leading):
        return True
    rest = list(argv[len(leading):])
    return bool(rest) and rest[0] == "plugins" and "--check" in rest[1:]


def build_cli(plugins: bool = True, modules: Sequence[str] = COMMAND_MODULES) -> click.Group:
    """A fresh top-level group with the built-in commands, then those plugins add.

    Fresh on every call, so commands of an earlier plugin manager (tests, notebooks) never
    linger. Raises :class:`ganzoo.errors.PluginError` when ``GANZOO_STRICT_PLUGINS=1`` and a
    plugin is broken. ``plugins=False`` loads no plugin: the built-in commands only.
    ``modules`` limits the built-in commands to those modules' (:func:`main` passes the one the
    command line runs).
    """
    group = _make_group()
    _add_builtin_commands(group, modules)
    if plugins:
        from ganzoo.plugins import get_manager

        get_manager().add_commands(group)
    return group


def main(args: Sequence[str] | None = None) -> None:
    """Console-script entry point: ``main(["list", "losses"])`` runs ``ganzoo list losses``."""
    argv = list(sys.argv[1:] if args is None else args)
    try:
        group = build_cli(plugins=not _without_plugins(argv), modules=_modules_for(argv))
    except GanzooError as exc:  # strict plugins: one line, exit 1, unless debugging
        if _debug_enabled() or "--debug" in argv:
            raise
        click.echo(f"ganzoo: error: {_one_line(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:  # Ctrl-C while plugins load: name the one loading
        if _debug_enabled() or "--debug" in argv:
            raise
        click.echo(_interrupted_line(exc), err=True)
        sys.exit(130)
    try:
        group.main(args=argv, prog_name="ganzoo")
    finally:
        _flush_stdout()
