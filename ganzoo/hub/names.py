"""One grammar for where a pretrained model comes from.

``dcgan-fashion`` (a zoo entry), ``hf:owner/repo[@revision]`` (any Hub repo), or a local folder
(``./path``, ``/abs/path``, ``~/path`` or any existing directory). Parsing never touches torch
or the network.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ganzoo.errors import UsageError

HF_PREFIX = "hf:"
#: Hugging Face's own rule (``huggingface_hub.utils.validate_repo_id``): ASCII letters, digits,
#: ``-``, ``_`` and ``.``, at most 96 characters a part, no ``--`` or ``..``, no ``.git`` ending.
_REPO_RE = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$", re.ASCII)


@dataclass(frozen=True)
class ZooName:
    name: str


@dataclass(frozen=True)
class HubName:
    repo_id: str
    revision: str | None = None

    def __str__(self) -> str:
        return f"{HF_PREFIX}{self.repo_id}" + (f"@{self.revision}" if self.revision else "")


@dataclass(frozen=True)
class LocalName:
    path: Path


Source = ZooName | HubName | LocalName


def parse_source(text: str) -> Source:
    """Classify ``text`` as a zoo name, a Hub repo or a local folder.

    >>> parse_source("hf:ganzoo/dcgan-fashion@v1")
    HubName(repo_id='ganzoo/dcgan-fashion', revision='v1')
    """
    text = text.strip()
    if not text:
        raise UsageError("empty model name; give a zoo name, hf:owner/repo or a folder")
    if text.startswith(HF_PREFIX):
        body = text[len(HF_PREFIX):]
        repo_id, _, revision = body.partition("@")
        if not is_repo_id(repo_id):
            raise UsageError(f"bad Hub name '{text}'; expected hf:owner/repo or hf:owner/repo@revision, where "
                             f"owner and repo use only ASCII letters, digits, '-', '_' and '.'")
        if "@" in body and not revision:
            raise UsageError(f"empty revision in '{text}'; drop the '@' or name a branch, tag or commit")
        return HubName(repo_id, revision or None)
    looks_like_path = (
        text.startswith((".", "/", "~")) or os.sep in text.rstrip(os.sep) and not _REPO_RE.match(text)
    )
    expanded = _expand_home(text)
    if looks_like_path or expanded.is_dir():
        return LocalName(expanded)
    if is_repo_id(text):
        raise UsageError(
            f"'{text}' is neither a zoo name nor a local folder; for a Hub repo write 'hf:{text}', "
            f"for a folder write './{text}'"
        )
    return ZooName(text)


def is_repo_id(text: str) -> bool:
    """Whether ``text`` is an ``owner/repo`` id the Hub accepts (checked here, not by a request)."""
    return bool(_REPO_RE.match(text)) and "--" not in text and ".." not in text and not text.endswith(".git")


def _expand_home(text: str) -> Path:
    """``~/x`` and ``~user/x`` expanded; an unknown user (or no home folder) is a usage error."""
    try:
        return Path(text).expanduser()
    except RuntimeError:  # pathlib: "Could not determine home directory."
        user = text[1:].split("/", 1)[0].split(os.sep, 1)[0]
        who = f"there is no user '{user}' on this machine" if user else "this machine has no home folder for you"
        raise UsageError(f"cannot expand '{text}': {who}; write the folder's full path instead") from None
