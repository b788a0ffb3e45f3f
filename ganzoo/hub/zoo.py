"""Zoo entries: a name that says where a checkpoint folder is, and pins its record -- no other facts.

A plugin registers a bundled model with :func:`register_bundled` from its hook module::

    @hookimpl
    def register_pretrained(register):
        register_bundled(register, __file__, "dcgan-fashion", summary="DCGAN trained on Fashion-MNIST")

The folder is ``pretrained/<name>`` beside the hook module; its record (``config.json``) says
everything else, and ``pretrained/pins.json`` (written by ``ganzoo export``, read when the model
is opened) pins the record's sha256. A Hub-only entry may pin its record with
``metadata={"record_sha256": ...}`` instead. Task and dataset become the entry's tags, read from
the record, so ``ganzoo list pretrained --tag class-conditional`` works without anyone typing them.

Entries registered the older way (a target that loads to the folder's path, ``files`` sha256s in
the metadata) still resolve: :func:`locate` reads both.

Torch-free, and cheap: hook modules run on every ``ganzoo`` command.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganzoo.hub.record import peek, read_pins
from ganzoo.registry import Spec

#: The folder, beside a plugin's hook module, that holds its bundled checkpoint folders.
BUNDLED_DIR = "pretrained"
#: Where every entry registered by :func:`register_bundled` points (its metadata names the folder).
TARGET = "ganzoo.hub.zoo:bundled_folder"


def register_bundled(register: Callable[..., None], here: str | Path, name: str, *, summary: str,
                     tags: tuple[str, ...] = (), repo_id: str | None = None, revision: str | None = None) -> None:
    """Register the checkpoint folder ``pretrained/<name>`` beside the module file ``here`` as zoo model ``name``.

    ``repo_id`` and ``revision`` name a Hub copy, used when the folder is missing or with
    ``--force-download``. ``tags`` add to the task and dataset the record gives.
    """
    zoo_dir = Path(here).resolve().parent / BUNDLED_DIR
    record = peek(zoo_dir / name)
    dataset = (record.get("training") or {}).get("dataset")
    dataset_name = dataset.get("name") if isinstance(dataset, Mapping) else dataset
    found = [str(t) for t in (record.get("task"), dataset_name) if isinstance(t, str) and t]
    metadata: dict[str, Any] = {"folder": str(zoo_dir / name)}  # its pin is read when it is opened
    if repo_id:
        metadata.update(repo_id=repo_id, revision=revision)
    register(name, TARGET, summary=summary, tags=list(dict.fromkeys([*found, *tags, "bundled"])), metadata=metadata)


def bundled_folder(spec: Spec) -> Path | None:
    """The bundled folder of an entry made by :func:`register_bundled` (what its target loads to)."""
    folder = spec.metadata.get("folder")
    return Path(str(folder)) if folder else None


@dataclass(frozen=True)
class Location:
    """Where a zoo entry's files are: a bundled folder and/or a Hub repo, and what pins them."""

    folder: Path | None
    pin: str | None = None  # sha256 of the folder's config.json (the record)
    legacy_files: dict[str, str] = field(default_factory=dict)  # {file: sha256} of entries registered before
    repo_id: str | None = None
    revision: str | None = None


def locate(spec: Spec) -> Location:
    """The :class:`Location` of zoo entry ``spec``, for entries registered either way."""
    meta: Mapping[str, Any] = spec.metadata
    if spec.target == TARGET:
        folder = bundled_folder(spec)
    else:  # an older entry: its target loads to the folder (or None for Hub-only weights)
        loaded = spec.load()
        folder = Path(str(loaded)) if loaded is not None else None
    pin = meta.get("record_sha256")
    if pin is None and folder is not None:  # the pin export wrote beside the folder (kept for Hub-only entries too)
        pin = read_pins(folder.parent).get(folder.name)
    return Location(
        folder=folder if folder is not None and folder.is_dir() else None,
        pin=pin,
        legacy_files=dict(meta.get("files") or {}),
        repo_id=meta.get("repo_id"),
        revision=meta.get("revision"),
    )


def zoo_facts(spec: Spec) -> dict[str, Any] | None:
    """:func:`~ganzoo.hub.record.facts` of a zoo entry's bundled record, unverified (for listings);
    ``None`` when the entry has no readable bundled folder (Hub-only, or broken)."""
    from ganzoo.errors import GanzooError
    from ganzoo.hub.config import CheckpointConfig
    from ganzoo.hub.record import facts

    try:
        folder = locate(spec).folder
        return facts(CheckpointConfig.read(folder)) if folder is not None else None
    except GanzooError:
        return None
