"""The name grammar: zoo names, hf: repos and local folders, with odd inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ganzoo.errors import UsageError
from ganzoo.hub.names import HubName, LocalName, ZooName, parse_source


@pytest.mark.parametrize(
    "text, expected",
    [
        ("dcgan-fashion", ZooName("dcgan-fashion")),
        ("  dcgan-fashion ", ZooName("dcgan-fashion")),
        ("hf:ganzoo/dcgan-fashion", HubName("ganzoo/dcgan-fashion", None)),
        ("hf:ganzoo/dcgan-fashion@v1.0", HubName("ganzoo/dcgan-fashion", "v1.0")),
        ("hf:org/name@0123456789abcdef0123456789abcdef01234567", HubName("org/name", "0123456789abcdef0123456789abcdef01234567")),
        ("hf:org/name@refs/pr/1", HubName("org/name", "refs/pr/1")),
        ("./runs/x", LocalName(Path("./runs/x"))),
        ("/abs/folder", LocalName(Path("/abs/folder"))),
        ("a/b/c", LocalName(Path("a/b/c"))),
    ],
)
def test_parse_source_table(text, expected):
    assert parse_source(text) == expected


def test_home_folder_is_expanded():
    assert parse_source("~/models/x") == LocalName(Path.home() / "models" / "x")


def test_existing_folder_without_prefix_is_local(tmp_path, monkeypatch):
    (tmp_path / "mymodel").mkdir()
    monkeypatch.chdir(tmp_path)
    assert parse_source("mymodel") == LocalName(Path("mymodel"))


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "empty"),
        ("hf:", "bad Hub name"),
        ("hf:noslash", "bad Hub name"),
        ("hf:org/name@", "empty revision"),
        ("hf:/name", "bad Hub name"),
        ("owner/repo", "hf:owner/repo"),
    ],
)
def test_bad_names_explain_the_grammar(text, words):
    with pytest.raises(UsageError) as info:
        parse_source(text)
    assert words in str(info.value)
