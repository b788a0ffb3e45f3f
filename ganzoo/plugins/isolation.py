"""Keeping the command line in charge while a plugin's code runs in this process.

A plugin cannot silence or take over the command line while it loads (import and hook calls):
what it prints to stdout goes to stderr, a slow one is named as it happens (a timer thread),
Ctrl-C names it (:class:`ganzoo.errors.PluginLoadInterrupted`), ``os._exit()`` called from Python
is refused, and a crash leaves Python's crash report, which names the plugin's file. What no
process can survive -- a hang, an exit from C, a crash -- ``ganzoo plugins --check``
(:mod:`ganzoo.plugins.checks`) finds by loading each plugin in a subprocess of its own.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import NoReturn, TextIO

from ganzoo.errors import PluginLoadInterrupted
from ganzoo.plugins.discovery import allow_list_without
from ganzoo.plugins.info import PluginInfo, _plugin_words

#: Seconds a plugin may take to load before it is named on stderr (``GANZOO_PLUGIN_SLOW_SECONDS``).
DEFAULT_SLOW_SECONDS = 3.0
CHECK_COMMAND = "ganzoo plugins --check"


def _slow_seconds() -> float:
    """``GANZOO_PLUGIN_SLOW_SECONDS``, or the default when unset or not a number."""
    try:
        value = float(os.environ.get("GANZOO_PLUGIN_SLOW_SECONDS", DEFAULT_SLOW_SECONDS))
    except ValueError:
        return DEFAULT_SLOW_SECONDS
    return value if value == value else DEFAULT_SLOW_SECONDS  # NaN


@contextlib.contextmanager
def guarded_load(
    info: PluginInfo,
    entry_point: str | None,
    *,
    slow_seconds: float,
    stdout_sink: TextIO | None,
    third_party: list[str],
) -> Iterator[None]:
    """Guard the CLI while ``info``'s code runs: see the module docstring.

    ``slow_seconds`` (0 or less: never) and ``stdout_sink`` (None: stderr) are the manager's
    settings; ``third_party`` is what ``GANZOO_LOAD_PLUGINS`` lets load, for the hint to skip it.
    """
    err = sys.stderr
    who = _plugin_words(info)
    skip = ""
    if entry_point and not info.builtin:
        skip = f"; to skip it, set {allow_list_without([entry_point], third_party)}"
    check = f"; '{CHECK_COMMAND}' tests each plugin on its own" if entry_point else ""
    timer = None
    if slow_seconds > 0:
        notice = f"ganzoo: {who} is still loading after {slow_seconds:g} s{skip}{check}"
        timer = threading.Timer(slow_seconds, _say, args=(err, notice))
        timer.daemon = True
    with _stdout_to(stdout_sink or err), _os_exit_refused(), _crash_report(err):
        if timer is not None:
            timer.start()
        try:
            yield
        except KeyboardInterrupt as exc:
            if isinstance(exc, PluginLoadInterrupted):
                raise
            raise PluginLoadInterrupted(info.name, f"interrupted while loading {who}{skip}{check}") from exc
        finally:
            if timer is not None:
                timer.cancel()


def _say(stream: TextIO, line: str) -> None:
    """Print from the slow-notice timer thread; a closed stderr must not raise there."""
    with contextlib.suppress(Exception):
        stream.write(line + "\n")
        stream.flush()


def _flush(stream: TextIO | None) -> None:
    with contextlib.suppress(Exception):
        if stream is not None:
            stream.flush()


@contextlib.contextmanager
def _stdout_to(target: TextIO) -> Iterator[None]:
    """Send stdout to ``target``: ``sys.stdout`` and, where it can, file descriptor 1 as well.

    The descriptor covers what Python's ``print`` does not: subprocesses a plugin starts and C
    code that writes to fd 1 (whatever C's stdio buffers is still flushed later, to stdout).
    """
    _flush(sys.stdout)
    saved = None
    try:
        target_fd = target.fileno()
        if target_fd != 1:
            saved = os.dup(1)
            os.dup2(target_fd, 1)
    except (AttributeError, OSError, ValueError):  # no real descriptors (notebooks, capture)
        if saved is not None:
            os.close(saved)
        saved = None
    try:
        with contextlib.redirect_stdout(target):
            yield
    finally:
        _flush(target)
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


class _ExitRefused(SystemExit):
    """Raised instead of ending the process when a plugin calls ``os._exit()`` while loading."""

    def __init__(self, code: object) -> None:
        super().__init__(f"called os._exit({code!r}); ganzoo kept running")


@contextlib.contextmanager
def _os_exit_refused() -> Iterator[None]:
    """Make ``os._exit()`` from the loading thread a failure of the plugin instead of the end of ganzoo.

    Only Python-level calls are caught; a child process the plugin forks still exits, and an
    exit from C code cannot be stopped (``ganzoo plugins --check`` names such a plugin).
    """
    real = os._exit
    pid, thread = os.getpid(), threading.get_ident()

    def refuse(status: int) -> NoReturn:
        if os.getpid() != pid or threading.get_ident() != thread:
            real(status)
        raise _ExitRefused(status)

    os._exit = refuse
    try:
        yield
    finally:
        if os._exit is refuse:
            os._exit = real


@contextlib.contextmanager
def _crash_report(err: TextIO) -> Iterator[None]:
    """While a plugin loads, a crash (SIGSEGV ...) prints Python's report, which names its file."""
    import faulthandler

    enabled = False
    if not faulthandler.is_enabled():
        try:
            faulthandler.enable(file=err, all_threads=False)
            enabled = True
        except (AttributeError, OSError, ValueError, RuntimeError):  # stderr without a descriptor
            pass
    try:
        yield
    finally:
        if enabled:
            faulthandler.disable()


def _exception_words(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, _ExitRefused) else f"{type(exc).__name__}: {exc}"
