"""What a local folder is: a training run, an exported checkpoint, or neither.

Both kinds carry a ``config.json`` whose ``"format"`` says which: ``ganzoo-run`` (written by
``ganzoo train``, with ``checkpoints/`` beside it) or ``ganzoo-checkpoint`` (written by
``ganzoo export``, a Hub repo's layout). Every command that accepts "a run or a checkpoint
folder" asks :func:`folder_kind`, so the answer is decided here once.

    >>> folder_kind("runs/x")             # doctest: +SKIP
    'run'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from ganzoo.errors import CheckpointError

RUN_FORMAT = "ganzoo-run"
CHECKPOINT_FORMAT = "ganzoo-checkpoint"
CONFIG_NAME = "config.json"

FolderKind = Literal["run", "checkpoint", "other"]


def folder_kind(path: str | Path, *, strict: bool = False) -> FolderKind:
    """``"run"``, ``"checkpoint"`` or ``"other"`` (a plain folder of images, say) for folder ``path``.

    A folder without ``config.json`` is a run when it has ``checkpoints/``. With ``strict``, a
    ``config.json`` that cannot be read or names another format is a one-line
    :class:`CheckpointError`; otherwise such a folder is ``"other"``.
    """
    path = Path(path)
    config = path / CONFIG_NAME
    if not config.is_file():
        return "run" if (path / "checkpoints").is_dir() else "other"
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        if strict:
            reason = "nested too deeply to read" if isinstance(exc, RecursionError) else str(exc)
            raise CheckpointError(f"{config} is not valid JSON ({reason}); is {path} a checkpoint or run "
                                  f"folder?") from None
        return "run" if (path / "checkpoints").is_dir() else "other"
    found = data.get("format") if isinstance(data, dict) else None
    if found == RUN_FORMAT:
        return "run"
    if found == CHECKPOINT_FORMAT:
        return "checkpoint"
    if strict:
        raise CheckpointError(f"{config} is neither a ganzoo checkpoint nor a run config (format {found!r})")
    return "other"
