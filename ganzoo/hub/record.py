"""One record per set of weights: a checkpoint folder's ``config.json`` says every fact about it once.

The record is the folder's ``config.json`` (read and typed by
:class:`~ganzoo.hub.config.CheckpointConfig`). Besides what rebuilds the model, it lists every
other file of the folder with its sha256 and size (``files``), the licence of the weights and of
the training data, and the metrics with their provenance. A zoo entry therefore pins one hash, the
record's own, and each surface -- the model card, ``ganzoo pretrained NAME info``, ``ganzoo
list``, the zoo page, ``hubconf.py`` -- renders :func:`facts` instead of assembling its own view.
Retraining and re-exporting rewrites the record and its pin (:func:`seal`, :func:`update_pin`), so
no hash, size or licence is ever pasted by hand.

Torch-free: ``ganzoo list`` and the ONNX sampler read records without importing torch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ganzoo.errors import CheckpointError
from ganzoo.hub.config import CONFIG_NAME, CheckpointConfig
from ganzoo.io import write_json

#: The card, rendered from the record, and the record itself are the two files it does not list.
UNLISTED = frozenset({CONFIG_NAME, "README.md"})
#: The file beside a plugin's bundled zoo folders that pins each folder's record (``{name: sha256}``).
PINS_NAME = "pins.json"
#: Licence of the weights of ganzoo's own families (the ganzoo distribution's licence).
GANZOO_LICENSE = "apache-2.0"


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    import hashlib  # here: ~3 ms that `ganzoo list` does not need

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def file_table(folder: str | Path) -> dict[str, dict[str, Any]]:
    """``{name: {"sha256": ..., "size": ...}}`` for the files a record lists: all but the card and itself."""
    folder = Path(folder)
    table: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.iterdir()):
        if path.name in UNLISTED or path.name.startswith(".") or not path.is_file() or path.is_symlink():
            continue
        table[path.name] = {"sha256": sha256_file(path), "size": path.stat().st_size}
    return table


def seal(folder: str | Path) -> dict[str, Any]:
    """Write the folder's file table, and the licences when the record has none yet, into its record.

    Called last, once every file is in place: what the record lists is what the folder holds.
    Returns the record's JSON.
    """
    folder = Path(folder)
    config = CheckpointConfig.read(folder)
    data = dict(config.data)
    data.setdefault("license", weights_license(config.architecture.distribution))
    if not data.get("data_license"):
        found = data_license(config)
        if found:
            data["data_license"] = found
    data["files"] = file_table(folder)
    write_json(folder / CONFIG_NAME, data)
    return data


def verify(folder: str | Path, *, pin: str | None, source: str) -> CheckpointConfig:
    """Check the record against ``pin`` (its sha256), then every file it lists; return it, typed.

    A record without a ``files`` table (folders exported before records listed them, or made by
    hand) is checked by the pin alone.
    """
    folder = Path(folder)
    if not (folder / CONFIG_NAME).is_file():
        raise CheckpointError(f"{source}: {CONFIG_NAME} is missing; re-download with --force-download")
    if pin is not None:
        actual = sha256_file(folder / CONFIG_NAME)
        if actual != pin:
            raise CheckpointError(f"{source}: {CONFIG_NAME} failed its checksum (sha256 {actual[:12]}…, expected "
                                  f"{pin[:12]}…); the record was changed: re-download it with --force-download, "
                                  f"or reinstall the plugin")
    config = CheckpointConfig.read(folder)
    for name, entry in config.files.items():
        check_file(folder, name, entry["sha256"], source, size=entry["size"])
    return config


def verify_sha256(folder: str | Path, expected: Mapping[str, str], source: str) -> None:
    """Check files against pinned sha256 digests (``{name: sha256}``); a mismatch is refused."""
    for name, digest in expected.items():
        check_file(folder, name, digest, source)


def check_file(folder: str | Path, name: str, sha256: str, source: str, *, size: int | None = None) -> None:
    """``folder/name`` must exist and have this sha256 (and size, when given), else one-line CheckpointError."""
    path = Path(folder) / name
    if not path.is_file():
        raise CheckpointError(f"{source}: file {name} is missing; re-download with --force-download")
    digest = sha256_file(path)
    if digest != sha256 or (size is not None and path.stat().st_size != size):
        raise CheckpointError(f"{source}: {name} failed its checksum (sha256 {digest[:12]}…, expected {sha256[:12]}…); "
                              f"the file is corrupt or was changed: re-download it with --force-download")


def read_pins(zoo_dir: str | Path) -> dict[str, str]:
    """The pins a plugin's zoo folder holds (``{}`` when it has none or the file is unreadable)."""
    try:
        pins = json.loads((Path(zoo_dir) / PINS_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in pins.items()} if isinstance(pins, dict) else {}


def update_pin(folder: str | Path) -> str | None:
    """Pin ``folder``'s record in the ``pins.json`` beside it, when there is one (a bundled zoo entry).

    Returns the pinned sha256, or ``None`` when ``folder`` is not a zoo entry (no ``pins.json``).
    """
    folder = Path(folder)
    pins_path = folder.parent / PINS_NAME
    if not pins_path.is_file():
        return None
    pins = read_pins(folder.parent)
    pins[folder.name] = sha256_file(folder / CONFIG_NAME)
    write_json(pins_path, dict(sorted(pins.items())))
    return pins[folder.name]


def peek(folder: str | Path) -> dict[str, Any]:
    """The record's JSON without validation or errors (``{}`` when unreadable): for registration tags."""
    try:
        data = json.loads((Path(folder) / CONFIG_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def data_license(config: CheckpointConfig) -> str | None:
    """The training data's licence: what a Hub data set's card said, else what its dataset entry declares."""
    record = config.dataset
    if record is None or not record.name:
        return None
    if record.info.get("license"):
        return str(record.info["license"])
    from ganzoo.plugins import get_registry

    registry = get_registry("datasets")
    found = registry.get(record.name).metadata.get("license") if record.name in registry else None
    return None if found is None else str(found)


def license_of(config: CheckpointConfig) -> str:
    """The weights' licence: as recorded, else the one their family's distribution implies."""
    return config.license or weights_license(config.architecture.distribution)


def license_words(config: CheckpointConfig) -> str:
    """``"apache-2.0 (weights); fashion-mnist: MIT (data)"``: the one way every surface states the licence."""
    words = f"{license_of(config)} (weights)"
    if config.data_license:
        words += f"; {config.dataset_name or 'training data'}: {config.data_license} (data)"
    return words


def facts(config: CheckpointConfig) -> dict[str, Any]:
    """What every surface shows about a set of weights, computed once from its record.

    Sizes: ``weights_bytes`` is the safetensors files (what loading reads), ``files_bytes`` every
    listed file (what a download of the folder fetches, besides the card and the record).
    """
    training = config.training
    files = config.files
    weights_bytes = sum(int(e["size"]) for name, e in files.items() if name.endswith(".safetensors"))
    return {
        "architecture": config.architecture.name,
        "plugin": config.architecture.plugin,
        "distribution": config.architecture.distribution,
        "task": config.task,
        "image": config.image,
        "latent": None if config.latent_dim is None else {"dim": config.latent_dim,
                                                          "distribution": config.latent_distribution},
        "num_classes": config.num_classes,
        "classes": config.classes,
        "dataset": config.dataset_name,
        "license": license_of(config),
        "data_license": config.data_license,
        "license_words": license_words(config),
        "weights": dict(config.data.get("weights") or {}),
        "weights_bytes": weights_bytes or None,
        "files": [{"name": name, **entry} for name, entry in files.items()],
        "files_bytes": sum(int(e["size"]) for e in files.values()) or None,
        "training": {key: training.get(key) for key in ("command", "steps", "images_seen", "train_seconds",
                                                        "device", "cpu")},
        "metrics": config.metrics,
    }


def weights_license(distribution: str | None) -> str:
    """The licence of weights made by a family of ``distribution``: ganzoo's own, else what that
    distribution declares, else ``"other"``."""
    if distribution in (None, "", "ganzoo"):
        return GANZOO_LICENSE
    return _distribution_license(distribution) or "other"


def _distribution_license(distribution: str | None) -> str | None:
    """The SPDX-like licence a Python distribution declares (License-Expression, else License), if any."""
    from importlib import metadata

    if not distribution:
        return None
    try:
        meta = metadata.metadata(distribution)
    except metadata.PackageNotFoundError:
        return None
    for field in ("License-Expression", "License"):
        values = meta.get_all(field)  # the first, as Message.get gives it; PackageMetadata declares no get()
        value = str(values[0] if values else "").strip()
        if value and value.upper() not in ("UNKNOWN", "NONE") and len(value) <= 64 and "\n" not in value:
            return value.lower()
    return None
