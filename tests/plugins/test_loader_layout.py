"""The plugin loader is a package of one-job modules that import downward only.

``ganzoo/plugins/`` splits the loader by job (docs/architecture.md draws it); these tests keep the
split honest: the order of the modules, a public face that still offers every name callers import
from ``ganzoo.plugins``, and a check scheduler that only ``ganzoo plugins --check`` pays for.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ganzoo
import ganzoo.plugins
from ganzoo.plugins import checks

#: The loader's modules, lowest first: each may import only the ones before it, never the package itself.
ORDER = ("info", "discovery", "isolation", "manager", "blame", "checks")


def test_each_module_imports_only_the_ones_below_it():
    grimp = pytest.importorskip("grimp", reason="grimp is part of the test extra")
    graph = grimp.build_graph("ganzoo", include_external_packages=False)
    package = "ganzoo.plugins"
    found = {m.removeprefix(package + ".") for m in graph.find_children(package)}
    assert found == set(ORDER), "a new module of the loader needs its place in ORDER and in docs/architecture.md"
    for level, name in enumerate(ORDER):
        imported = graph.find_modules_directly_imported_by(f"{package}.{name}")
        inside = {m for m in imported if m == package or m.startswith(package + ".")}
        allowed = {f"{package}.{below}" for below in ORDER[:level]}
        assert inside <= allowed, f"{package}.{name} imports {sorted(inside - allowed)}: upward or the package itself"


def test_the_public_face_offers_every_name_it_promises():
    for name in ganzoo.plugins.__all__:
        assert getattr(ganzoo.plugins, name) is not None, name
    assert ganzoo.plugins.check_plugins is checks.check_plugins
    assert ganzoo.plugins.CheckResult is checks.CheckResult
    with pytest.raises(AttributeError, match="no_such_name"):
        ganzoo.plugins.no_such_name  # noqa: B018


def test_listing_never_imports_the_check_scheduler():
    code = (
        "import json, sys\n"
        "from ganzoo.cli import main\n"
        "try:\n"
        "    main(['list'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write('MODULES ' + json.dumps(sorted(sys.modules)) + '\\n')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GANZOO_")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    modules = json.loads(proc.stderr.strip().splitlines()[-1].removeprefix("MODULES "))
    assert "ganzoo.plugins.manager" in modules
    assert "ganzoo.plugins.checks" not in modules


def test_a_stack_dump_passes_over_all_of_ganzoo_not_only_the_loader(tmp_path):
    """The check names the plugin's frame, though ganzoo's own frames (any package of it) come first."""
    ganzoo_dir = Path(ganzoo.__file__).parent
    plugin_file = tmp_path / "ganzoo_fake_crash.py"
    dump = "\n".join([
        "Fatal Python error: Segmentation fault",
        "",
        "Current thread 0x00007f0000000000 (most recent call first):",
        f'  File "{ganzoo_dir / "cli" / "__init__.py"}", line 12 in main',
        f'  File "{ganzoo_dir / "plugins" / "manager.py"}", line 34 in _load_one',
        f'  File "{plugin_file}", line 6 in <module>',
        '  File "<frozen importlib._bootstrap>", line 241 in _call_with_frames_removed',
        "",
    ])
    assert checks._where_stopped(dump) == f"{plugin_file}:6"
