"""One grammar for what a model name is.

``dcgan-fashion`` (a zoo entry), ``hf:owner/repo[@revision]`` (any Hub repo), or a local folder
(``./path``, ``/abs/path``, ``~/path`` or any existing directory): :func:`parse_source`. A local
folder is then an exported checkpoint or a training run (:func:`ganzoo.folders.folder_kind`):
:func:`parse_model_name` answers both questions, once, for every command, and
:func:`ganzoo.hub.resolve.open_model` loads what it names. Parsing never touches torch, the
plugin registries or the network.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ganzoo.errors import CheckpointError, UsageError
from ganzoo.folders import folder_kind

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


ModelKind = Literal["zoo", "hub", "checkpoint", "run"]
ALL_KINDS: tuple[ModelKind, ...] = ("zoo", "hub", "checkpoint", "run")
PRETRAINED_KINDS: tuple[ModelKind, ...] = ("zoo", "hub", "checkpoint")


@dataclass(frozen=True)
class ModelName:
    """A parsed model name: its ``kind`` and where it points (no I/O beyond looking at a folder)."""

    text: str
    kind: ModelKind
    path: Path | None = None  # checkpoint and run folders
    repo_id: str | None = None  # hf:
    revision: str | None = None  # hf:...@rev
    zoo: str | None = None  # zoo entries

    @property
    def source(self) -> Source:
        """The grammar's answer (:class:`ZooName`, :class:`HubName` or :class:`LocalName`)."""
        if self.kind == "zoo":
            return ZooName(str(self.zoo))
        if self.kind == "hub":
            return HubName(str(self.repo_id), self.revision)
        return LocalName(Path(str(self.path)))


def parse_model_name(text: str | Path, *, accept: Iterable[ModelKind] = ALL_KINDS) -> ModelName:
    """Classify ``text``; a local folder must exist and be a checkpoint or a run folder.

    ``accept`` is what the asking command can use; any other kind is refused in one line that
    says what to do instead. A name that is no model at all is a :class:`UsageError` (a bad
    name, a missing folder, a file) or a :class:`CheckpointError` (a folder of something else).

    >>> parse_model_name("hf:ganzoo/dcgan-fashion@v1").kind
    'hub'
    """
    accepted = tuple(accept)
    runs_only = accepted == ("run",)
    text = str(text)
    if runs_only and text.strip() and not text.strip().startswith(HF_PREFIX):
        source: Source = LocalName(_expand_home(text.strip()))  # a run is always a folder: no zoo guess
    else:
        source = parse_source(text)
    if isinstance(source, ZooName):
        return _accepted(ModelName(text, "zoo", zoo=source.name), accepted)
    if isinstance(source, HubName):
        return _accepted(ModelName(text, "hub", repo_id=source.repo_id, revision=source.revision), accepted)
    path = source.path
    if not path.is_dir():
        if runs_only:  # the words 'ganzoo sample' and 'ganzoo export' have always used
            raise CheckpointError(f"no run directory at {text}; pass the --out folder of a 'ganzoo train' run")
        what = _kinds_words(accepted)
        if path.exists():
            raise UsageError(f"{path} is a file, not {what}; give the folder itself"
                             + (" (it holds config.json and the .safetensors weights)" if "run" not in accepted
                                else ""))
        if "run" in accepted:
            raise UsageError(f"no such folder: {path}; give a zoo name ('ganzoo list pretrained'), hf:owner/repo, "
                             f"a checkpoint folder or a training run")
        raise UsageError(f"no such folder: {path}; give a zoo name ('ganzoo list pretrained'), hf:owner/repo "
                         f"or an existing checkpoint folder")
    kind = folder_kind(path, strict=True)
    if kind == "other":
        if "run" in accepted and "checkpoint" in accepted:
            raise CheckpointError(f"{path} is neither a checkpoint folder nor a training run (a checkpoint has the "
                                  f"config.json of 'ganzoo export'; a run, config.json and checkpoints/ from "
                                  f"'ganzoo train')")
        if runs_only:
            raise CheckpointError(f"{path} has no config.json, so it is not a ganzoo run directory; pass the --out "
                                  f"folder of a 'ganzoo train' run")
        raise CheckpointError(f"{path} is not a ganzoo checkpoint: it has no config.json from 'ganzoo export'")
    return _accepted(ModelName(text, kind, path=path), accepted)


def _kinds_words(kinds: tuple[ModelKind, ...]) -> str:
    local = [w for k, w in (("checkpoint", "a checkpoint folder"), ("run", "a training run")) if k in kinds]
    return " or ".join(local) or "a model folder"


def _accepted(name: ModelName, accepted: tuple[ModelKind, ...]) -> ModelName:
    """``name`` when its kind is one the command takes, else a one-line refusal with the way that works."""
    if name.kind in accepted:
        return name
    if name.kind == "run":
        raise UsageError(f"{name.text} is a training run, not a checkpoint folder; sample it with 'ganzoo sample "
                         f"{name.text}', or export it first: ganzoo export {name.text} OUT_DIR")
    words = {"zoo": "a zoo model", "hub": "a Hub model", "checkpoint": "a checkpoint folder"}[name.kind]
    raise UsageError(f"{name.text} is {words}, not a training run; use it with 'ganzoo pretrained {name.text} ...'")
