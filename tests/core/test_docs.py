"""The documentation stays true: these tests fail when the docs and the code drift apart.

* every hook in :mod:`ganzoo.hookspecs` has a heading with its exact signature in
  ``docs/plugins.md``;
* ``docs/cli.md`` is exactly what ``scripts/gen_cli_docs.py`` writes from the command tree now;
* the runnable Python examples of ``docs/python-api.md`` run;
* every relative link in ``docs/*.md`` and ``README.md`` points at a file that exists, and at a
  heading that exists when it names one.
"""

from __future__ import annotations

import difflib
import importlib.util
import inspect
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

#: Pages other people are writing now. Links to them are let through while the page does not
#: exist; once it does, it is checked like any other. Remove a name when its page lands.
PENDING: set[str] = set()

#: A ```python block of python-api.md that contains this marker is shown, not run.
NOT_RUN = "# not run"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_cli_docs", ROOT / "scripts" / "gen_cli_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_cli_docs = _load_generator()


# -- Markdown helpers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeBlock:
    language: str
    line: int  # 1-based line of the opening fence
    code: str


_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")


def code_blocks(text: str) -> list[CodeBlock]:
    """Fenced code blocks, with their info string's language and where they start."""
    blocks, lines = [], text.splitlines()
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        indent, fence, language = match.groups()
        start, body = index, []
        index += 1
        while index < len(lines) and not lines[index].strip().startswith(fence):
            line = lines[index]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            index += 1
        blocks.append(CodeBlock(language, start + 1, "\n".join(body) + "\n"))
        index += 1
    return blocks


def prose(text: str) -> str:
    """``text`` with fenced blocks and inline code blanked out (line numbers are kept)."""
    out, fence = [], None
    for line in text.splitlines():
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(2)
            out.append("")
        elif fence is not None:
            if line.strip().startswith(fence):
                fence = None
            out.append("")
        else:
            out.append(re.sub(r"(`+).*?\1", "", line))
    return "\n".join(out)


def headings(text: str) -> list[str]:
    """The text of every ATX heading outside code blocks."""
    found, fence = [], None
    for line in text.splitlines():
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(2)
        elif fence is not None:
            if line.strip().startswith(fence):
                fence = None
        elif heading := re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line):
            found.append(heading.group(1))
    return found


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown file."""
    seen: dict[str, int] = {}
    return {gen_cli_docs.github_slug(heading, seen) for heading in headings(path.read_text(encoding="utf-8"))}


# -- (a) every hook is documented under its exact signature ----------------------------------------


def hook_signatures() -> dict[str, str]:
    """``{"register_commands": "register_commands(cli)", ...}`` for every declared hookspec."""
    from ganzoo import hookspecs

    marker = f"{hookspecs.hookspec.project_name}_spec"
    return {
        name: f"{name}({', '.join(inspect.signature(function).parameters)})"
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, marker)
    }


def test_hookspecs_are_found():
    signatures = hook_signatures()
    assert "register_architectures" in signatures and len(signatures) >= 6, signatures


def test_every_hook_is_documented_under_its_signature():
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    documented = {heading.strip("`") for heading in headings(text) if re.fullmatch(r"`\w+\(.*\)`", heading)}
    missing = sorted(sig for sig in hook_signatures().values() if sig not in documented)
    assert not missing, (
        f"docs/plugins.md has no heading for hook(s) {', '.join(missing)}; add a section "
        f"'### `<signature>`' with its arguments, when it is called, what it returns and an example"
    )


def test_plugins_md_documents_no_hook_that_does_not_exist():
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    names = set(hook_signatures())
    stale = []
    for heading in headings(text):
        match = re.fullmatch(r"`(\w+)\((.*)\)`", heading)
        if match and match.group(1) not in names:
            stale.append(heading)
    assert not stale, f"docs/plugins.md documents hooks that ganzoo.hookspecs does not declare: {stale}"


# -- (b) the CLI reference is generated from the code ---------------------------------------------


def test_cli_reference_is_up_to_date():
    expected = gen_cli_docs.render()
    current = (DOCS / "cli.md").read_text(encoding="utf-8") if (DOCS / "cli.md").exists() else ""
    if current != expected:
        diff = "".join(list(difflib.unified_diff(
            current.splitlines(keepends=True), expected.splitlines(keepends=True),
            "docs/cli.md (committed)", "docs/cli.md (generated)"))[:60])
        pytest.fail(f"docs/cli.md is out of date: run 'python scripts/gen_cli_docs.py'\n{diff}")


def test_cli_reference_covers_nested_commands():
    """Groups with arguments before their subcommands render as the user types them."""
    text = gen_cli_docs.render()
    assert "### `ganzoo pretrained NAME sample`" in text
    assert "Usage: ganzoo pretrained NAME sample [OPTIONS]" in text
    assert "| `-n, --num INTEGER RANGE` |" in text


def test_cli_reference_leaves_out_third_party_plugins(tmp_path, monkeypatch):
    """An installed plugin's commands must not leak into the generated page."""
    from plugin_fixtures import FIXTURES_DIR, install_fakes

    from ganzoo.cli import build_cli
    from ganzoo.plugins import reset_manager

    site = install_fakes(tmp_path / "site", ["good"])  # its plugin adds the command 'hello'
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(FIXTURES_DIR))
    monkeypatch.delenv("GANZOO_LOAD_PLUGINS", raising=False)
    try:
        reset_manager()
        assert "hello" in build_cli().commands  # installed and loaded ...
        text = gen_cli_docs.render()
        assert "hello" not in text  # ... yet not documented
        assert os.environ.get("GANZOO_LOAD_PLUGINS") is None  # and the environment is restored
    finally:
        for module in [m for m in sys.modules if m.startswith("ganzoo_fake_")]:
            del sys.modules[module]


def test_escape_keeps_text_literal():
    escape = gen_cli_docs.escape
    assert escape("GANZOO_LOAD_PLUGINS=''") == "GANZOO_LOAD_PLUGINS=''"
    assert escape("ganzoo list '*gan*'") == r"ganzoo list '\*gan\*'"
    assert escape("a|b <tag> 1<=x") == r"a\|b \<tag> 1<=x"
    assert escape("_private_") == r"\_private\_"


# -- (c) the Python API examples run ---------------------------------------------------------------


def api_examples() -> list[CodeBlock]:
    text = (DOCS / "python-api.md").read_text(encoding="utf-8")
    return [b for b in code_blocks(text) if b.language == "python" and NOT_RUN not in b.code]


def test_python_api_has_runnable_examples():
    assert len(api_examples()) >= 6


@pytest.mark.parametrize("block", api_examples(), ids=lambda b: f"python-api.md:{b.line}")
def test_python_api_example_runs(block, tmp_path, monkeypatch, ganzoo_home):
    from ganzoo.plugins import get_registry

    if "dcgan-fashion" in block.code and "dcgan-fashion" not in get_registry("pretrained"):
        pytest.skip("the pretrained dcgan-fashion is not registered yet")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code = compile(block.code, f"docs/python-api.md:{block.line}", "exec")
    exec(code, {"__name__": "__docs__"})


# -- (d) relative links point at files and headings that exist -------------------------------------

_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\".*\")?\s*$", re.MULTILINE)


def markdown_pages() -> list[Path]:
    return sorted(DOCS.glob("*.md")) + [ROOT / "README.md"]


def links(path: Path) -> list[tuple[int, str]]:
    """``(line, target)`` of every inline and reference link outside code."""
    text = prose(path.read_text(encoding="utf-8"))
    found = []
    for pattern in (_LINK, _REFERENCE):
        for match in pattern.finditer(text):
            found.append((text.count("\n", 0, match.start()) + 1, match.group(1)))
    return sorted(found)


def broken_links(path: Path, root: Path = ROOT, pending: set[str] = PENDING) -> list[str]:
    problems, root = [], root.resolve()
    for line, target in links(path):
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        file_part, _, fragment = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.resolve().relative_to(root)}:{line}: '{target}'"
        try:
            relative = resolved.relative_to(root).as_posix()
        except ValueError:
            problems.append(f"{where} leaves the repository")
            continue
        if not resolved.exists():
            if relative not in pending:
                problems.append(f"{where} points at {relative}, which does not exist")
            continue
        if fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            problems.append(f"{where} names heading #{fragment}, which {relative} does not have")
    return problems


def test_links_are_found():
    targets = [target for _, target in links(DOCS / "index.md")]
    assert "getting-started.md" in targets and "plugins.md" in targets


@pytest.mark.parametrize("page", markdown_pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(page):
    problems = broken_links(page)
    assert not problems, "broken links:\n" + "\n".join(problems)


def test_link_checker_catches_broken_links(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other page\n\n## The `register` callback\n")
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "# Title\n\n"
        "[ok](#title) [ok](other.md#the-register-callback) [ok](https://example.org/x.md) [later](soon.md)\n"
        "`[code span](nowhere.md)`\n\n```\n[in a block](missing.md)\n```\n\n"
        "[bad anchor](#nope) [bad file](missing.md) [bad heading](other.md#other) [out](../../x.md)\n"
    )
    problems = broken_links(page, root=tmp_path, pending={"docs/soon.md"})
    assert len(problems) == 4, problems
    report = "\n".join(problems)
    for expected in ("heading #nope", "docs/missing.md, which does not exist", "heading #other",
                     "'../../x.md' leaves the repository"):
        assert expected in report


def test_zoo_page_is_up_to_date():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_zoo_docs.py"), "--check"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
