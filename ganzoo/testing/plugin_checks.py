"""Checks on a whole plugin: it loads, its hook module is torch-free, its targets import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from ganzoo.plugins import get_registry
from ganzoo.registry import KINDS
from ganzoo.testing.framework import HEAVY_MODULES, CheckContext, ConformanceError, conformance_check
from ganzoo.testing.framework import expect as _expect


@conformance_check("plugins", "loads")
def _plugin_loads(ctx: CheckContext) -> None:
    info = ctx.plugin
    assert info is not None
    if info.error:
        raise ConformanceError(f"plugin failed to load: {info.error}\n{info.details or ''}".rstrip())
    _expect(not info.clashes, "plugin names clash with earlier plugins: " + "; ".join(info.clashes))


_TORCH_FREE_SCRIPT = textwrap.dedent(
    """
    import importlib, inspect, json, sys
    module_name, _, attr = sys.argv[1].partition(":")
    obj = importlib.import_module(module_name)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    registered = []
    def register(name, target, **kwargs):
        registered.append(name)
    for hook in sys.argv[2].split(","):
        function = getattr(obj, hook, None)
        if function is None or not hasattr(function, "ganzoo_impl"):
            continue
        params = inspect.signature(function).parameters
        function(**({"register": register} if "register" in params else {}))
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[3].split(","))
    print(json.dumps({"heavy": heavy, "registered": registered}))
    """
)


@conformance_check("plugins", "hook-module-torch-free")
def _hook_module_torch_free(ctx: CheckContext) -> None:
    """Import the hook module and call its register hooks in a fresh interpreter: no torch."""
    from ganzoo.hookspecs import REGISTER_HOOKS

    info = ctx.plugin
    assert info is not None
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    proc = subprocess.run(
        [sys.executable, "-c", _TORCH_FREE_SCRIPT, info.module, ",".join(REGISTER_HOOKS), ",".join(HEAVY_MODULES)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    _expect(proc.returncode == 0, f"hook module {info.module} cannot be imported on its own:\n{proc.stderr.strip()}")
    heavy = json.loads(proc.stdout.strip().splitlines()[-1])["heavy"]
    _expect(
        not heavy,
        f"hook module {info.module} imports {', '.join(heavy[:3])}: hook modules must stay torch-free "
        f"so 'ganzoo list' stays fast; import heavy code only in the registered targets",
    )


@conformance_check("plugins", "targets-resolve")
def _targets_resolve(ctx: CheckContext) -> None:
    """Every target the plugin registered imports (``Spec.load()``)."""
    info = ctx.plugin
    assert info is not None
    broken = []
    for kind, names in info.registered.items():
        for name in names:
            try:
                get_registry(kind).get(name).load()
            except Exception as exc:
                broken.append(f"{KINDS[kind]} '{name}': {exc}")
    _expect(not broken, "targets that do not load: " + "; ".join(broken))
