"""The example plugin, installed for real: pip builds and installs it into a private folder.

Then a ``ganzoo`` subprocess must see its entries under its distribution name and version, and
the conformance suite must pass on it -- in this process and through the plugin's own tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ganzoo import testing
from ganzoo.plugins import get_manager, reset_manager

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ganzoo-plugin-example"
DISTRIBUTION = "ganzoo-plugin-example"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(site folder it is installed in, a copy of its source tree) -- built offline, no deps."""
    root = tmp_path_factory.mktemp("example")
    source = root / "source"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    site = root / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--target", str(site), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert (site / "ganzoo_plugin_example-0.1.0.dist-info" / "entry_points.txt").exists()
    return site, source


def env_with(site: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GANZOO_")}
    return {**base, "PYTHONPATH": str(site), "COLUMNS": "200", **extra}


def ganzoo(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True,
                          env=env_with(site), timeout=60)


def test_ganzoo_lists_the_installed_plugin(installed):
    site, _ = installed
    listing = ganzoo(site, "list", "--json")
    assert listing.returncode == 0 and listing.stderr == ""
    data = json.loads(listing.stdout)
    entries = {e["name"]: e for e in data["architectures"] + data["losses"]}
    for name, kind in (("tinyconv", "architectures"), ("relativistic-average", "losses")):
        entry = entries[name]
        assert (entry["kind"], entry["plugin"]) == (kind, "example")
        assert (entry["plugin_distribution"], entry["plugin_version"]) == (DISTRIBUTION, "0.1.0")
    table = ganzoo(site, "list").stdout
    assert any(line.split()[0] == "tinyconv" and line.rstrip().endswith("example") for line in table.splitlines())

    plugins = ganzoo(site, "plugins")
    assert plugins.returncode == 0
    assert f"example  [ok]  {DISTRIBUTION} 0.1.0, third-party, module ganzoo_plugin_example.plugin" in plugins.stdout
    assert "  architectures: tinyconv" in plugins.stdout and "  losses: relativistic-average" in plugins.stdout

    info = ganzoo(site, "info", "tinyconv")
    assert info.returncode == 0 and f"example (from {DISTRIBUTION} 0.1.0)" in info.stdout


def test_the_conformance_suite_passes_on_it(installed, monkeypatch):
    site, _ = installed
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("GANZOO_LOAD_PLUGINS", DISTRIBUTION)
    reset_manager()
    try:
        assert get_manager().plugins["example"].distribution == DISTRIBUTION
        found = testing.plugin_cases(DISTRIBUTION) + testing.cases(DISTRIBUTION)
        assert {(c.kind, c.name) for c in found} >= {("architectures", "tinyconv"), ("losses", "relativistic-average")}
        testing.check_plugin(DISTRIBUTION)
    finally:
        for module in [m for m in sys.modules if m.startswith("ganzoo_plugin_example")]:
            del sys.modules[module]


@pytest.mark.slow
def test_its_own_tests_pass(installed):
    site, source = installed
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(source / "tests")],
        capture_output=True, text=True, cwd=source, env=env_with(site, GANZOO_LOAD_PLUGINS=DISTRIBUTION), timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout
