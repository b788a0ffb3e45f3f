"""Plugins that hang, print, end the process or crash while they load cannot take the CLI down.

The misbehaving plugins are real entry points (``*.dist-info`` folders on PYTHONPATH) seen by a
``ganzoo`` subprocess, so exit codes, signals and stderr are what a user sees. The slow notice is
waited for by reading stderr, never by sleeping.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from plugin_fixtures import FIXTURES_DIR, install_fakes, write_distribution

from ganzoo import __version__, hookimpl
from ganzoo.errors import PluginLoadInterrupted
from ganzoo.plugins import get_manager

#: entry-point name -> hook module of the plugins that misbehave while loading.
MISBEHAVING = {
    "noisy": "ganzoo_fake_noisy",
    "sleepy": "ganzoo_fake_sleepy",
    "os-exit": "ganzoo_fake_os_exit",
    "c-exit": "ganzoo_fake_c_exit",
    "crash": "ganzoo_fake_crash",
}


def make_site(folder: Path, *names: str) -> Path:
    """A site folder with the misbehaving plugins ``names`` and the good and broken-import fakes."""
    install_fakes(folder, ["good", "broken-import"])
    for name in names:
        write_distribution(folder, f"ganzoo-fake-{name}", "1.0", {name: MISBEHAVING[name]})
    return folder


def ganzoo_env(site: Path, **env: str) -> dict[str, str]:
    """A ``ganzoo`` subprocess's environment: no GANZOO_* switch, buffered stdout, the fake site first."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("GANZOO_") and k != "PYTHONUNBUFFERED"}
    base["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), str(FIXTURES_DIR), os.environ.get("PYTHONPATH")) if p)
    base["COLUMNS"] = "200"
    base["GANZOO_FAKE_SLEEP"] = "600"  # the sleepy plugin hangs for as long as any test runs
    return {**base, **env}


def run_ganzoo(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True,
                          env=ganzoo_env(site, **env), timeout=120)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return make_site(tmp_path_factory.mktemp("site"), *MISBEHAVING)


# -- --version needs no plugin ------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--version"], ["-V"], ["--debug", "--version"]], ids=" ".join)
def test_version_loads_no_plugin(site, args):
    """Every misbehaving plugin installed and allowed: c-exit alone would end ganzoo with code 3."""
    proc = run_ganzoo(site, *args)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == f"ganzoo, version {__version__}\n"


# -- stdout stays the command's ------------------------------------------------------------------------


def test_a_noisy_plugin_cannot_break_json_output(site):
    proc = run_ganzoo(site, "list", "--json", GANZOO_LOAD_PLUGINS="noisy,good")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)  # nothing but the JSON on stdout
    assert {"noisy-arch", "fake-good"} <= {entry["name"] for entry in data["architectures"]}
    for line in ("noisy plugin: imported", "noisy plugin: straight to fd 1", "noisy plugin: registering",
                 "noisy plugin: adding commands"):
        assert line in proc.stderr.splitlines()


def test_a_noisy_plugins_own_command_still_prints_to_stdout(site):
    proc = run_ganzoo(site, "noisy-hello", GANZOO_LOAD_PLUGINS="noisy")
    assert proc.returncode == 0 and proc.stdout == "hello from noisy\n"


class PrintsInHook:
    @hookimpl
    def register_losses(self, register):
        print("printed by a hook")


def test_in_process_hook_output_goes_to_stderr(capsys):
    info = get_manager().add_plugin(PrintsInHook(), "prints")
    assert info.status == "ok"
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "printed by a hook\n"


# -- a slow plugin is named as it happens; Ctrl-C names it too --------------------------------------------


def _wait_for_notice(proc: subprocess.Popen[str]) -> list[str]:
    """stderr lines up to and with the slow notice (the sleepy plugin sleeps far longer than this)."""
    lines = []
    for line in proc.stderr:
        lines.append(line.rstrip("\n"))
        if "is still loading" in line:
            return lines
    return lines  # stderr closed: the process ended without a notice


@pytest.mark.parametrize("args", [["list", "--json"], ["--help"]], ids=" ".join)
def test_a_slow_plugin_is_named_at_once_and_ctrl_c_names_it(site, args):
    env = ganzoo_env(site, GANZOO_LOAD_PLUGINS="good,noisy,sleepy", GANZOO_PLUGIN_SLOW_SECONDS="0.2")
    # Ctrl-C as a terminal delivers it. A child inherits an ignored SIGINT, and Python then keeps
    # ignoring it: so it is when the tests run as a background job (`make test &`, `nohup`).
    proc = subprocess.Popen([sys.executable, "-m", "ganzoo", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    guard = threading.Timer(100, proc.kill)  # only if the notice never comes: fail, do not hang
    guard.start()
    try:
        lines = _wait_for_notice(proc)
        assert proc.poll() is None, "ganzoo ended before it named the slow plugin"
        notice = lines[-1]
        assert notice == (
            "ganzoo: plugin 'sleepy' (ganzoo-fake-sleepy 1.0) is still loading after 0.2 s; "
            "to skip it, set GANZOO_LOAD_PLUGINS=good,noisy; "
            "'ganzoo plugins --check' tests each plugin on its own"
        )
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        guard.cancel()
    assert proc.returncode == 130 and out == ""
    assert err.splitlines() == [
        "ganzoo: interrupted while loading plugin 'sleepy' (ganzoo-fake-sleepy 1.0); to skip it, set "
        "GANZOO_LOAD_PLUGINS=good,noisy; 'ganzoo plugins --check' tests each plugin on its own"
    ]


def test_the_hinted_setting_skips_the_slow_plugin(site):
    proc = run_ganzoo(site, "list", "architectures", GANZOO_LOAD_PLUGINS="good,noisy", GANZOO_PLUGIN_SLOW_SECONDS="0.2")
    assert proc.returncode == 0 and "fake-good" in proc.stdout and "still loading" not in proc.stderr


def test_no_notice_for_plugins_that_load_in_time(site):
    proc = run_ganzoo(site, "list", GANZOO_LOAD_PLUGINS="good")
    assert proc.returncode == 0 and proc.stderr == ""


class InterruptedHook:
    @hookimpl
    def register_architectures(self, register):
        register("never-kept", "ganzoo_vanilla.models:VanillaGAN", summary="Interrupted")
        raise KeyboardInterrupt


def test_ctrl_c_in_process_is_still_a_keyboard_interrupt_naming_the_plugin():
    manager = get_manager()
    with pytest.raises(PluginLoadInterrupted, match="interrupted while loading plugin 'stuck'") as caught:
        manager.add_plugin(InterruptedHook(), "stuck")
    assert isinstance(caught.value, KeyboardInterrupt) and caught.value.plugin == "stuck"
    assert manager.pm.get_plugin("stuck") is None and "never-kept" not in manager.registries["architectures"]


# -- plugins that end the process ------------------------------------------------------------------------


def test_os_exit_from_python_is_refused_and_reported(site):
    proc = run_ganzoo(site, "plugins", GANZOO_LOAD_PLUGINS="os-exit")
    assert proc.returncode == 0, proc.stderr
    assert "os-exit  [FAILED]  ganzoo-fake-os-exit 1.0, third-party" in proc.stdout
    assert "error: import failed: called os._exit(3); ganzoo kept running" in proc.stdout
    err = proc.stderr.splitlines()
    assert len(err) == 1 and err[0].startswith("ganzoo: plugin 'os-exit' failed (import failed: called os._exit(3)")
    assert err[0].endswith("to skip it quietly, set GANZOO_LOAD_PLUGINS=\"\".")  # the only third-party one


def test_a_crashing_plugin_leaves_a_report_naming_its_file(site):
    proc = run_ganzoo(site, "list", GANZOO_LOAD_PLUGINS="crash")
    assert proc.returncode == -signal.SIGSEGV  # nothing survives a crash ...
    assert "Fatal Python error: Segmentation fault" in proc.stderr  # ... but it is no longer silent
    assert str(FIXTURES_DIR / "ganzoo_fake_crash.py") in proc.stderr


# -- ganzoo plugins --check --------------------------------------------------------------------------------


def test_check_names_every_misbehaving_plugin(site):
    proc = run_ganzoo(site, "plugins", "--check", "--timeout", "5", "--json")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    results = {r["name"]: r for r in json.loads(proc.stdout)}
    builtins = [r for r in results.values() if r["builtin"]]
    assert builtins and all(r["status"] == "ok" for r in builtins)
    assert results["good"]["status"] == "ok" and results["good"]["printed"] is None
    assert results["noisy"]["status"] == "ok" and results["noisy"]["printed"] == "noisy plugin: imported"
    sleepy = results["sleepy"]
    assert sleepy["status"] == "hangs" and sleepy["where"] == f"{FIXTURES_DIR / 'ganzoo_fake_sleepy.py'}:6"
    assert sleepy["detail"].startswith("still loading after 5 s; stopped, in ")
    assert results["os-exit"]["status"] == "failed"
    assert results["os-exit"]["detail"] == "import failed: called os._exit(3); ganzoo kept running"
    assert results["broken-import"]["detail"] == "import failed: RuntimeError: this plugin is broken on purpose"
    c_exit = results["c-exit"]
    assert (c_exit["status"], c_exit["exit_code"]) == ("exited", 3)
    assert c_exit["detail"] == "the process exited with code 3 while loading"
    crash = results["crash"]
    assert (crash["status"], crash["signal"]) == ("crashed", "SIGSEGV")
    assert crash["where"] == f"{FIXTURES_DIR / 'ganzoo_fake_crash.py'}:6"
    total = len(results)
    assert proc.stderr.splitlines() == [
        f"ganzoo: error: 5 of {total} plugins misbehave: 'broken-import' failed to load, 'c-exit' exited with "
        f"code 3, 'crash' crashed (SIGSEGV), 'os-exit' failed to load, 'sleepy' hangs; to run ganzoo without "
        f"them, set GANZOO_LOAD_PLUGINS=good,noisy"
    ]


def test_check_as_text_and_all_well(tmp_path):
    bad = make_site(tmp_path / "bad", "c-exit", "noisy")
    proc = run_ganzoo(bad, "plugins", "--check")
    assert proc.returncode == 1
    assert "c-exit  [EXITED]  ganzoo-fake-c-exit 1.0, third-party, " in proc.stdout
    assert "\n  the process exited with code 3 while loading\n" in proc.stdout
    assert "\n  printed to stdout while loading (ganzoo sends that to stderr): noisy plugin: imported\n" in proc.stdout
    good = install_fakes(tmp_path / "good", ["good"])
    proc = run_ganzoo(good, "plugins", "--check", GANZOO_LOAD_PLUGINS="")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert "good  [ok]  ganzoo-fake-good 1.0, third-party, " in proc.stdout
    assert "\n  not loaded by other commands: not listed in GANZOO_LOAD_PLUGINS\n" in proc.stdout
