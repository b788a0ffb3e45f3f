"""``ganzoo.plugin`` (stable) and ``ganzoo.plugin_blocks`` (provisional): the modules plugins import ganzoo from.

Both are torch-free at import, and their names are written once, in their ``.pyi`` stubs; the
docs' tables, ``__all__`` and the lazy imports all follow the stubs.
"""

from __future__ import annotations

import ast
import fnmatch
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ganzoo.plugin as api
import ganzoo.plugin_blocks as blocks

ROOT = Path(__file__).resolve().parents[2]
#: Where plugin code lives: the built-ins and the example a new author copies.
PLUGIN_TREES = (ROOT / "plugins", ROOT / "examples" / "ganzoo-plugin-example")
EXAMPLE = ROOT / "examples" / "ganzoo-plugin-example"
#: The built-ins may use the provisional blocks too; the example a third party copies may not.
ALLOWED = {"ganzoo.plugin", "ganzoo.plugin_blocks"}
ALLOWED_IN_TESTS = {*ALLOWED, "ganzoo.testing"}
#: The names of ganzoo.plugin at API 1.1, before the provisional blocks moved out: each must
#: still resolve there (deprecated or not) until 2.0.
API_1_1 = {
    "API_VERSION", "AdversarialLoss", "CheckpointError", "ClassSelection", "Critic", "DataUnavailableError",
    "DatasetInfo", "FastDropout", "FeatureExtractor", "Features", "FlattenHWC", "GAN", "GanzooError", "HubError",
    "ImageToImageGAN", "InMemoryImages", "Logs", "Metric", "OVERWRITE_HELP", "Objective", "PluginError", "Register",
    "Regulariser", "SharedFakes", "ToImageHWC", "TrainingError", "UnknownNameError", "UsageError",
    "apply_spectral_norm", "arch_train_defaults", "build_dataset", "build_model", "check_distinct", "check_file",
    "check_folder", "check_image_size", "check_split", "data_home", "discriminator_objective", "example_convs",
    "example_generator", "generator_adversarial", "get_registry", "has_batch_norm", "hookimpl", "image_to_tensor",
    "init_like_dcgan_paper", "init_like_tensorflow", "live_folder", "lookup", "make_gif", "max_image_pixels",
    "open_image", "option_bool", "option_int", "read_image", "resolve_classes", "run_download", "score_together",
    "search_roots", "select_device", "sha256_file", "tensor_to_image", "to_unit_range", "tutorial_convs",
    "tutorial_generator", "warn", "write_image", "writing",
}


def _is_test(path: Path) -> bool:
    return "tests" in path.parts or path.name.startswith("test_") or path.name == "conftest.py"


def ganzoo_imports(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every import of ganzoo in ``path``, at any depth (functions too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "ganzoo"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "ganzoo":  # from ganzoo import testing / hookimpl
                found += [(node.lineno, f"ganzoo.{a.name}") for a in node.names]
            elif node.module.split(".")[0] == "ganzoo":
                found.append((node.lineno, node.module))
    return found


def test_plugins_and_the_example_import_ganzoo_only_through_the_plugin_api():
    wrong = []
    files = [p for tree in PLUGIN_TREES for p in sorted(tree.rglob("*.py"))]
    assert len(files) > 30
    for path in files:
        allowed = ALLOWED_IN_TESTS if _is_test(path) else ALLOWED
        for line, module in ganzoo_imports(path):
            if module not in allowed:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert wrong == [], ("import ganzoo only from ganzoo.plugin or ganzoo.plugin_blocks (ganzoo.testing in tests):\n"
                         + "\n".join(wrong))


def test_the_example_plugin_needs_only_the_stable_api():
    """What a third party copies must not lean on the provisional blocks."""
    found = {module for path in sorted(EXAMPLE.rglob("*.py")) for _, module in ganzoo_imports(path)}
    assert "ganzoo.plugin" in found and "ganzoo.plugin_blocks" not in found


def test_the_scan_catches_an_import_from_elsewhere(tmp_path):
    bad = tmp_path / "models.py"
    bad.write_text("def f():\n    from ganzoo.models import GAN\n    import ganzoo.eval.features\n")
    assert ganzoo_imports(bad) == [(2, "ganzoo.models"), (3, "ganzoo.eval.features")]


def test_the_api_is_torch_free_at_import_and_versioned():
    code = ("import sys, ganzoo.plugin as p, ganzoo.plugin_blocks; assert 'torch' not in sys.modules; "
            "print(p.API_VERSION)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1.2" == api.API_VERSION


@pytest.mark.parametrize("module", [api, blocks], ids=["plugin", "plugin_blocks"])
def test_the_names_are_the_stubs_explicit_re_exports(module):
    """``__all__`` and ``dir()`` are exactly what the stub declares: the one list of the names."""
    stub = Path(module.__file__).with_suffix(".pyi")
    declared = set()
    for node in ast.parse(stub.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module != "typing":
            declared |= {a.asname for a in node.names}
        elif isinstance(node, ast.AnnAssign):
            declared.add(node.target.id)
    assert set(module.__all__) == declared
    assert {n for n in dir(module) if not n.startswith("__")} == declared


@pytest.mark.parametrize("name", sorted(api.__all__))
def test_every_name_of_the_api_resolves_to_where_it_lives(name):
    value = getattr(api, name)
    source = api._EXPORTS.get(name)
    if source is not None:  # constants (API_VERSION) live in the stub itself
        assert value is getattr(__import__(source, fromlist=[name]), name)


@pytest.mark.parametrize("name", sorted(blocks.__all__))
def test_every_provisional_name_resolves(name):
    assert getattr(blocks, name) is getattr(__import__(blocks._EXPORTS[name], fromlist=[name]), name)


def test_stable_and_provisional_split_api_1_1_and_nothing_was_dropped():
    stable, provisional, moved = set(api.__all__), set(blocks.__all__), set(api._MOVED_TO_BLOCKS)
    assert not stable & provisional
    assert moved <= provisional
    assert stable | moved == API_1_1 | ADDED_IN_1_2


#: Names API 1.2 adds (a minor version only adds).
ADDED_IN_1_2 = {"register_bundled"}


@pytest.mark.parametrize("name", sorted(api._MOVED_TO_BLOCKS))
def test_a_moved_name_still_works_from_the_api_with_a_deprecation_warning(name):
    with pytest.warns(DeprecationWarning, match=rf"ganzoo\.plugin\.{name} moved to ganzoo\.plugin_blocks .* 2\.0"):
        value = getattr(api, name)
    assert value is getattr(blocks, name)
    assert name not in api.__all__ and name not in dir(api)


def test_from_import_of_a_moved_name_warns_at_the_importing_line():
    with pytest.warns(DeprecationWarning) as caught:
        from ganzoo.plugin import init_like_dcgan_paper  # noqa: F401
    assert caught[0].filename == __file__


def test_a_stub_line_the_loader_cannot_read_is_refused(tmp_path):
    (tmp_path / "api.pyi").write_text("from ganzoo.models import GAN\n")  # no 'as GAN': not a re-export
    with pytest.raises(ImportError, match="write 'from ganzoo.models import GAN as GAN'"):
        api._read_stub(str(tmp_path / "api.py"))
    (tmp_path / "api.pyi").write_text("def f() -> int: ...\n")
    with pytest.raises(ImportError, match="holds only 'from M import X as X' lines"):
        api._read_stub(str(tmp_path / "api.py"))


def _docs_table(heading: str) -> set[str]:
    """The backquoted names in the 'Names' column of the first table under ``heading`` in docs/plugins.md."""
    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    section = text[text.index(heading):]
    rows = section[section.index("| Group | Names |"):].split("\n\n")[0].splitlines()[2:]
    names = set()
    for row in rows:
        cell = row.split("|")[2]
        names |= set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", re.sub(r"\([^)]*\)", "", cell)))
    return names


def test_the_docs_tables_list_exactly_the_stubs_names():
    assert _docs_table("## The plugin API: `ganzoo.plugin`") == set(api.__all__)
    assert _docs_table("### Provisional building blocks: `ganzoo.plugin_blocks`") == set(blocks.__all__)


def test_the_stubs_ship_with_the_package():
    """setuptools copies package data by pattern: the stubs must match one, or type checkers lose the API."""
    tomllib = pytest.importorskip("tomllib")
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["*"]
    for stub in ("plugin.pyi", "plugin_blocks.pyi"):
        assert (ROOT / "ganzoo" / stub).is_file()
        assert any(fnmatch.fnmatch(stub, pattern) for pattern in patterns), stub


def test_the_api_covers_what_a_plugin_needs():
    """What docs/plugins.md's tutorials, the example plugin and tests/plugin_fixtures use, role by role."""
    needed = {
        "hook module": {"hookimpl", "Register"},
        "family": {"GAN", "ImageToImageGAN", "Logs", "Objective", "discriminator_objective", "generator_adversarial",
                   "score_together", "has_batch_norm", "SharedFakes", "UsageError"},
        "loss or regulariser": {"AdversarialLoss", "Regulariser", "Critic"},
        "dataset": {"DatasetInfo", "InMemoryImages", "check_split", "option_int", "option_bool", "resolve_classes",
                    "search_roots", "run_download", "data_home", "DataUnavailableError", "UsageError"},
        "metric or feature extractor": {"Metric", "FeatureExtractor", "Features", "sha256_file"},
        "command": {"get_registry"},
    }
    for role, names in needed.items():
        assert names <= set(api.__all__), f"a {role} needs {sorted(names - set(api.__all__))}"
    from ganzoo.models import GAN

    assert api.GAN is GAN


def test_an_unknown_name_says_what_the_api_is():
    with pytest.raises(AttributeError, match=r"no attribute 'Gan'; the plugin API is: .*\bGAN\b"):
        api.Gan  # noqa: B018
