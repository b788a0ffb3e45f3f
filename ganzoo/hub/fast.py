"""Sampling a checkpoint folder's generator through ONNX Runtime, without importing torch.

Importing and initialising PyTorch is most of what ``ganzoo sample dcgan-fashion`` costs
(seconds, and most of a gigabyte); a 28x28 generator runs in milliseconds. So a checkpoint
folder may carry its generator as ONNX, beside the safetensors it was traced from:

``generator.onnx``
    written by ``ganzoo export`` (and ``scripts/add_zoo_onnx.py`` for the zoo's folders) with
    :func:`ganzoo.publish.onnx.write_onnx`: float32, the same graph ``ganzoo onnx`` writes.
``generator.onnx.json``
    the record that ties it to the folder: the ONNX file's sha256, its opset, its inputs and
    output, and the sha256 of every weight file and the architecture it was made from.

:func:`open_fast_sampler` uses the file only if all of that still holds (a re-exported
safetensors file, a hand-edited ONNX file or another architecture is a mismatch) and the
session's own metadata and input shapes agree with ``config.json``. Otherwise it raises
:class:`FastPathUnavailable` with the reason, and the caller samples with PyTorch: never other
pixels in silence. Zoo names (bundled folders) and checkpoint folders are resolved here without
torch; ``hf:`` names and training runs go through the PyTorch path.

    >>> sampler = open_fast_sampler("dcgan-fashion")                      # doctest: +SKIP
    >>> images = sampler.generate(z, None)                                # numpy [N, C, H, W]
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.errors import GanzooError, UsageError
from ganzoo.hub.config import CONFIG_NAME, CheckpointConfig
from ganzoo.hub.names import PRETRAINED_KINDS, ModelName, parse_model_name
from ganzoo.hub.record import sha256_file, verify, verify_sha256
from ganzoo.hub.zoo import Location, locate
from ganzoo.io import write_json

if TYPE_CHECKING:
    import numpy as np

ONNX_FILE = "generator.onnx"
ONNX_RECORD = "generator.onnx.json"
RECORD_FORMAT = "ganzoo-onnx"
RECORD_VERSION = 1
#: The opsets whose files are run; newer ones (a newer ganzoo's) fall back to PyTorch.
OPSETS = range(13, 22)
#: The facts of config.json that decide what the generator computes; the ONNX file must agree on all.
MODEL_KEYS = ("architecture", "task", "latent", "image", "num_classes")


class FastPathUnavailable(GanzooError):
    """Why a folder's ONNX generator cannot stand in for its PyTorch one.

    ``note`` is false for the ordinary reasons (onnxruntime not installed, a Hub model) and
    true when a file is missing or does not match, which the command reports in one line.
    """

    def __init__(self, reason: str, *, note: bool = True) -> None:
        super().__init__(reason)
        self.note = note


def _weight_files(config: CheckpointConfig) -> list[str]:
    """The safetensors files config.json names (generator, EMA...), whose bytes the ONNX graph holds."""
    named = (config.data.get("weights") or {}).items()
    return sorted({v for k, v in named if k != "discriminator" and isinstance(v, str) and v.endswith(".safetensors")})


def _model_facts(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: data.get(key) for key in MODEL_KEYS}


def write_record(folder: Path, *, opset: int, dtype: str = "float32") -> Path:
    """Write ``generator.onnx.json`` for the ``generator.onnx`` just written into ``folder``."""
    config = CheckpointConfig.read(folder)
    inputs: dict[str, list[Any]] = {"latent": [None, config.latent_dim]}
    if config.num_classes:
        inputs["label"] = [None]
    record = {
        "format": RECORD_FORMAT,
        "format_version": RECORD_VERSION,
        "file": ONNX_FILE,
        "sha256": sha256_file(folder / ONNX_FILE),
        "opset": opset,
        "dtype": dtype,
        "inputs": inputs,
        "output": {"image": [None, *config.image_shape]},
        "made_from": {name: sha256_file(folder / name) for name in _weight_files(config)},
        "model": _model_facts(config.data),
    }
    target = folder / ONNX_RECORD
    write_json(target, record)
    return target


@dataclass
class FastSampler:
    """A verified ONNX generator and the facts the sample command prints."""

    session: Any
    config: CheckpointConfig
    folder: Path
    name: str
    source: str

    @property
    def num_classes(self) -> int:
        return self.config.num_classes

    @property
    def latent_dim(self) -> int:
        return int(self.config.latent_dim or 0)

    def generate(self, z: "np.ndarray", labels: "np.ndarray | None") -> "np.ndarray":
        """Images ``[N, C, H, W]`` in [-1, 1] for float32 latents (and int64 labels)."""
        import numpy as np

        feed = {"latent": np.ascontiguousarray(z, dtype=np.float32)}
        if self.num_classes:
            if labels is None:
                raise UsageError("this class-conditional model needs labels")
            feed["label"] = np.ascontiguousarray(labels, dtype=np.int64)
        images: np.ndarray = self.session.run(None, feed)[0]
        return images

    def class_indices(self, wanted: Sequence[str | int]) -> list[int]:
        """Class indices for names (any case) or indices (:func:`ganzoo.noise.class_indices`)."""
        from ganzoo.noise import class_indices

        return class_indices(wanted, self.config.classes, self.num_classes)


def _find_folder(name: str | ModelName) -> tuple[Path, str, str, Location | None]:
    """``(folder, shown name, source, zoo location)`` for a zoo name or a checkpoint folder, without torch."""
    from ganzoo.plugins import get_registry

    if isinstance(name, ModelName):
        parsed = name
    else:
        try:
            parsed = parse_model_name(name, accept=PRETRAINED_KINDS)
        except GanzooError as exc:  # the PyTorch path raises the same error, with its usual wording
            raise FastPathUnavailable(str(exc), note=False) from None
    if parsed.kind == "run":
        raise FastPathUnavailable("training runs are sampled with PyTorch", note=False)
    if parsed.kind == "checkpoint":
        return Path(str(parsed.path)), parsed.text, f"local folder {parsed.path}", None
    if parsed.kind != "zoo":
        raise FastPathUnavailable("models from the Hub are sampled with PyTorch", note=False)
    spec = get_registry("pretrained").get(str(parsed.zoo))
    location = locate(spec)
    if location.folder is None:
        raise FastPathUnavailable(f"'{spec.name}' is downloaded from the Hub", note=False)
    return location.folder, spec.name, f"bundled in plugin '{spec.plugin}'", location


def open_fast_sampler(name: str | ModelName) -> FastSampler:
    """The verified ONNX generator of ``name``'s checkpoint folder; :class:`FastPathUnavailable` says why not.

    ``name`` is a zoo name or a checkpoint folder, as text or as :func:`~ganzoo.hub.names.parse_model_name`
    parsed it (a training run or a Hub name is "unavailable": those are sampled with PyTorch).
    """
    folder, shown, source, location = _find_folder(name)
    hashes: dict[str, str] = {}
    config: CheckpointConfig | None = None

    def digest(file: str) -> str:
        if file not in hashes:
            hashes[file] = sha256_file(folder / file)
        return hashes[file]

    if location is not None:  # a zoo folder: its record against the pin, its files against the record
        try:
            verify_sha256(folder, location.legacy_files, shown)  # entries that pin files, not a record
            config = verify(folder, pin=location.pin, source=shown)
        except GanzooError as exc:  # the PyTorch path names the file and what to do
            raise FastPathUnavailable(str(exc), note=False) from None
        # verify() just hashed every file the record lists: reuse those digests below, not hash them again
        hashes.update({file: entry["sha256"] for file, entry in config.files.items()})
    if config is None:  # a checkpoint folder: no pin, so nothing read it yet
        try:
            config = CheckpointConfig.read(folder)
        except GanzooError as exc:
            raise FastPathUnavailable(str(exc), note=False) from None
    if config.task not in ("unconditional", "class-conditional") or not config.latent_dim:
        raise FastPathUnavailable(f"{config.task} models are sampled with PyTorch", note=False)
    if (config.data.get("latent") or {}).get("distribution") != "standard-normal":
        raise FastPathUnavailable("only standard-normal latents are drawn for ONNX Runtime", note=False)
    try:
        import onnxruntime
    except ImportError:
        raise FastPathUnavailable("onnxruntime is not installed (pip install 'ganzoo[onnx]')", note=False) from None
    record = _read_record(folder)
    if not (folder / ONNX_FILE).is_file():
        raise FastPathUnavailable(f"{ONNX_RECORD} names {ONNX_FILE}, which is missing")
    if digest(ONNX_FILE) != record.get("sha256"):
        raise FastPathUnavailable(f"{ONNX_FILE} does not match the sha256 in {ONNX_RECORD}")
    made_from = record.get("made_from") or {}
    expected_files = _weight_files(config)
    if sorted(made_from) != expected_files:
        raise FastPathUnavailable(f"{ONNX_FILE} was made from {sorted(made_from)}, not {expected_files}")
    for file, expected in made_from.items():
        if not (folder / file).is_file() or digest(file) != expected:
            raise FastPathUnavailable(f"{ONNX_FILE} was made from other weights than {file} (re-exported?)")
    if record.get("model") != _model_facts(config.data):
        raise FastPathUnavailable(f"{ONNX_FILE} was made for another model than {CONFIG_NAME} describes")
    if record.get("opset") not in OPSETS:
        raise FastPathUnavailable(f"{ONNX_FILE} has opset {record.get('opset')}; this ganzoo runs "
                                  f"{OPSETS.start}-{OPSETS.stop - 1}")
    try:
        options = onnxruntime.SessionOptions()
        # One batch per call: spinning worker threads only steal time from the caller (measured 2x on 2 busy cores).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(str(folder / ONNX_FILE), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's errors (bad graph, unknown op) have no common base class
        raise FastPathUnavailable(f"onnxruntime cannot load {ONNX_FILE}: {str(exc).splitlines()[0][:160]}") from None
    _check_session(session, config, record)
    return FastSampler(session, config, folder, shown, source)


def _read_record(folder: Path) -> dict[str, Any]:
    path = folder / ONNX_RECORD
    if not path.is_file():
        why = f"no {ONNX_FILE} in {folder}" if not (folder / ONNX_FILE).is_file() else f"no {ONNX_RECORD} in {folder}"
        raise FastPathUnavailable(why)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FastPathUnavailable(f"{ONNX_RECORD} is unreadable ({exc})") from None
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
        raise FastPathUnavailable(f"{ONNX_RECORD} is not a ganzoo ONNX record")
    if record.get("format_version") != RECORD_VERSION:
        raise FastPathUnavailable(f"{ONNX_RECORD} has format version {record.get('format_version')}")
    return record


def _check_session(session: Any, config: CheckpointConfig, record: Mapping[str, Any]) -> None:
    """The graph's own metadata, inputs and output agree with config.json (and the record's opset)."""
    meta = dict(session.get_modelmeta().custom_metadata_map)
    try:
        described = json.loads(meta.get("ganzoo.config", "null"))
        opset = int(meta.get("ganzoo.opset", "0"))
    except ValueError:
        raise FastPathUnavailable(f"{ONNX_FILE} has unreadable ganzoo metadata") from None
    if not isinstance(described, dict) or _model_facts(described) != _model_facts(config.data):
        raise FastPathUnavailable(f"the config in {ONNX_FILE}'s metadata differs from {CONFIG_NAME}")
    if opset != record.get("opset"):
        raise FastPathUnavailable(f"{ONNX_FILE} says opset {opset}, its record {record.get('opset')}")
    inputs = {i.name: (list(i.shape), i.type) for i in session.get_inputs()}
    wanted = {"latent": ([config.latent_dim], "tensor(float)")}
    if config.num_classes:
        wanted["label"] = ([], "tensor(int64)")
    if sorted(inputs) != sorted(wanted):
        raise FastPathUnavailable(f"{ONNX_FILE} takes {sorted(inputs)}, not {sorted(wanted)}")
    for key, (dims, kind) in wanted.items():
        shape, actual = inputs[key]
        if actual != kind or list(shape[1:]) != dims or isinstance(shape[0], int):
            raise FastPathUnavailable(f"{ONNX_FILE}'s input {key} is {actual} {shape}, not [batch, *{dims}]")
    outputs = session.get_outputs()
    if len(outputs) != 1 or list(outputs[0].shape[1:]) != list(config.image_shape):
        shape = [list(o.shape) for o in outputs]
        raise FastPathUnavailable(f"{ONNX_FILE} makes {shape}, not [batch, {_dims(config.image_shape)}]")


def _dims(shape: Sequence[Any]) -> str:
    return ", ".join(str(d) for d in shape)
