"""``ganzoo.plugin``: the one module plugins import ganzoo from, torch-free and complete."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import ganzoo.plugin as api

ROOT = Path(__file__).resolve().parents[2]
#: Where plugin code lives: the built-ins and the example a new author copies.
PLUGIN_TREES = (ROOT / "plugins", ROOT / "examples" / "ganzoo-plugin-example")
ALLOWED = {"ganzoo.plugin"}
ALLOWED_IN_TESTS = {"ganzoo.plugin", "ganzoo.testing"}


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
    assert wrong == [], "import ganzoo only from ganzoo.plugin (ganzoo.testing in tests):\n" + "\n".join(wrong)


def test_the_scan_catches_an_import_from_elsewhere(tmp_path):
    bad = tmp_path / "models.py"
    bad.write_text("def f():\n    from ganzoo.models import GAN\n    import ganzoo.eval.features\n")
    assert ganzoo_imports(bad) == [(2, "ganzoo.models"), (3, "ganzoo.eval.features")]


def test_the_api_is_torch_free_at_import_and_versioned():
    code = "import sys, ganzoo.plugin as p; assert 'torch' not in sys.modules; print(p.API_VERSION)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1.1" == api.API_VERSION


@pytest.mark.parametrize("name", sorted(api.__all__))
def test_every_name_of_the_api_resolves(name):
    assert getattr(api, name) is not None


def test_the_api_covers_what_a_plugin_needs():
    needed = {"hookimpl", "GAN", "ImageToImageGAN", "Logs", "discriminator_objective", "generator_adversarial",
              "score_together", "has_batch_norm", "SharedFakes", "Objective", "AdversarialLoss", "Regulariser",
              "DatasetInfo", "InMemoryImages", "build_dataset", "check_split", "option_int", "arch_train_defaults",
              "UsageError", "PluginError", "DataUnavailableError", "Metric", "FeatureExtractor", "sha256_file"}
    assert needed <= set(api.__all__)
    from ganzoo.models import GAN

    assert api.GAN is GAN


def test_an_unknown_name_says_what_the_api_is():
    with pytest.raises(AttributeError, match=r"no attribute 'Gan'; the plugin API is: .*\bGAN\b"):
        api.Gan  # noqa: B018
