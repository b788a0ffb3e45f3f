"""The architecture as a check: ganzoo's modules import downward only, and no two import each other.

The layers, from cheap to heavy (docs/architecture.md draws them); a module may import its own
layer's modules and those of the layers below, never above. Imports inside functions count:
grimp reads every import statement, wherever it stands. There is no list of exceptions.
"""

from __future__ import annotations

import pytest

grimp = pytest.importorskip("grimp", reason="grimp is part of the test extra")

#: (layer, modules or packages in it), lowest first. Packages include their submodules.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("ganzoo.errors", "ganzoo.io", "ganzoo.registry", "ganzoo.hookspecs", "ganzoo.version",
              "ganzoo.folders", "ganzoo.outputs")),
    ("loading", ("ganzoo.plugins",)),
    ("contracts", ("ganzoo.nn", "ganzoo.losses", "ganzoo.data", "ganzoo.translation", "ganzoo.models",
                   "ganzoo.sharing", "ganzoo.images", "ganzoo.latents", "ganzoo.noise", "ganzoo.animation", "ganzoo.examples", "ganzoo.weights", "ganzoo.devices",
                   "ganzoo.runs")),
    ("sources", ("ganzoo.hub",)),
    ("scoring", ("ganzoo.eval",)),
    ("engine", ("ganzoo.train", "ganzoo.publish")),
    # ganzoo.plugin re-exports what plugins need from every layer (lazily), so it sits on top.
    ("surfaces", ("ganzoo.cli", "ganzoo.testing", "ganzoo.plugin", "ganzoo.demo", "ganzoo.__main__", "ganzoo")),
)

#: Packages of one layer that must not import each other.
INDEPENDENT = (("ganzoo.train", "ganzoo.publish"),)


def _owner(module: str) -> str:
    """The entry of :data:`LAYERS` that holds ``module`` (the longest matching prefix)."""
    names = [name for _, names in LAYERS for name in names]
    matches = [n for n in names if module == n or module.startswith(n + ".")]
    if not matches:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/core/test_layers.py")
    return max(matches, key=len)


def _level(module: str) -> int:
    owner = _owner(module)
    return next(i for i, (_, names) in enumerate(LAYERS) if owner in names)


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("ganzoo", include_external_packages=False)


def upward_imports(graph) -> list[str]:
    found = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if _level(imported) > _level(importer):
                line = graph.get_import_details(importer=importer, imported=imported)
                where = f" (line {line[0]['line_number']}: {line[0]['line_contents']})" if line else ""
                found.append(f"{importer} [{LAYERS[_level(importer)][0]}] -> {imported} "
                             f"[{LAYERS[_level(imported)][0]}]{where}")
    return found


def test_every_module_has_a_layer(graph):
    for module in graph.modules:
        _owner(module)


def test_imports_go_downward_only(graph):
    assert upward_imports(graph) == []


def test_independent_packages_do_not_import_each_other(graph):
    for a, b in INDEPENDENT:
        for x, y in ((a, b), (b, a)):
            chains = graph.find_shortest_chains(importer=x, imported=y, as_packages=True)
            assert not chains, f"{x} reaches {y}: {sorted(chains)[:3]}"


def test_no_import_circles(graph):
    """No module reaches itself through its imports (the package's own __init__ modules aside)."""
    modules = sorted(graph.modules)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:  # Tarjan's strongly connected components, iteratively deep enough here
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    assert circles == []


def test_a_deliberate_upward_import_is_caught(graph, tmp_path, monkeypatch):
    """The check can fail: a copy of the package with one upward import reports exactly that import."""
    import shutil
    import sys
    from pathlib import Path

    import ganzoo

    before = set(upward_imports(graph))
    copy = tmp_path / "ganzoo"
    shutil.copytree(Path(ganzoo.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    errors = copy / "errors.py"
    errors.write_text(errors.read_text() + "\n\ndef _upward():\n    from ganzoo.train.config import TrainConfig\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m == "ganzoo" or m.startswith("ganzoo.")]:
        monkeypatch.delitem(sys.modules, name)
    after = set(upward_imports(grimp.build_graph("ganzoo", include_external_packages=False, cache_dir=None)))
    new = sorted(after - before)
    assert len(new) == 1 and new[0].startswith("ganzoo.errors [base] -> ganzoo.train.config [engine]"), new
