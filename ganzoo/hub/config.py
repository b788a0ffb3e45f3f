"""A checkpoint folder's ``config.json``, parsed into a typed object by one validator.

The file may come from anywhere (a Hub repo, a download, a hand edit), so every field ganzoo
reads is checked for its type here, once, and a wrong one is a one-line
:class:`~ganzoo.errors.CheckpointError` naming the file and the field -- never a ``KeyError``
deep inside a command. The validated JSON stays available as :attr:`CheckpointConfig.data`
(what the model card, ``ganzoo pretrained NAME info`` and ``load_checkpoint`` read).

    >>> config = CheckpointConfig.read("OUT/dcgan-fashion")   # doctest: +SKIP
    >>> config.architecture.name, config.weights.generator
    ('dcgan', 'generator.safetensors')
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganzoo.errors import CheckpointError

FORMAT = "ganzoo-checkpoint"
FORMAT_VERSION = 1
CONFIG_NAME = "config.json"
WEIGHT_FILES = {
    "generator": "generator.safetensors",
    "discriminator": "discriminator.safetensors",
}
#: A checkpoint's config.json is a few KB; anything this large is refused unread.
MAX_CONFIG_BYTES = 16 * 1024 * 1024

_REDO = "re-download or re-export the checkpoint"


@dataclass(frozen=True)
class Architecture:
    """What rebuilds the model: the registered name, its keyword arguments, who provides it."""

    name: str
    kwargs: dict[str, Any]
    plugin: str | None = None
    distribution: str | None = None
    distribution_version: str | None = None


@dataclass(frozen=True)
class Weights:
    """The weight files (relative to the folder), their storage dtype and whether they are EMA."""

    generator: str = WEIGHT_FILES["generator"]
    discriminator: str | None = None
    dtype: str = "float32"
    ema: bool = False


@dataclass(frozen=True)
class DatasetRecord:
    """The dataset a model was trained on, as recorded: a name alone, or a table with split and options.

    Configs record it either way (``"fashion-mnist"`` or ``{"name": ..., "split": ...,
    "options": {...}}``, in a checkpoint's ``training.dataset`` and a run's ``dataset``);
    :meth:`of` is the one place that tells the two apart.
    """

    name: str | None
    split: str | None = None
    options: dict[str, Any] | None = None  # as recorded: None when the record has none
    info: dict[str, Any] = field(default_factory=dict)
    revision: str | None = None  # the commit of a Hub data set (hf:owner/name) the model saw

    @classmethod
    def of(cls, value: Any) -> "DatasetRecord | None":
        """``None`` for no record; a string is the name; a table gives name, split, options, info."""
        if value is None or value == {} or value == "":
            return None
        if isinstance(value, Mapping):
            name, options = value.get("name"), value.get("options")
            info = dict(value.get("info") or {})
            revision = value.get("revision") or info.get("revision")
            return cls(None if name is None else str(name), value.get("split"),
                       dict(options) if isinstance(options, Mapping) else None, info,
                       None if revision is None else str(revision))
        return cls(str(value))

    def as_training_record(self) -> dict[str, Any]:
        """What a checkpoint's ``training.dataset`` stores: name, split, options (and a Hub set's commit)."""
        record: dict[str, Any] = {"name": self.name, "split": self.split, "options": self.options}
        if self.revision:
            record["revision"] = self.revision
        return record

    @property
    def hub_repo_id(self) -> str | None:
        """``owner/name`` of a Hub data set (``hf:owner/name[@rev][:split]``), for the card's ``datasets:``."""
        if not self.name or not self.name.startswith("hf:"):
            return None
        repo = self.name[3:].split(":")[0].split("@")[0]
        parts = repo.split("/")
        return repo if len(parts) == 2 and all(parts) and not repo.startswith((".", "~")) else None


@dataclass(frozen=True)
class CheckpointConfig:
    """A validated ``config.json``; :attr:`data` is the JSON object itself (``weights`` filled in).

    The properties below are what commands and the model card read; each field's type was
    checked by :meth:`parse`, so none of them digs into :attr:`data` with its own guesses.
    """

    path: Path
    format_version: int
    architecture: Architecture
    weights: Weights
    task: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, config: "CheckpointConfig | Mapping[str, Any]",
           where: str | Path = "config.json") -> "CheckpointConfig":
        """``config`` itself, or the mapping parsed (an in-memory config, ``where`` naming it in errors)."""
        return config if isinstance(config, CheckpointConfig) else cls.parse(dict(config), where)

    @property
    def image(self) -> dict[str, Any]:
        return dict(self.data.get("image") or {})

    @property
    def image_shape(self) -> list[Any]:
        """``[channels, height, width]`` of the outputs (``None`` where the config does not say)."""
        image = self.image
        return [image.get("channels"), image.get("height"), image.get("width")]

    @property
    def latent_dim(self) -> int | None:
        """The noise size; ``None`` for image-to-image models, which take images instead."""
        if self.task == "image-to-image":
            return None
        return (self.data.get("latent") or {}).get("dim")

    @property
    def num_classes(self) -> int:
        return int(self.data.get("num_classes") or 0)

    @property
    def classes(self) -> list[str] | None:
        return self.data.get("classes")

    @property
    def metrics(self) -> list[dict[str, Any]]:
        return list(self.data.get("metrics") or [])

    @property
    def latent_distribution(self) -> str | None:
        """How latents are drawn (``"standard-normal"``); ``None`` for image-to-image models."""
        if self.latent_dim is None:
            return None
        return str((self.data.get("latent") or {}).get("distribution") or "standard-normal")

    @property
    def license(self) -> str | None:
        """The weights' licence (SPDX-like, ``"apache-2.0"``) as exported; ``None`` when not recorded."""
        return self.data.get("license")

    @property
    def data_license(self) -> str | None:
        """The training data's licence as its dataset entry declared it, when recorded."""
        return self.data.get("data_license")

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        """Every file of the folder but the card and the record: ``{name: {"sha256": ..., "size": ...}}``."""
        return {name: dict(entry) for name, entry in (self.data.get("files") or {}).items()}

    @property
    def training(self) -> dict[str, Any]:
        return dict(self.data.get("training") or {})

    @property
    def dataset(self) -> DatasetRecord | None:
        """The training dataset the checkpoint records (name, split, options), or ``None``."""
        return DatasetRecord.of(self.training.get("dataset"))

    @property
    def dataset_name(self) -> str | None:
        dataset = self.dataset
        return dataset.name if dataset else None

    @property
    def domains(self) -> dict[str, str]:
        """An image-to-image model's domain names (``{"a": "edge map", "b": "garment"}``), else ``{}``."""
        found = self.data.get("domains") or self.architecture.kwargs.get("domains") or {}
        return {str(k): str(v) for k, v in dict(found).items()} if isinstance(found, Mapping) else {}

    @property
    def directions(self) -> list[str]:
        """The directions an image-to-image model translates (``["a2b"]`` when not recorded)."""
        return [str(d) for d in self.data.get("directions") or ["a2b"]]

    @property
    def input_shape(self) -> list[Any]:
        """``[C, H, W]`` of an image-to-image model's inputs (the output shape when not recorded)."""
        return list(self.data.get("input_shape") or self.image_shape)

    @classmethod
    def read(cls, folder: str | Path) -> "CheckpointConfig":
        """Read and validate ``folder/config.json``."""
        path = Path(folder) / CONFIG_NAME
        if not path.is_file():
            raise CheckpointError(f"{folder} is not a ganzoo checkpoint: it has no {CONFIG_NAME}")
        try:
            if path.stat().st_size > MAX_CONFIG_BYTES:
                raise CheckpointError(f"{path} is {path.stat().st_size:,} bytes, far too large for a checkpoint "
                                      f"config (at most {MAX_CONFIG_BYTES:,}); {_REDO}")
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"{path} is unreadable ({exc}); {_REDO}") from None
        return cls.parse(load_json(text, path), path)

    @classmethod
    def parse(cls, data: object, path: str | Path) -> "CheckpointConfig":
        """Check every field ganzoo reads; the first wrong one is a :class:`CheckpointError`."""
        path = Path(path)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise CheckpointError(f"{path} is not a ganzoo checkpoint config (no \"format\": \"{FORMAT}\")")
        check = _Checker(path)
        version = check.value(data, "format_version", _is_int, "a whole number such as 1", default=FORMAT_VERSION)
        if version > FORMAT_VERSION:
            raise CheckpointError(
                f"{path} uses checkpoint format {version}, newer than this ganzoo understands "
                f"({FORMAT_VERSION}); upgrade ganzoo: pip install -U ganzoo"
            )
        if version < 1:
            check.fail("format_version", version, f"a format version from 1 to {FORMAT_VERSION}")
        arch = check.value(data, "architecture", _is_object, 'an object such as {"name": "dcgan", "kwargs": {}}')
        architecture = Architecture(
            name=check.value(arch, "name", _is_name, "an architecture name such as \"dcgan\"", prefix="architecture"),
            kwargs=dict(check.value(arch, "kwargs", _is_object, "an object of keyword arguments", default={},
                                    prefix="architecture")),
            plugin=check.value(arch, "plugin", _is_str_or_none, "a string or null", default=None,
                               prefix="architecture"),
            distribution=check.value(arch, "distribution", _is_str_or_none, "a string or null", default=None,
                                     prefix="architecture"),
            distribution_version=check.value(arch, "distribution_version", _is_str_or_none, "a string or null",
                                             default=None, prefix="architecture"),
        )
        raw_weights = check.value(data, "weights", _is_object, 'an object such as {"generator": '
                                  '"generator.safetensors"}', default={})
        weights = Weights(
            generator=check.value(raw_weights, "generator", _is_name, "a file name such as \"generator.safetensors\"",
                                  default=WEIGHT_FILES["generator"], prefix="weights"),
            discriminator=check.value(raw_weights, "discriminator", _is_str_or_none, "a file name or null",
                                      default=None, prefix="weights"),
            dtype=check.value(raw_weights, "dtype", _is_name, "a dtype name such as \"float32\"", default="float32",
                              prefix="weights"),
            ema=bool(check.value(raw_weights, "ema", _is_bool_or_none, "true or false", default=False,
                                 prefix="weights")),
        )
        task = check.value(data, "task", _is_str_or_none, "a task name such as \"unconditional\"", default=None)
        _check_optional_fields(data, check)
        validated = dict(data)
        validated["weights"] = {**raw_weights, "generator": weights.generator}
        return cls(path, version, architecture, weights, task, validated)


def load_json(text: str, path: str | Path) -> object:
    """JSON text to an object; invalid (or absurdly nested) JSON is a :class:`CheckpointError`."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path} is not valid JSON ({exc}); {_REDO}") from None
    except RecursionError:
        raise CheckpointError(f"{path} is not valid JSON (nested too deeply to read); {_REDO}") from None


def _check_optional_fields(data: Mapping[str, Any], check: "_Checker") -> None:
    """The fields commands and the model card read, each optional but typed when present."""
    latent = check.value(data, "latent", _is_object_or_none, 'an object such as {"dim": 100}', default=None)
    if latent:
        check.value(latent, "dim", _is_count_or_none, "a whole number or null", default=None, prefix="latent")
    image = check.value(data, "image", _is_object_or_none, 'an object such as {"channels": 1, "height": 28, '
                        '"width": 28}', default=None)
    if image:
        for key in ("channels", "height", "width"):
            check.value(image, key, _is_count_or_none, "a whole number", default=None, prefix="image")
    check.value(data, "num_classes", _is_count_or_none, "a whole number or null", default=None)
    check.value(data, "classes", _list_of(str, allow_none=True), "a list of class names or null", default=None)
    training = check.value(data, "training", _is_object_or_none, "an object or null", default=None)
    if training:
        check.value(training, "dataset", lambda v: v is None or isinstance(v, (str, dict)),
                    "a dataset name, an object or null", default=None, prefix="training")
        check.value(training, "command", _is_str_or_none, "a string or null", default=None, prefix="training")
    check.value(data, "metrics", _list_of(dict), "a list of objects such as [{\"name\": \"FID\", \"value\": 12.5}]",
                default=[])
    check.value(data, "input_shape", lambda v: _list_of(int)(v) and len(v) == 3 and all(_is_int(d) for d in v),
                "a list of 3 whole numbers [C, H, W]", default=None, optional=True)
    check.value(data, "directions", _list_of(str), "a list of direction names such as [\"a2b\"]", default=None,
                optional=True)
    check.value(data, "domains", lambda v: v is None or (isinstance(v, dict) and all(isinstance(x, str)
                                                                                      for x in v.values())),
                'an object such as {"a": "edge map", "b": "garment"}', default=None)
    for key in ("ganzoo_version", "torch_version"):
        check.value(data, key, _is_str_or_none, "a version string", default=None)
    for key in ("license", "data_license"):
        check.value(data, key, _is_str_or_none, "a licence name such as \"apache-2.0\"", default=None)
    check.value(data, "files", _is_file_table, 'an object such as {"generator.safetensors": {"sha256": "...", '
                '"size": 1024}}', default=None, optional=True)


class _Checker:
    """Reads a field, refusing a wrong type with one line naming the file, the field and the value."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def value(self, container: Mapping[str, Any], key: str, ok: Callable[[Any], bool], expected: str, *,
              default: Any = ..., prefix: str = "", optional: bool = False) -> Any:
        name = f"{prefix}.{key}" if prefix else key
        if key not in container:
            if default is ...:
                raise CheckpointError(f"{self.path} has no \"{name}\" field; {_REDO}")
            return default
        value = container[key]
        if optional and value is None:
            return default
        if not ok(value):
            self.fail(name, value, expected)
        return value

    def fail(self, name: str, value: Any, expected: str) -> None:
        raise CheckpointError(f"{self.path}: \"{name}\" must be {expected}, not {_describe(value)}; {_REDO}")


def _describe(value: Any) -> str:
    kind = {type(None): "null", bool: "a boolean", str: "a string", int: "a number", float: "a number",
            list: "a list", dict: "an object"}.get(type(value), type(value).__name__)
    if value is None:
        return kind
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, (str, int, float, bool)) else ""
    return f"{kind} {text[:40]}{'...' if len(text) > 40 else ''}".rstrip()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_count_or_none(value: Any) -> bool:
    return value is None or (_is_int(value) and value >= 0)


def _is_bool_or_none(value: Any) -> bool:
    return value is None or isinstance(value, bool)


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_str_or_none(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _is_object(value: Any) -> bool:
    return isinstance(value, dict)


def _is_file_table(value: Any) -> bool:
    """``{name: {"sha256": 64 hex digits, "size": bytes}}``, names plain (no folders, nothing hidden)."""
    if not isinstance(value, dict):
        return False
    for name, entry in value.items():
        if not isinstance(name, str) or not name or "/" in name or "\\" in name or name.startswith("."):
            return False
        if not isinstance(entry, dict) or not _is_count_or_none(entry.get("size")) or entry.get("size") is None:
            return False
        digest = entry.get("sha256")
        if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            return False
    return True


def _is_object_or_none(value: Any) -> bool:
    return value is None or isinstance(value, dict)


def _list_of(kind: type, *, allow_none: bool = False) -> Callable[[Any], bool]:
    def ok(value: Any) -> bool:
        if value is None:
            return allow_none
        return isinstance(value, list) and all(isinstance(item, kind) for item in value)

    return ok
