"""``ganzoo plugins --check``: loading each plugin alone in a subprocess, and saying how it fared.

What no process can survive -- a plugin that hangs, exits from C or crashes the interpreter --
cannot be caught by :mod:`ganzoo.plugins.isolation`; a child process per plugin finds it and
names it instead. Only ``ganzoo plugins --check`` imports this module.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from dataclasses import asdict, dataclass
from typing import Any

from ganzoo.plugins.discovery import _allowed, _dist_name, _entry_points, _info_for
from ganzoo.plugins.info import _one_line
from ganzoo.plugins.isolation import _flush
from ganzoo.plugins.manager import PluginManager, _use_manager

#: Seconds a checked plugin may take to load before ``ganzoo plugins --check`` calls it hanging.
DEFAULT_CHECK_TIMEOUT = 30.0


@dataclass
class CheckResult:
    """How one plugin fared when loaded alone in a fresh process (``ganzoo plugins --check``)."""

    name: str
    module: str
    distribution: str | None
    version: str | None
    builtin: bool
    #: ``ok``, ``failed`` (raised, or refused to load), ``hangs``, ``exited`` or ``crashed``.
    status: str = "ok"
    #: One line: the error, the exit code or the signal, and where the plugin was when it stopped.
    detail: str | None = None
    seconds: float = 0.0
    exit_code: int | None = None
    signal: str | None = None
    #: ``file:line`` of the plugin's code when it hung or crashed, from Python's stack dump.
    where: str | None = None
    #: The first line the plugin printed to stdout while loading (ganzoo sends that to stderr).
    printed: str | None = None
    #: Set when ``GANZOO_LOAD_PLUGINS`` leaves the plugin out of normal runs.
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_CHILD = (
    "import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
    "from ganzoo.plugins.checks import _check_child; _check_child(sys.argv[2:])"
)


def check_plugins(timeout: float = DEFAULT_CHECK_TIMEOUT, jobs: int | None = None) -> list[CheckResult]:
    """Load every installed plugin alone in a subprocess and report how each one fared.

    Nothing is loaded in this process, so a plugin that hangs, calls ``os._exit`` from C or
    crashes the interpreter cannot stop the check; it is named instead. A plugin still loading
    after ``timeout`` seconds is stopped (SIGTERM, which makes Python print where it was, then
    SIGKILL) and reported as hanging. ``jobs`` plugins are checked at a time.
    """
    import json
    import signal
    import subprocess
    import tempfile
    import time
    from pathlib import Path

    eps = _entry_points()
    results = []
    for ep in eps:
        info = _info_for(ep)
        results.append(CheckResult(info.name, info.module, info.distribution, info.version, info.builtin,
                                   skipped=None if _allowed(ep) else "not listed in GANZOO_LOAD_PLUGINS"))
    jobs = max(1, jobs or min(8, os.cpu_count() or 1))
    posix = os.name == "posix"
    with tempfile.TemporaryDirectory(prefix="ganzoo-check-") as tmp:
        folder = Path(tmp)
        waiting = list(range(len(eps)))
        running: dict[int, dict[str, Any]] = {}

        def start(index: int) -> None:
            ep = eps[index]
            files = {part: folder / f"{index}.{part}" for part in ("result", "stdout", "stderr")}
            with open(files["stdout"], "wb") as out, open(files["stderr"], "wb") as err:
                proc = subprocess.Popen(
                    [sys.executable, "-c", _CHILD, json.dumps(sys.path), _dist_name(ep), ep.name, ep.value,
                     str(files["result"])],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=posix,
                )
            running[index] = {"proc": proc, "files": files, "started": time.monotonic(), "stopped": None}

        def stop(proc: subprocess.Popen[bytes], sig: int) -> None:
            with contextlib.suppress(OSError):
                if posix:
                    os.killpg(proc.pid, sig)
                else:
                    proc.kill()

        try:
            while waiting or running:
                while waiting and len(running) < jobs:
                    start(waiting.pop(0))
                now = time.monotonic()
                for index, run in list(running.items()):
                    proc = run["proc"]
                    if proc.poll() is not None:
                        if posix:  # whatever the plugin started goes with it
                            stop(proc, signal.SIGKILL)
                        _read_child(results[index], run, time.monotonic() - run["started"], timeout)
                        del running[index]
                    elif run["stopped"] is None and now - run["started"] > timeout:
                        run["stopped"] = now
                        stop(proc, signal.SIGTERM if posix else 0)
                    elif run["stopped"] is not None and now - run["stopped"] > 5:
                        stop(proc, signal.SIGKILL if posix else 0)
                time.sleep(0.02)
        finally:
            for run in running.values():
                stop(run["proc"], signal.SIGKILL if posix else 0)
                run["proc"].wait()
    return results


def _read_child(result: CheckResult, run: dict[str, Any], seconds: float, timeout: float) -> None:
    """Fill ``result`` from a finished child: its result file, exit status, stdout and stderr."""
    import json
    import signal

    result.seconds = round(seconds, 3)
    code = run["proc"].returncode
    files = run["files"]
    stderr = files["stderr"].read_text(errors="replace")
    printed = [line.strip() for line in files["stdout"].read_text(errors="replace").splitlines() if line.strip()]
    result.printed = printed[0][:200] if printed else None
    try:
        report = json.loads(files["result"].read_text())
    except (OSError, ValueError):
        report = None
    if run["stopped"] is not None:
        result.status, result.where = "hangs", _where_stopped(stderr)
        result.detail = f"still loading after {timeout:g} s; stopped" + (f", in {result.where}" if result.where else "")
    elif report is not None:
        if report.get("error"):
            result.status, result.detail = "failed", report["error"]
    elif code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        result.status, result.signal, result.where = "crashed", name, _where_stopped(stderr)
        result.detail = f"the process was killed by {name} while loading" + (
            f", in {result.where}" if result.where else ""
        )
    else:
        last = [line.strip() for line in stderr.splitlines() if line.strip()]
        result.status, result.exit_code = "exited", code
        result.detail = f"the process exited with code {code} while loading" + (
            f"; its last words on stderr: {_one_line(last[-1])[:200]}" if last else ""
        )


def _where_stopped(stderr: str) -> str | None:
    """``file:line`` of the innermost frame of Python's stack dump that is not Python's own code.

    The dump (faulthandler: a crash, or the SIGTERM sent to a hanging plugin) lists the most
    recent call first; frames of the standard library and of ganzoo are passed over, so what is
    left is the plugin or something it imported.
    """
    import sysconfig

    ganzoo_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # ganzoo/, not ganzoo/plugins/
    skip = tuple(
        os.path.normcase(p) + os.sep
        for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"], ganzoo_dir}
    )
    frames: list[tuple[str, str]] = []
    in_dump = False
    for line in stderr.splitlines():
        if "most recent call first" in line:
            in_dump, frames = True, []
            continue
        match = re.match(r'\s+File "(.+)", line (\d+)', line) if in_dump else None
        if match:
            frames.append((match.group(1), match.group(2)))
        elif in_dump and frames:
            in_dump = False
    real = [(f, n) for f, n in frames if not f.startswith("<")]
    for path, number in real:
        if not os.path.normcase(os.path.abspath(path)).startswith(skip):
            return f"{path}:{number}"
    return f"{real[0][0]}:{real[0][1]}" if real else None


def _check_child(argv: list[str]) -> None:
    """In the subprocess :func:`check_plugins` starts: load one plugin and write what happened."""
    import faulthandler
    import json
    import signal

    import click

    distribution, name, value, result_path = argv
    if hasattr(faulthandler, "register") and hasattr(signal, "SIGTERM"):
        faulthandler.register(signal.SIGTERM, all_threads=False, chain=True)  # a hang says where it was
    matches = [ep for ep in _entry_points() if (_dist_name(ep), ep.name, ep.value) == (distribution, name, value)]
    manager = PluginManager()
    manager.strict = False
    manager.slow_seconds = 0
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # print and fd 1 in order
    manager.stdout_sink = sys.stdout  # the parent reads what the plugin printed from here
    _use_manager(manager)  # a hook that looks something up sees this plugin alone, not every plugin
    error: str | None
    if not matches:
        error = f"entry point {name} = {value} of {distribution or '?'} is not installed for {sys.executable}"
    else:
        info = _info_for(matches[0])
        manager._load_one(info, matches[0].load, entry_point=name)
        if info.error is None:
            manager.add_commands(click.Group("ganzoo"))
        error = info.error
    with open(result_path, "w", encoding="utf-8") as handle:
        json.dump({"error": error}, handle)
    _flush(sys.stdout)
    _flush(sys.stderr)
    os._exit(0)  # loaded: threads the plugin left running must not keep the check waiting
