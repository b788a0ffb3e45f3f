"""The options of a training run, in one dataclass shared by the CLI, config files and the API.

:class:`TrainConfig` is torch-free, so ``ganzoo train --help`` can show its defaults without
importing torch. Command-line options, ``--config`` files (JSON or TOML) and Python callers all
produce the same object; ``config.json`` of a run directory stores it, so a run can be resumed
or rebuilt from its folder alone.

**Family training defaults.** An architecture may declare the recipe it is meant to be trained
with in its registry metadata, ``"train_defaults": {FIELD: value}`` (``wgan-gp`` brings the
Wasserstein loss, a gradient penalty of 10, ``n_critic`` 5 and its Adam settings). The order of
precedence is: the defaults of this class < the family's ``train_defaults`` < a ``--config``
file < the command line; a resumed run keeps the values saved in its ``config.json``.
:func:`layered_config` is the one place that order is coded: ``ganzoo train`` and
:meth:`TrainConfig.for_arch` both call it, while the plain constructor does not apply family
defaults (it cannot tell a value you passed from a default)::

    >>> cfg = TrainConfig("vanilla", "fashion-mnist", max_steps=200, out="runs/x")
    >>> cfg = TrainConfig.for_arch("wgan-gp", "fashion-mnist", max_steps=200)   # doctest: +SKIP
    >>> cfg = TrainConfig.from_file("train.toml", overrides={"seed": 3})       # doctest: +SKIP
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import json
import math
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganzoo.errors import PluginError, UsageError

OPTIMIZERS = ("adam", "rmsprop")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
#: Where a run's curves go besides metrics.jsonl (which is always written).
LOGGERS = ("jsonl", "tensorboard")
LR_SCHEDULES = ("constant", "linear", "cosine", "linear-decay")

#: Spellings accepted in config files besides the field names (``--set`` is ``arch_options`` ...).
ALIASES = {"set": "arch_options", "data": "data_options", "reg": "regularisers",
           "regularizers": "regularisers", "architecture": "arch", "optimiser": "optimizer",
           "checkpoint": "resume_checkpoint"}

#: Fields a family's ``train_defaults`` may not set: they name the run, not the recipe.
NOT_FAMILY_DEFAULTS = ("arch", "dataset", "out", "resume", "overwrite", "resume_checkpoint", "argv")

#: Fields about one command, not the run: left out of ``config.json``, so a resume never inherits them.
NOT_SAVED = ("quiet", "resume", "overwrite", "resume_checkpoint")

#: What each field holds: description -> (types, fields); mappings and choices are checked on their own.
_NULL = type(None)
_FIELD_KINDS: dict[str, tuple[tuple[type, ...], tuple[str, ...]]] = {
    "a string": ((str,), ("arch", "dataset", "split", "loss", "device", "eval_feature", "augment", "logger")),
    "a string or null": ((str, _NULL), ("out", "eval_reference", "resume_checkpoint")),
    "an integer": ((int,), ("seed", "batch_size", "n_critic", "sample_count", "log_every", "sample_every",
                            "checkpoint_every", "keep_checkpoints", "num_workers", "eval_every", "eval_samples",
                            "ada_speed", "standing_batches")),
    "an integer or null": ((int, _NULL), ("epochs", "max_steps")),
    "a finite number": ((int, float), ("lr_g", "lr_d", "clip_grad", "label_smoothing", "label_noise",
                                       "instance_noise", "ema_decay", "augment_p", "ada_target", "max_minutes")),
    "true or false": ((bool,), ("anneal_instance_noise", "sync_bn", "resume", "overwrite", "tensorboard", "quiet")),
    "true, false or null": ((bool, _NULL), ("channels_last",)),
    "a list of strings": ((list,), ("argv",)),
}

#: The most images a sample grid may hold (``--samples``): beyond it a grid is too big to look at.
MAX_SAMPLE_COUNT = 1024
#: Seeds are integers in [0, MAX_SEED], which every RNG seeded from them accepts with room to spare.
MAX_SEED = 2**62

#: Fields that define what is being trained; a resumed run cannot change them.
LOCKED_ON_RESUME = ("arch", "arch_options", "dataset", "data_options", "split", "batch_size", "loss",
                    "regularisers", "n_critic", "optimizer", "betas", "seed", "ema_decay",
                    "label_smoothing", "label_noise", "instance_noise", "anneal_instance_noise",
                    "lr_schedule", "sync_bn", "augment", "augment_p", "ada_target", "ada_speed",
                    "standing_batches")


@dataclass
class TrainConfig:
    """Everything a training run needs; field names are the CLI options with ``_`` for ``-``.

    ``epochs`` and ``max_steps`` set the budget (``max_steps`` wins; neither means 5 epochs).
    ``max_minutes`` adds a wall-clock budget for the step loop (setup excluded), so that runs of
    different families can be compared at equal cost; alone, it is the only budget.
    A *step* is one generator update, which follows ``n_critic`` discriminator updates, each on
    its own batch. ``batch_size`` is per process under ``torchrun``. ``channels_last=None`` means
    "on for models with convolutions"; ``precision="auto"`` means bf16 autocast where the
    hardware runs it fast (CUDA with bf16, CPUs with AMX or AVX512-BF16), else fp32.
    ``eval_every=N`` scores the (EMA) generator with ``eval_metric`` every N steps (0 = never)
    against ``eval_reference`` (default ``DATASET:test``) and keeps the best checkpoint.
    ``resume_checkpoint`` (``--checkpoint``) picks what ``resume`` continues from (default: the
    newest readable checkpoint). ``augment`` names DiffAugment policies applied to every image
    the discriminator sees (``"translation,cutout"``), each image with probability
    ``augment_p``; ``ada_target > 0`` tunes that probability as ADA does (starting from 0 unless
    ``augment_p`` is set below 1), moving it by up to 1 per ``ada_speed`` real images.
    ``standing_batches`` batches of 64 re-estimate the EMA generator's batch-norm statistics
    before it is saved, sampled or scored (0 = copy the live generator's instead).
    """

    arch: str = ""
    dataset: str = ""
    arch_options: dict[str, Any] = field(default_factory=dict)
    data_options: dict[str, Any] = field(default_factory=dict)
    split: str = "train"
    out: str | None = None
    epochs: int | None = None
    max_steps: int | None = None
    #: Wall-clock budget of the step loop in minutes (0 = none); with a step budget, whichever ends first.
    max_minutes: float = 0.0
    batch_size: int = 64
    loss: str = "non-saturating"
    regularisers: dict[str, float] = field(default_factory=dict)
    n_critic: int = 1
    optimizer: str = "adam"
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    clip_grad: float = 0.0
    lr_schedule: str = "constant"
    label_smoothing: float = 0.0
    label_noise: float = 0.0
    instance_noise: float = 0.0
    anneal_instance_noise: bool = True
    augment: str = ""
    augment_p: float = 1.0
    ada_target: float = 0.0
    ada_speed: int = 100_000
    ema_decay: float = 0.0
    standing_batches: int = 32
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    channels_last: bool | None = None
    sync_bn: bool = False
    num_workers: int = 0
    sample_every: int = 0
    sample_count: int = 64
    checkpoint_every: int = 500
    keep_checkpoints: int = 3
    log_every: int = 50
    eval_every: int = 0
    eval_samples: int = 2000
    eval_metric: str = "fid"
    eval_reference: str | None = None
    #: ``""``: the evaluation dataset's own extractor (:func:`ganzoo.eval.names.default_feature`).
    eval_feature: str = ""
    resume: bool = False
    overwrite: bool = False
    resume_checkpoint: str | None = None
    tensorboard: bool = False
    #: ``"tensorboard"`` also writes TensorBoard event files (the same as ``tensorboard = true``).
    logger: str = "jsonl"
    quiet: bool = False
    argv: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        try:
            self.betas = tuple(float(b) for b in self.betas)  # type: ignore[assignment]
        except (TypeError, ValueError):
            raise UsageError(f"betas must be two numbers in [0, 1), like 0.5,0.999; got {self.betas!r}") from None
        if isinstance(self.resume_checkpoint, int) and not isinstance(self.resume_checkpoint, bool):
            self.resume_checkpoint = str(self.resume_checkpoint)  # ``checkpoint = 200`` in a file
        for name in ("out", "eval_reference"):  # a pathlib.Path from Python callers
            if isinstance(getattr(self, name), os.PathLike):
                setattr(self, name, os.fspath(getattr(self, name)))
        self.validate()

    @property
    def wants_tensorboard(self) -> bool:
        """Whether the run writes TensorBoard event files (``--logger tensorboard`` or ``--tensorboard``)."""
        return self.tensorboard or self.logger == "tensorboard"

    def hyperparameters(self) -> dict[str, Any]:
        """The settings that tell runs apart, as flat scalars (TensorBoard's hparams table)."""
        keys = ("arch", "dataset", "loss", "lr_g", "lr_d", "batch_size", "n_critic", "optimizer", "ema_decay",
                "augment", "precision", "seed", "max_steps", "epochs")
        out: dict[str, Any] = {k: getattr(self, k) for k in keys if getattr(self, k) is not None}
        out["betas"] = ",".join(f"{b:g}" for b in self.betas)
        out.update({f"arch.{k}": v if isinstance(v, (int, float, str, bool)) else str(v)
                    for k, v in sorted(self.arch_options.items())})
        return out

    # -- checking ------------------------------------------------------------------------------
    def validate(self) -> None:
        """Raise :class:`UsageError` for values that cannot mean anything."""
        self._check_types()
        for name, choices in (("optimizer", OPTIMIZERS), ("precision", PRECISIONS),
                              ("lr_schedule", LR_SCHEDULES), ("logger", LOGGERS)):
            if getattr(self, name) not in choices:
                raise UsageError(f"{name} must be one of {', '.join(choices)}, got {getattr(self, name)!r}")
        for name in ("batch_size", "n_critic", "sample_count", "log_every"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise UsageError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        for name in ("epochs", "max_steps"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise UsageError(f"{name} must be a positive integer, got {value!r}")
        for name in ("sample_every", "checkpoint_every", "keep_checkpoints", "num_workers", "eval_every"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 0:
                raise UsageError(f"{name} must be an integer >= 0, got {getattr(self, name)!r}")
        if self.max_minutes < 0:
            raise UsageError(f"max_minutes must be >= 0 (0 = no clock budget), got {self.max_minutes}")
        if self.clock_only and (self.lr_schedule != "constant" or (self.instance_noise and self.anneal_instance_noise)):
            raise UsageError("a learning-rate schedule or annealed instance noise needs a step budget to run to; "
                             "add --max-steps (or --epochs) beside --max-minutes")
        for name in ("lr_g", "lr_d"):
            if not (isinstance(getattr(self, name), (int, float)) and getattr(self, name) > 0):
                raise UsageError(f"{name} must be a positive number, got {getattr(self, name)!r}")
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise UsageError(f"betas must be two numbers in [0, 1), like 0.5,0.999; got {self.betas!r}")
        from ganzoo.nn.policies import parse_policy

        self.augment = ",".join(parse_policy(self.augment))
        if not 0.0 <= self.augment_p <= 1.0:
            raise UsageError(f"augment_p is a probability in [0, 1], got {self.augment_p}")
        if not 0.0 <= self.ada_target < 1.0:
            raise UsageError(f"ada_target must be in [0, 1) (ADA uses 0.6; 0 = off), got {self.ada_target}")
        if self.ada_target and not self.augment:
            raise UsageError("--ada-target tunes the probability of --augment; add --augment translation,cutout "
                             "(or another policy)")
        if self.ada_speed < 1 or self.standing_batches < 0:
            raise UsageError(f"ada_speed must be >= 1 and standing_batches >= 0, got {self.ada_speed} and "
                             f"{self.standing_batches}")
        if not 0 <= self.ema_decay < 1:
            raise UsageError(f"ema_decay must be in [0, 1) (0 turns EMA off), got {self.ema_decay}")
        if self.clip_grad < 0 or not math.isfinite(self.clip_grad):
            raise UsageError(f"clip_grad must be >= 0 (0 = off), got {self.clip_grad}")
        if not isinstance(self.eval_samples, int) or isinstance(self.eval_samples, bool) or self.eval_samples < 2:
            raise UsageError(f"eval_samples must be an integer >= 2, got {self.eval_samples!r}")
        if not isinstance(self.eval_metric, str) or not self.eval_metric.strip() or "," in self.eval_metric:
            raise UsageError(f"eval_metric must name one metric (fid, kid, is ...), got {self.eval_metric!r}")
        if self.resume and self.overwrite:
            raise UsageError("--resume and --overwrite contradict each other; pick one")
        if self.resume_checkpoint is not None and not self.resume:
            raise UsageError(f"--checkpoint {self.resume_checkpoint} picks where --resume continues from; "
                             f"add --resume, or drop --checkpoint")
        if self.sample_count > MAX_SAMPLE_COUNT:
            raise UsageError(f"--samples {self.sample_count} is too many for one sample grid (at most "
                             f"{MAX_SAMPLE_COUNT}); for many images, sample the trained run with "
                             f"'ganzoo sample RUN -n N --save-dir DIR'")
        if not 0 <= self.seed <= MAX_SEED:
            raise UsageError(f"--seed {self.seed} is out of range; use an integer from 0 to {MAX_SEED} (2**62)")

    @property
    def clock_only(self) -> bool:
        """True when ``max_minutes`` is the only budget: no step count ends the run."""
        return bool(self.max_minutes) and not self.max_steps and not self.epochs

    def _check_types(self) -> None:
        """Values of the wrong kind (from a config file, say) as one line each, before they are used."""
        def bad(name: str, wanted: str) -> UsageError:
            return UsageError(f"training option {name} must be {wanted}, got {getattr(self, name)!r}")

        for name in ("arch_options", "data_options", "regularisers"):
            if not isinstance(getattr(self, name), Mapping):
                raise bad(name, "a table of KEY = VALUE options (set, data or reg in a config file)")
        for reg, weight in self.regularisers.items():
            if weight is not None and (isinstance(weight, bool) or not isinstance(weight, (int, float))
                                       or not math.isfinite(weight)):
                raise UsageError(f"the weight of regulariser {reg} must be a number, like {reg} = 10, got "
                                 f"{weight!r}")
        for wanted, (types, names) in _FIELD_KINDS.items():
            for name in names:
                value = getattr(self, name)
                if (not isinstance(value, types) or (isinstance(value, bool) and bool not in types)
                        or (isinstance(value, float) and not math.isfinite(value))):
                    raise bad(name, wanted)

    # -- conversions ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict of every field."""
        data = dataclasses.asdict(self)
        data["betas"] = list(self.betas)
        return data

    def run_dict(self) -> dict[str, Any]:
        """What ``config.json`` stores under ``"train"``: :meth:`to_dict` without :data:`NOT_SAVED`."""
        return {k: v for k, v in self.to_dict().items() if k not in NOT_SAVED}

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, overrides: Mapping[str, Any] | None = None) -> TrainConfig:
        """Build from a mapping (file contents, ``config.json``); ``overrides`` win.

        Keys may use dashes (``lr-g``) or the CLI names ``set``/``data``/``reg``; unknown keys
        are an error naming the close matches.
        """
        merged = {**normalise_keys(data), **normalise_keys(overrides or {})}
        try:
            return cls(**merged)
        except TypeError as exc:
            raise UsageError(f"bad training options: {exc}") from None

    @classmethod
    def from_file(cls, path: str | Path, *, overrides: Mapping[str, Any] | None = None) -> TrainConfig:
        """Read a JSON or TOML file of options (``--config FILE``); ``overrides`` win."""
        return cls.from_dict(read_config_file(path), overrides=overrides)

    @classmethod
    def for_arch(cls, arch: str, dataset: str = "", **options: Any) -> TrainConfig:
        """A config for ``arch`` with its family's training defaults; ``options`` win over them.

        What ``ganzoo train ARCH`` does: for ``wgan-gp`` this gives the Wasserstein loss, a
        gradient penalty of 10, five critic updates per step and Adam(1e-4, betas 0.5/0.9),
        unless ``options`` say otherwise.

        >>> cfg = TrainConfig.for_arch("wgan-gp", "fashion-mnist", max_steps=500)   # doctest: +SKIP
        >>> cfg.loss, cfg.n_critic, cfg.regularisers                                 # doctest: +SKIP
        ('wasserstein', 5, {'gradient-penalty': 10.0})
        """
        return layered_config(overrides={"arch": arch, "dataset": dataset, **options})

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    @property
    def eval_reference_name(self) -> str:
        """What evaluation during training compares with: ``eval_reference``, else ``DATASET:test``."""
        return self.eval_reference or f"{self.dataset}:test"


def default_run_dir(arch: str, dataset: str) -> Path:
    """Where a run goes without ``--out``: ``runs/ARCH-DATASET``."""
    return Path("runs") / f"{arch}-{dataset}"


def layered_config(file_options: Mapping[str, Any] | None = None, *,
                   overrides: Mapping[str, Any] | None = None) -> TrainConfig:
    """The one order of precedence for training options, applied for the CLI and the API.

    TrainConfig's defaults < the family's ``train_defaults`` < ``file_options`` (a ``--config``
    file) < ``overrides`` (what the user typed, or passed in Python). With ``resume`` set, the
    run's saved ``config.json`` takes the place of both kinds of defaults: the file and the
    overrides still win over it, and a new ``epochs`` without ``max_steps`` replaces a saved
    step budget.

    >>> layered_config({"n_critic": 3}, overrides={"arch": "wgan-gp", "dataset": "fake"}).loss  # doctest: +SKIP
    'wasserstein'
    """
    base = normalise_keys(file_options or {})
    explicit = normalise_keys(overrides or {})
    config = TrainConfig.from_dict(base, overrides=explicit)
    if config.resume:
        return _resumed_config(config, base, explicit)
    family = arch_train_defaults(config.arch) if config.arch else {}
    if family:
        config = TrainConfig.from_dict({**family, **base}, overrides=explicit)
    return config


def _resumed_config(config: TrainConfig, base: Mapping[str, Any], explicit: Mapping[str, Any]) -> TrainConfig:
    """The saved options of the run being resumed, under the file's and the user's."""
    from ganzoo.errors import CheckpointError
    from ganzoo.runs.folder import read_run_config

    if not config.out and not (config.arch and config.dataset):
        raise UsageError("--resume needs the run directory: pass --out DIR")
    out = config.out or str(default_run_dir(config.arch, config.dataset))
    saved = read_run_config(out).get("train")
    if not isinstance(saved, dict):
        raise CheckpointError(f"{out}/config.json has no \"train\" table of options, so the run cannot be "
                              f"resumed; restore it from a backup, or start again with --overwrite")
    saved = {k: v for k, v in saved.items() if k not in NOT_SAVED}  # older runs saved --quiet too
    if "epochs" in explicit and "max_steps" not in explicit:
        saved["max_steps"] = None  # a new --epochs budget replaces the saved step budget
    return TrainConfig.from_dict({**saved, "resume": False, "overwrite": False},
                                 overrides={**base, **explicit, "out": out})


def arch_train_defaults(arch: str) -> dict[str, Any]:
    """The training defaults architecture ``arch`` declares, checked; ``{}`` when none.

    An unknown architecture raises :class:`~ganzoo.errors.UnknownNameError`; defaults that are
    not valid training options raise :class:`~ganzoo.errors.PluginError` naming the plugin.

    >>> arch_train_defaults("wgan-gp")["n_critic"]   # doctest: +SKIP
    5
    """
    if not arch:
        return {}
    from ganzoo.plugins import get_registry

    defaults, error = check_train_defaults(get_registry("architectures").get(arch))
    if error:
        raise PluginError(error)
    return defaults


def check_train_defaults(spec: Any) -> tuple[dict[str, Any], str | None]:
    """``(defaults as TrainConfig fields, None)``, or ``({}, message)`` when they are unusable.

    Never raises, so listings can show a broken plugin's entry; training raises the message.
    """
    raw = spec.metadata.get("train_defaults")
    if raw is None:
        return {}, None
    where = f"plugin '{spec.plugin}' gives architecture '{spec.name}' training defaults"
    fix = "fix or update that plugin"
    if not isinstance(raw, Mapping):
        return {}, f"{where} that are not a table of options ({type(raw).__name__}); {fix}"
    names = TrainConfig.field_names()
    unknown = [str(k) for k in raw if ALIASES.get(str(k).replace("-", "_"), str(k).replace("-", "_")) not in names]
    if unknown:
        return {}, f"{where} with unknown option(s) {', '.join(unknown)}; {fix}"
    defaults = copy.deepcopy(normalise_keys(raw))  # nested tables stay the registry's own
    banned = [key for key in defaults if key in NOT_FAMILY_DEFAULTS]
    if banned:
        return {}, f"{where} that set {', '.join(banned)}, which only the user may choose; {fix}"
    try:
        TrainConfig(**defaults)
        _check_loss_names(defaults)
    except (UsageError, TypeError, ValueError) as exc:
        return {}, f"{where} that are invalid ({exc}); {fix}"
    return defaults, None


def _check_loss_names(options: Mapping[str, Any]) -> None:
    """``loss`` names an adversarial loss and ``regularisers`` name regularisers, each in its registry."""
    from ganzoo.plugins import get_registry

    regularisers = options.get("regularisers") or {}
    if not isinstance(regularisers, Mapping):
        raise UsageError(f"regularisers must map names to weights, got {regularisers!r}")
    wanted = [(options["loss"], "losses")] if "loss" in options else []
    wanted += [(name, "regularisers") for name in regularisers]
    for name, kind in wanted:
        other = "losses" if kind == "regularisers" else "regularisers"
        if str(name) not in get_registry(kind) and str(name) in get_registry(other):
            raise UsageError(f"'{name}' is not {'an adversarial loss' if kind == 'losses' else 'a regulariser'}")
        get_registry(kind).get(str(name))  # an unknown name: one line with "did you mean"


def normalise_keys(data: Mapping[str, Any]) -> dict[str, Any]:
    """Map dashed and aliased keys to field names; unknown keys raise with suggestions."""
    names = TrainConfig.field_names()
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key).replace("-", "_")
        name = ALIASES.get(name, name)
        if name not in names:
            close = difflib.get_close_matches(name, names, n=2)
            hint = f"; did you mean {' or '.join(close)}?" if close else f"; known options: {', '.join(names)}"
            raise UsageError(f"unknown training option '{key}'{hint}")
        out[name] = value
    return out


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The options in a ``.json``, ``.toml`` or ``.yaml``/``.yml`` file, as a dict (tables become nested dicts)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"config file {path} is not UTF-8 text ({exc.reason} at byte {exc.start}); "
                         f"give a JSON, TOML or YAML file") from None
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _checked_table(path, _read_yaml(path, text))
    try:
        if suffix == ".toml":
            if sys.version_info >= (3, 11):
                import tomllib
            else:
                try:
                    import tomli as tomllib
                except ModuleNotFoundError:
                    raise UsageError("reading TOML needs Python 3.11+ or 'pip install tomli'; "
                                     "or write the config as JSON") from None
            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except (ValueError, TypeError, RecursionError) as exc:
        kind = "TOML" if suffix == ".toml" else "JSON"
        raise UsageError(f"config file {path} is not valid {kind}: {exc}") from None
    return _checked_table(path, data)


#: A config file is a few options: more bytes, or more values once YAML aliases are expanded, is refused.
MAX_CONFIG_BYTES = 1024 * 1024
MAX_CONFIG_VALUES = 100_000


def _read_yaml(path: Path, text: str) -> Any:
    """YAML with limits: aliases share one object when parsed but are copied when the config is used
    (saved to config.json, compared), so a 1 KB "billion laughs" file would grow to gigabytes."""
    try:
        import yaml
    except ModuleNotFoundError:
        raise UsageError(f"reading the YAML file {path} needs PyYAML: pip install pyyaml; or write the config "
                         f"as JSON or TOML") from None
    if len(text) > MAX_CONFIG_BYTES:
        raise UsageError(f"config file {path} is {len(text):,} characters, more than the {MAX_CONFIG_BYTES:,} a "
                         f"config may have; a config holds a few options")
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError) as exc:
        raise UsageError(f"config file {path} is not valid YAML: {' '.join(str(exc).split())}") from None
    if _expanded_size(data, MAX_CONFIG_VALUES) > MAX_CONFIG_VALUES:
        raise UsageError(f"config file {path} expands to more than {MAX_CONFIG_VALUES:,} values (YAML aliases "
                         f"repeat what they name); write the options out without nested aliases")
    return data


def _expanded_size(data: Any, budget: int) -> int:
    """How many values ``data`` holds with every shared object counted each time it appears; stops past ``budget``."""
    count, stack = 0, [data]
    while stack and count <= budget:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set)):
            stack.extend(item)
    return count


def _checked_table(path: Path, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise UsageError(f"config file {path} must hold a table/object of options, not {type(data).__name__}")
    return data


def parse_value(text: str) -> Any:
    """A ``--set``/``--data`` value: JSON when it parses (numbers, lists, true), else the string.

    A whole number written with an exponent (``1e9``) is an integer, as it reads.
    """
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return text
    if isinstance(value, float) and value.is_integer() and "." not in text and abs(value) < 2**63:
        return int(value)
    return value


def parse_pairs(items: Iterable[str], option: str, *, numeric: bool = False) -> dict[str, Any]:
    """``["a=1", "b=x"]`` -> ``{"a": 1, "b": "x"}``; ``numeric`` requires numbers (``--reg``)."""
    result: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not key:
            raise UsageError(f"{option} expects KEY=VALUE, got {item!r}")
        if not sep:
            if not numeric:
                raise UsageError(f"{option} expects KEY=VALUE, got {item!r}")
            result[key] = None  # a regulariser with its default weight
            continue
        parsed = parse_value(value.strip())
        if numeric and (isinstance(parsed, bool) or not isinstance(parsed, (int, float))):
            raise UsageError(f"{option} {key}= needs a number, got {value!r}")
        result[key] = parsed
    return result


def parse_betas(text: str | Iterable[float]) -> tuple[float, float]:
    """``"0.5,0.999"`` (or a pair) -> ``(0.5, 0.999)``."""
    try:
        parts = [float(p) for p in (text.split(",") if isinstance(text, str) else text)]
    except (TypeError, ValueError):
        raise UsageError(f"--betas expects two numbers like 0.5,0.999, got {text!r}") from None
    if len(parts) != 2:
        raise UsageError(f"--betas expects two numbers like 0.5,0.999, got {text!r}")
    return parts[0], parts[1]


def check_resumable(saved: TrainConfig, wanted: TrainConfig) -> None:
    """Refuse to resume with options that would make it a different run."""
    changed = [name for name in LOCKED_ON_RESUME if _norm(getattr(saved, name)) != _norm(getattr(wanted, name))]
    if changed:
        details = ", ".join(f"{n}: {getattr(saved, n)!r} -> {getattr(wanted, n)!r}" for n in changed)
        raise UsageError(
            f"cannot resume with changed options ({details}); drop them from the command line, "
            f"or start a new run with another --out"
        )


def _norm(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True, default=str))
