"""``ganzoo space`` and ``ganzoo export`` never turn user text into code, and never replace a folder they did not make (issue 22)."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ganzoo.cli import build_cli
from ganzoo.hub.zoo import locate
from ganzoo.plugins import get_registry

HOSTILE = 'x"""; import os; os.system("touch P"); """'


def invoke(*args: str):
    return CliRunner().invoke(build_cli(), list(args))


@pytest.fixture(scope="module")
def zoo_folder() -> Path:
    from ganzoo.plugins import reset_manager

    reset_manager()
    return locate(get_registry("pretrained").get("dcgan-fashion")).folder


def _statements(app: Path) -> list[ast.stmt]:
    """``app.py``'s top-level statements, after checking they are exactly docstring, import, call."""
    tree = ast.parse(app.read_text(encoding="utf-8"))
    kinds = [type(node).__name__ for node in tree.body]
    assert kinds == ["Expr", "ImportFrom", "Expr"], ast.dump(tree)
    doc, imported, call = tree.body
    assert isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant) and isinstance(doc.value.value, str)
    assert isinstance(imported, ast.ImportFrom) and imported.module == "ganzoo.demo.app"
    assert [alias.name for alias in imported.names] == ["serve_space"]
    assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
    assert isinstance(call.value.func, ast.Name) and call.value.func.id == "serve_space"
    assert all(isinstance(arg, ast.Constant) for arg in call.value.args)
    assert all(isinstance(kw.value, ast.Constant) for kw in call.value.keywords)
    assert not any(isinstance(node, (ast.Import, ast.Attribute)) for node in ast.walk(tree))
    return tree.body


def _title(app: Path) -> str:
    call = _statements(app)[2].value
    assert isinstance(call, ast.Call)
    (title,) = [kw.value for kw in call.keywords if kw.arg == "title"]
    assert isinstance(title, ast.Constant)
    return title.value


def test_a_hostile_title_stays_a_string(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("space", "dcgan-fashion", str(tmp_path / "space"), "--title", HOSTILE)
    assert result.exit_code == 0, result.output
    for script in (tmp_path / "space").rglob("*.py"):
        ast.parse(script.read_text(encoding="utf-8"))  # every generated file parses
    assert _title(tmp_path / "space" / "app.py") == HOSTILE
    assert not (tmp_path / "P").exists()


def test_a_hostile_folder_name_stays_a_string(zoo_folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / HOSTILE
    shutil.copytree(zoo_folder, folder)
    result = invoke("space", str(folder), str(tmp_path / "space"))
    assert result.exit_code == 0, result.output
    assert _title(tmp_path / "space" / "app.py") == HOSTILE
    assert not (tmp_path / "P").exists()


def test_space_overwrite_replaces_its_own_folder_but_not_a_git_repository(tmp_path):
    space = tmp_path / "space"
    assert invoke("space", "dcgan-fashion", str(space), "--title", "one").exit_code == 0
    result = invoke("space", "dcgan-fashion", str(space), "--title", "two", "--overwrite")
    assert result.exit_code == 0, result.output
    assert _title(space / "app.py") == "two"
    (space / ".git").mkdir()
    (space / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    result = invoke("space", "dcgan-fashion", str(space), "--title", "three", "--overwrite")
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and ".git" in lines[0], result.output
    assert (space / ".git" / "HEAD").is_file() and _title(space / "app.py") == "two"


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    from ganzoo.train import TrainConfig, train

    run = tmp_path_factory.mktemp("export") / "run"
    train(TrainConfig(arch="vanilla", dataset="fake", arch_options={"hidden": [16, 32]}, data_options={"length": 16},
                      batch_size=8, max_steps=2, precision="fp32", device="cpu", quiet=True, out=str(run)))
    return run


@pytest.mark.parametrize("foreign", [".git", "notes.txt"])
def test_export_overwrite_refuses_a_folder_it_did_not_make(tiny_run, tmp_path, foreign):
    out = tmp_path / "out"
    assert invoke("export", str(tiny_run), str(out)).exit_code == 0
    before = sorted(p.name for p in out.iterdir())
    (out / foreign).mkdir() if foreign == ".git" else (out / foreign).write_text("mine")
    result = invoke("export", str(tiny_run), str(out), "--overwrite")
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and foreign in lines[0], result.output
    assert sorted(p.name for p in out.iterdir()) == sorted([*before, foreign])
    (out / foreign).rmdir() if foreign == ".git" else (out / foreign).unlink()
    assert invoke("export", str(tiny_run), str(out), "--overwrite").exit_code == 0  # its own folder: replaced
