"""What is this name? One answer for every command that takes a model: zoo, Hub, checkpoint or run.

The grammar is :func:`ganzoo.hub.names.parse_source` (``dcgan-fashion``, ``hf:owner/repo@rev``,
a local folder); a local folder is then told apart by :func:`ganzoo.folders.folder_kind`: an
exported checkpoint folder, or a training run (whose checkpoint and EMA choice apply).
:func:`open_model` does both and loads the model; ``sample``, ``eval``, ``translate``,
``export`` and ``push`` all go through it.

    >>> opened = open_model("dcgan-fashion")                  # doctest: +SKIP
    >>> opened.kind, opened.model.task
    ('zoo', 'unconditional')
    >>> opened = open_model("runs/x", checkpoint="step_00000200", ema=False)   # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.errors import UsageError
from ganzoo.hub.config import CheckpointConfig, DatasetRecord
from ganzoo.hub.names import ALL_KINDS, PRETRAINED_KINDS, ModelKind, ModelName, parse_model_name

if TYPE_CHECKING:
    import torch

    from ganzoo.hub.pretrained import PretrainedGAN
    from ganzoo.models import GAN

__all__ = ["ALL_KINDS", "PRETRAINED_KINDS", "ModelKind", "ModelName", "OpenedModel", "check_run_options",
           "open_model", "parse_model_name", "recorded_classes"]


@dataclass
class OpenedModel:
    """A model loaded from a name, with what it is and where it came from.

    ``config`` is the checkpoint's ``config.json`` (zoo, Hub, checkpoint folders) or the run's
    (runs, with ``"loaded"``: checkpoint, step, EMA); ``checkpoint`` is the former parsed
    (:class:`~ganzoo.hub.config.CheckpointConfig`, ``None`` for runs); ``pretrained`` is the
    :class:`~ganzoo.hub.pretrained.PretrainedGAN` for all but runs; ``state`` is a run
    checkpoint's ``state.json`` (with ``ema_loaded``); ``provenance`` is what metrics and cards
    record about the source.
    """

    name: ModelName
    model: "GAN"
    config: dict[str, Any]
    pretrained: "PretrainedGAN | None" = None
    provenance: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    checkpoint: CheckpointConfig | None = None

    @property
    def kind(self) -> ModelKind:
        return self.name.kind

    @property
    def label(self) -> str:
        """A short human name: the zoo name, or the name as given."""
        if self.pretrained is not None and getattr(self.pretrained, "name", None):
            return str(self.pretrained.name)
        return self.name.text

    @property
    def classes(self) -> list[str] | None:
        """The class names the model was trained with (``None`` when they were not recorded)."""
        return recorded_classes(self.config)

    def sample_command(self) -> str:
        """The command that samples this model again."""
        return f"ganzoo sample {self.name.text}"


def recorded_classes(config: dict[str, Any]) -> list[str] | None:
    """Class names from a checkpoint's ``config.json`` (``classes``) or a run's (its dataset's ``info``).

    >>> recorded_classes({"dataset": {"name": "fashion-mnist", "info": {"classes": ["T-shirt/top"]}}})
    ['T-shirt/top']
    """
    names = config.get("classes")
    if not names:
        record = DatasetRecord.of(config.get("dataset"))
        names = record.info.get("classes") if record else None
    return [str(name) for name in names] if names else None


def check_run_options(name: ModelName, *, checkpoint: str | None = None, ema: bool | None = None) -> None:
    """Refuse ``--checkpoint`` and ``--ema/--no-ema`` for anything but a training run, in one line.

    >>> check_run_options(parse_model_name("dcgan-fashion"), ema=True)   # doctest: +SKIP
    UsageError: --ema/--no-ema chooses within a training run, but dcgan-fashion is a zoo model; drop it
    """
    if name.kind != "run" and (checkpoint is not None or ema is not None):
        what = "--checkpoint" if checkpoint is not None else "--ema/--no-ema"
        words = {"zoo": "a zoo model", "hub": "a Hub model", "checkpoint": "a checkpoint folder"}[name.kind]
        raise UsageError(f"{what} chooses within a training run, but {name.text} is {words}; drop it")


def open_model(text: str | Path | ModelName, *, device: "str | torch.device | None" = None, ema: bool | None = None,
               checkpoint: str | None = None, offline: bool = False, token: str | None = None,
               force_download: bool = False, accept: tuple[ModelKind, ...] = ALL_KINDS) -> OpenedModel:
    """Load the model ``text`` names, in eval mode, on ``device`` (``"auto"``, ``"cpu"`` ...; CPU by default).

    ``ema`` and ``checkpoint`` choose within a training run (the averaged generator when kept,
    the latest checkpoint by default) and are refused for other kinds; ``offline``, ``token``
    and ``force_download`` apply to zoo and Hub names. ``accept`` limits the kinds, as in
    :func:`parse_model_name`.
    """
    name = text if isinstance(text, ModelName) else parse_model_name(text, accept=accept)
    if name.kind == "run":
        from ganzoo.devices import select_device
        from ganzoo.runs.folder import load_run

        target = select_device(device) if isinstance(device, str) else (device or "cpu")
        model, config, state = load_run(name.path, ema=ema, checkpoint=checkpoint, device=target,  # type: ignore[arg-type]
                                        with_state=True)
        loaded = config.get("loaded") or {}
        provenance = {"kind": "run", "path": str(name.path), "architecture": config["architecture"]["name"],
                      "checkpoint": loaded.get("checkpoint"), "step": loaded.get("step"), "ema": loaded.get("ema")}
        return OpenedModel(name, model, config, None, provenance, state)
    check_run_options(name, checkpoint=checkpoint, ema=ema)
    from ganzoo.hub.pretrained import load_pretrained

    pretrained = load_pretrained(name, offline=offline, token=token, force_download=force_download, device=device)
    parsed = pretrained.checkpoint
    provenance = {"kind": "pretrained", "name": pretrained.name, "source": pretrained.source,
                  "architecture": parsed.architecture.name}
    return OpenedModel(name, pretrained.model, dict(pretrained.config), pretrained, provenance, checkpoint=parsed)
