"""Setting up a run from a :class:`TrainConfig`, and :func:`train`, the engine's entry point.

One *step* is ``n_critic`` discriminator updates (each on its own batch) and one generator
update. The :class:`Trainer` builds what a run needs -- devices and ranks, the run directory,
data, model, objective, optimisers, EMA -- restores an interrupted run exactly (weights,
optimisers, RNGs, data position), installs the Ctrl-C handler, and hands over to
:class:`~ganzoo.train.loop.TrainLoop`.

    >>> result = train(TrainConfig("vanilla", "fashion-mnist", max_steps=200, out="runs/x"))  # doctest: +SKIP
"""

from __future__ import annotations

import inspect
import os
import random
import re
import signal
import threading
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from ganzoo.devices import (
    configure_backends,
    resolve_precision,
    seed_everything,
    select_device,
    set_cpu_threads,
    set_rng_state,
    use_channels_last,
)
from ganzoo.errors import CheckpointError, TrainingError, UsageError, warn
from ganzoo.io import file_system_refusal
from ganzoo.losses import build_objective
from ganzoo.models import GAN, ArchitectureOptionError, build_model, penalty_caveat
from ganzoo.plugins import get_registry
from ganzoo.runs import checkpoints as ckpt
from ganzoo.runs.lock import RunLock
from ganzoo.train import distributed as dist_utils
from ganzoo.train.batches import BatchStream, epoch_seed
from ganzoo.train.config import TrainConfig, check_resumable
from ganzoo.train.ema import EMA
from ganzoo.train.loop import TrainingInterrupted, TrainLoop, TrainResult, file_system_message
from ganzoo.train.optim import build_optimizer, load_state, parameter_groups, unflatten_state
from ganzoo.train.progress import Reporter, cut_metrics, require_tensorboard
from ganzoo.train.rundir import (
    default_out,
    describe_run,
    finish_replacing,
    open_run_dir,
    prepare_run_dir,
    set_aside_run,
    write_run_config,
)
from ganzoo.train.sampling import FixedSamples
from ganzoo.train.steps import StepRunner

DEFAULT_EPOCHS = 5
#: The step "budget" of a run that only --max-minutes ends: never reached.
CLOCK_ONLY_STEPS = 2**62
#: Bytes of memory one parameter takes while training in fp32: weights, gradients, Adam's two moments.
TRAINING_BYTES_PER_PARAMETER = 16

__all__ = ["DEFAULT_EPOCHS", "Trainer", "TrainingInterrupted", "TrainResult", "train"]


class Trainer:
    """Train ``config.arch`` on ``config.dataset``; ``dataset``/``model`` may be passed in instead."""

    def __init__(self, config: TrainConfig, *, dataset: Dataset[Any] | None = None, model: GAN | None = None) -> None:
        if not config.arch and model is None:
            raise UsageError("no architecture given; name one, like 'ganzoo train vanilla --dataset fake'")
        if model is None and get_registry("architectures").get(config.arch).metadata.get("task") == "style-transfer":
            raise UsageError(f"'{config.arch}' is a style-transfer method with no trainer (nothing is learned); "
                             f"run 'ganzoo style-transfer CONTENT STYLE -o OUT.png' instead")
        if not config.dataset and dataset is None:
            raise UsageError("no dataset given; pass --dataset NAME (see 'ganzoo list datasets')")
        self.config = config
        self.dataset = dataset
        self.model = model  # after fit(): the trained model (unwrapped), on its device
        self.ema: EMA | None = None  # after fit(): the generator's moving average, if any
        self._stop_signal: int | None = None
        self._resumed_seconds = 0.0  # training seconds of the legs before a resume
        self._lock: RunLock | None = None  # the run directory's, held by rank 0 during fit()
        self.resume_note = ""  # why --resume took the checkpoint it did, when that is not the obvious one
        self._replaced: Path | None = None  # --overwrite: the old run, set aside until the new one has a checkpoint

    # -- setup -------------------------------------------------------------------------------------
    def _build_model(self, dataset: Dataset[Any], saved: dict[str, Any] | None, device: torch.device) -> GAN:
        try:
            return self._build_model_unchecked(dataset, saved, device)
        except ArchitectureOptionError as exc:  # --set lr_d=...: a training option given as a model option
            field = (exc.key or "").replace("-", "_")
            if field not in TrainConfig.field_names():
                raise
            flag = f"--{field.replace('_', '-')}"
            raise exc.with_hint(f"'{exc.key}' is a training option, not an architecture option: use {flag} "
                                f"{exc.value}") from None

    def _build_model_unchecked(self, dataset: Dataset[Any], saved: dict[str, Any] | None, device: torch.device) -> GAN:
        cfg = self.config
        if self.model is not None:
            return self.model
        if saved is not None:  # exactly the model of the run being resumed
            name, kwargs = saved["architecture"]["name"], saved["architecture"]["kwargs"]
            _check_model_size(name, kwargs, device, f"the options in its config.json ({_options(kwargs)})",
                              "restore the run's config.json, or train on a device with more memory")
            return build_model(name, **kwargs)
        spec = get_registry("architectures").get(cfg.arch)
        kwargs = dict(cfg.arch_options)
        accepted = _keyword_names(spec.load())
        info = getattr(dataset, "info", None)
        fill = {"image_size": getattr(info, "size", None), "channels": getattr(info, "channels", None)}
        if spec.metadata.get("task") == "class-conditional":
            fill["num_classes"] = getattr(info, "num_classes", None)
        if spec.metadata.get("task") == "image-to-image":  # the inputs' channels and the domains' names
            fill["in_channels"] = getattr(info, "source_channels", None) or _source_channels(dataset)
            fill["domains"] = getattr(info, "domains", None)
        for key, value in fill.items():  # match the data unless the user said otherwise
            if key in accepted and key not in kwargs and value:
                kwargs[key] = value
        given = {k: v for k, v in kwargs.items() if k in cfg.arch_options}
        _check_model_size(cfg.arch, kwargs, device, _options(given, "--set ") if given else "its default options",
                          f"choose smaller architecture options (see 'ganzoo info {cfg.arch}')")
        return build_model(cfg.arch, **kwargs)

    def _check_shapes(self, model: GAN, dataset: Dataset[Any]) -> None:
        expected = tuple(getattr(model, "image_shape", ()) or ())
        item = dataset[0]
        image = item["image"]
        name = self.config.arch or type(model).__name__
        if expected and tuple(image.shape) != expected:
            c, h, w = image.shape
            raise UsageError(
                f"{name} makes {'x'.join(map(str, expected))} images but "
                f"dataset '{self.config.dataset}' gives {c}x{h}x{w}; pass --set image_size={h} --set channels={c} "
                f"or --data size={expected[-1]}"
            )
        if getattr(model, "task", None) != "image-to-image":
            return
        if "source" not in item:
            raise UsageError(f"{name} translates images, but the items of dataset '{self.config.dataset}' have no "
                             f"'source' image; use an image-to-image dataset (see 'ganzoo list datasets')")
        wanted = tuple(getattr(model, "input_shape", ()) or expected)
        if wanted and tuple(item["source"].shape) != wanted:
            c, h, w = item["source"].shape
            raise UsageError(f"{name} reads {'x'.join(map(str, wanted))} input images but dataset "
                             f"'{self.config.dataset}' gives {c}x{h}x{w}; pass --set in_channels={c} or "
                             f"--set image_size={h}, or resize the data")

    def _regularisers(self) -> dict[str, float]:
        from ganzoo.losses import default_weight

        return {name: default_weight(name) if weight is None else float(weight)
                for name, weight in self.config.regularisers.items()}

    def _install_signals(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}

        def handler(signum: int, frame: Any) -> None:
            if self._stop_signal is not None:  # a second Ctrl-C: stop now, without saving
                raise KeyboardInterrupt
            self._stop_signal = signum

        previous: dict[int, Any] = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, handler)
        return previous

    # -- the run -----------------------------------------------------------------------------------
    def fit(self) -> TrainResult:
        """Train until ``max_steps`` (or ``epochs``); resumable, interruptible, reproducible."""
        cfg = self.config
        if cfg.wants_tensorboard:
            require_tensorboard()  # fail before anything is written
        info = dist_utils.detect()
        device = select_device(cfg.device, local_rank=info.local_rank)
        created = dist_utils.init_process_group(info, device)
        previous_signals: dict[int, Any] = {}
        reporter: Reporter | None = None
        run_dir = Path(cfg.out) if cfg.out else default_out(cfg)
        try:
            set_cpu_threads(info.local_world_size)
            saved = self._prepare_dir(run_dir, info, device)
            if saved is not None:
                check_resumable(TrainConfig.from_dict(saved["train"]),
                                cfg.replace(resume=False, overwrite=False, resume_checkpoint=None))
                _check_saved_model(run_dir, saved)
            seed_everything(cfg.seed)
            dataset = self.dataset if self.dataset is not None else _build_dataset(cfg)
            gan = self._build_model(dataset, saved, device)
            self._check_shapes(gan, dataset)
            precision = resolve_precision(cfg.precision, device)
            configure_backends(device, cfg.precision)
            channels_last = use_channels_last(cfg.channels_last, gan, device)
            # Module.to's stubs omit the (device, memory_format=...) form that torch accepts
            gan.to(device, memory_format=torch.channels_last) if channels_last else gan.to(device)  # type: ignore[call-overload]
            gan.train()
            objective = build_objective(cfg.loss, self._regularisers(), label_smoothing=cfg.label_smoothing,
                                        label_noise=cfg.label_noise, instance_noise=cfg.instance_noise)
            _add_augmentation(objective, cfg, gan)
            groups = parameter_groups(gan)
            lrs = {"generator": cfg.lr_g, "discriminator": cfg.lr_d}
            optimizers = {name: build_optimizer(cfg.optimizer, params, lr=lrs[name], betas=cfg.betas, device=device)
                          for name, params in groups.items()}
            ema = EMA(gan.sampling_module(), cfg.ema_decay) if cfg.ema_decay > 0 else None
            stream = BatchStream(dataset, cfg.batch_size, seed=cfg.seed, rank=info.rank, world_size=info.world_size,
                                 num_workers=cfg.num_workers, device=device, channels_last=channels_last)
            if cfg.max_steps:
                total = cfg.max_steps
            elif cfg.clock_only:
                total = CLOCK_ONLY_STEPS
            else:
                total = max(1, (cfg.epochs or DEFAULT_EPOCHS) * stream.batches_per_epoch // cfg.n_critic)
            runner = StepRunner(gan, objective, optimizers=optimizers, groups=groups, precision=precision,
                                clip_grad=cfg.clip_grad)
            step, resumed_from = 0, None
            if saved is not None:
                checkpoint, step = self._resume_checkpoint(
                    run_dir, info, lambda saved: self._restore(saved, gan, ema, optimizers, runner, stream, info))
                resumed_from = checkpoint.path
                if info.is_main:  # the steps after the checkpoint are trained again: drop their rows
                    cut_metrics(run_dir / "metrics.jsonl", step)
            elif info.enabled:  # distinct noise per rank, same model init everywhere
                seed_everything(epoch_seed(cfg.seed, 1000 + info.rank))
            runner.wrapped = dist_utils.wrap(gan, info, device, sync_bn=cfg.sync_bn)
            if info.is_main and saved is None and cfg.overwrite:  # everything checked: only now the old run goes
                self._replaced = set_aside_run(run_dir)
            if info.is_main:
                description = saved or describe_run(cfg, gan, dataset, world_size=info.world_size,
                                                    precision=precision.name, device=str(device))
                if saved is not None:
                    description = {**saved, "train": cfg.replace(argv=saved["train"].get("argv", [])).run_dict(),
                                   "resumed_argv": list(cfg.argv)}
                write_run_config(run_dir, description)
            self.model, self.dataset, self.ema = gan, dataset, ema  # for callers of the API
            samples = FixedSamples(gan, dataset, cfg.sample_count, seed=cfg.seed, ema=ema,
                                   data_options=cfg.data_options if self.dataset is None else None)
            reporter = Reporter(run_dir, total_steps=None if cfg.clock_only else total, start_step=step,
                                enabled=info.is_main, quiet=cfg.quiet, tensorboard=cfg.wants_tensorboard)
            caveat = penalty_caveat(gan, objective)
            if caveat:
                reporter.message(caveat)
            if resumed_from is not None:
                why = f" ({self.resume_note})" if self.resume_note else ""
                reporter.message(f"ganzoo: resuming {run_dir} from {resumed_from.name}{why}", always=True)
            previous_signals = self._install_signals()
            loop = TrainLoop(lambda: self._stop_signal, cfg, run_dir, info, device, gan, runner, stream, ema,
                             samples, reporter, total, precision.name)
            loop.seconds_before = self._resumed_seconds
            return loop.run(step, resumed_from)
        except OSError as exc:  # a full disk or a read-only folder mid-run: the user's to fix, not a bug
            refusal = file_system_refusal(exc)
            if refusal is None or not _inside(refusal.filename, run_dir):
                raise  # not the run's own files (a dataset, say): the CLI words those
            raise TrainingError(file_system_message(refusal, run_dir)) from exc
        finally:
            for sig, handler in previous_signals.items():
                signal.signal(sig, handler)
            if reporter is not None:
                reporter.close()
            if self._replaced is not None:
                self._finish_replacing(run_dir)
            if self._lock is not None:
                self._lock.release()
                self._lock = None
            dist_utils.shutdown(created)

    def _finish_replacing(self, run_dir: Path) -> None:
        """Drop the old run once the new one has a checkpoint; else (it failed at once, ``-b 1`` say) restore it.

        Restoring is silent: the error that stopped the new run is the one line the user needs.
        """
        stash, self._replaced = self._replaced, None
        if stash is None:
            return
        keep_new = ckpt.latest_checkpoint(run_dir) is not None
        try:
            finish_replacing(run_dir, stash, keep_new=keep_new)
        except OSError as exc:
            what = "delete the replaced run" if keep_new else "put the replaced run back"
            warn(f"could not {what} ({exc.strerror or type(exc).__name__}); it is in {stash}")

    def _prepare_dir(self, run_dir: Path, info: dist_utils.DistInfo, device: torch.device) -> dict[str, Any] | None:
        """Rank 0 locks, checks and creates the folder; the other ranks follow or stop with it.

        The lock (:mod:`ganzoo.runs.lock`) is held until :meth:`fit` ends, so no other trainer
        writes the folder meanwhile; then what a killed run left half-saved is recovered.
        """
        error: Exception | None = None
        saved = None
        if info.is_main:
            try:
                self._lock = open_run_dir(run_dir, self.config)
                notice = self._lock.takeover_notice()
                if notice:
                    warn(notice)
                saved = prepare_run_dir(run_dir, self.config)
                for note in ckpt.recover_checkpoints(run_dir):
                    warn(note)
            except Exception as exc:  # re-raised below, after telling the other ranks
                error = exc
        ok = dist_utils.broadcast_flag(error is None, device)
        if error is not None:
            raise error
        if not ok:
            raise TrainingError("rank 0 could not prepare the run directory; see its error")
        if not info.is_main and self.config.resume:
            saved = prepare_run_dir(run_dir, self.config)
        return saved

    def _resume_checkpoint(self, run_dir: Path, info: dist_utils.DistInfo,
                           restore: Callable[[ckpt.Checkpoint], int]) -> tuple[ckpt.Checkpoint, int]:
        """The checkpoint ``--resume`` continues from, restored by ``restore``, and its step.

        ``--checkpoint``'s, else the newest one that can be read and restored. Nothing to resume
        is an error, never a silent start from step 0; a latest checkpoint that cannot be read
        (a truncated file) or restored (``state.json`` missing fields, a tensor of the wrong
        shape) gives way to the newest good one before it, with a warning naming both.
        """
        checkpoint, step = self._pick_checkpoint(run_dir, info, restore)
        later = [p.name for p in ckpt.list_checkpoints(run_dir) if ckpt.step_of(p) > checkpoint.step]
        if later and info.is_main and self.config.resume_checkpoint:  # a new branch: the old one goes aside
            aside = ckpt.set_aside_later(run_dir, ckpt.step_of(checkpoint.path))
            if aside is not None:
                warn(f"{run_dir} held later checkpoints ({', '.join(later)}); training continues from "
                     f"{checkpoint.path.name}, so they were moved to {aside.relative_to(run_dir)} and the next "
                     f"--resume continues this branch")
        return checkpoint, step

    def _pick_checkpoint(self, run_dir: Path, info: dist_utils.DistInfo,
                         restore: Callable[[ckpt.Checkpoint], int]) -> tuple[ckpt.Checkpoint, int]:
        chosen = self.config.resume_checkpoint
        if chosen:
            path = ckpt.resolve_checkpoint(run_dir, chosen)
            if path.resolve().parent != (run_dir / ckpt.CHECKPOINTS).resolve():
                raise UsageError(f"--checkpoint {chosen} is not a checkpoint of {run_dir}; name one of its own "
                                 f"(step_N, N, latest or best)")
            checkpoint = ckpt.read_checkpoint(path)
            try:
                return checkpoint, restore(checkpoint)
            except _RESTORE_ERRORS as exc:
                raise CheckpointError(f"{path} cannot be resumed from ({_restore_problem(exc)}); pick another "
                                      f"checkpoint with --checkpoint") from None
        latest = ckpt.latest_checkpoint(run_dir)
        if latest is None:
            raise UsageError(f"nothing to resume: {run_dir} has config.json but no checkpoint (the run stopped "
                             f"before its first one); drop --resume and pass --overwrite to start it again")
        for path in ckpt.unpointed_checkpoints(run_dir):  # saved, then killed before 'latest' was updated
            try:
                checkpoint = ckpt.read_checkpoint(path)
                step = restore(checkpoint)
            except (CheckpointError, *_RESTORE_ERRORS):
                continue  # not restorable: the one 'latest' names stands
            self.resume_note = (f"{path.name} is complete and newer than {latest.name}, which checkpoints/latest "
                                f"still names (the last run was stopped before updating it)")
            return checkpoint, step
        older = [p for p in reversed(ckpt.list_checkpoints(run_dir)) if ckpt.step_of(p) < ckpt.step_of(latest)]
        problems: list[str] = []
        for path in [latest, *older]:
            try:
                checkpoint = ckpt.read_checkpoint(path)
                step = restore(checkpoint)  # a failed restore is overwritten in full by the next one
            except CheckpointError as exc:
                problems.append(ckpt.checkpoint_problem(path) or str(exc))
                continue
            except _RESTORE_ERRORS as exc:
                problems.append(_restore_problem(exc))
                continue
            if problems and info.is_main:
                warn(f"the latest checkpoint {latest.name} of {run_dir} cannot be read ({problems[0]}); resuming "
                     f"from {path.name}, the newest readable one (pass --checkpoint NAME to choose another)")
            return checkpoint, step
        raise CheckpointError(f"no checkpoint of {run_dir} can be read (the latest, {latest.name}: {problems[0]}); "
                              f"restore one from a backup, or pass --overwrite instead of --resume to start again")

    def _restore(self, saved: ckpt.Checkpoint, gan: GAN, ema: EMA | None, optimizers: dict[str, Any],
                 runner: StepRunner, stream: BatchStream, info: dist_utils.DistInfo) -> int:
        state = saved.state
        gan.load_state_dict(saved.model, strict=True)
        if ema is not None:
            if saved.ema is None:
                raise UsageError(f"{saved.path} has no EMA weights; resume with the run's --ema-decay")
            ema.load_state_dict(saved.ema, int(state.get("ema_updates", 0)))
        for name, optimizer in optimizers.items():
            load_state(optimizer, unflatten_state(name, saved.optimizers, state["optimizers"][name]))
        runner.load_scaler_state(state.get("grad_scalers", {}))
        adaptive = runner.objective.adaptive
        if adaptive is not None and isinstance(state.get("augment"), dict):
            adaptive.load_state_dict(state["augment"])
        stream.load_state_dict(state["data"])
        self._resumed_seconds = float(state.get("train_seconds", 0.0) or 0.0)
        if info.is_main:
            set_rng_state(saved.rng, state.get("rng", {}))
        else:  # only rank 0's generators are saved; the others continue from a derived seed
            seed_everything(epoch_seed(self.config.seed, 1000 + info.rank + 7919 * saved.step))
        return saved.step


def _check_saved_model(run_dir: Path, saved: dict[str, Any]) -> None:
    """The model config.json describes, checked against the newest checkpoint's weights before it is built.

    Only the safetensors header is read and the model is built on the ``meta`` device, so an
    edited config.json asking for a huge model is refused with one line and no memory, as
    ``ganzoo sample`` refuses it.
    """
    from ganzoo.weights import build_skeleton, check_entries, check_size, element_count, read_entries

    arch = saved.get("architecture")
    name = arch.get("name") if isinstance(arch, dict) else None
    kwargs = arch.get("kwargs") if isinstance(arch, dict) else None
    if not isinstance(name, str) or not isinstance(kwargs, dict):
        raise CheckpointError(f"{run_dir / 'config.json'} does not name an architecture and its kwargs "
                              f"(\"architecture\": {{\"name\": ..., \"kwargs\": {{...}}}}); restore it from a backup")
    skeleton = build_skeleton(lambda: build_model(name, **kwargs))
    if skeleton is None:
        return  # the real build reports it
    advice = "restore the run's config.json from a backup (the model cannot change on --resume)"
    first: CheckpointError | None = None
    for path in reversed(ckpt.list_checkpoints(run_dir)):  # config.json is wrong only if it fits none of them
        try:
            entries = read_entries(path / "model.safetensors", "model")
        except CheckpointError:
            continue  # unreadable: the resume falls back past it, and says so
        try:
            check_entries(skeleton.state_dict(), entries, path / "model.safetensors", "model", advice)
        except CheckpointError as exc:
            first = first or exc  # one damaged checkpoint, or an edited config.json if none fits
            continue
        check_size(skeleton, element_count(entries), run_dir / "config.json", advice)
        return
    if first is not None:
        raise first


#: What restoring a checkpoint whose files load but do not fit raises: a field missing from
#: state.json (KeyError), a value of the wrong kind, a tensor of the wrong shape (RuntimeError).
_RESTORE_ERRORS = (KeyError, TypeError, ValueError, IndexError, RuntimeError)


def _restore_problem(exc: BaseException) -> str:
    """One short line for why a checkpoint could not be restored (torch's own messages span lines)."""
    if isinstance(exc, KeyError):
        return f"its state.json lacks {exc.args[0]!r}" if exc.args else "its state.json lacks a field"
    text = str(exc)
    mismatch = re.search(r"size mismatch for ([\w.]+)", text)
    if mismatch:
        return f"{mismatch.group(1)} has the wrong shape"
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"it does not fit this run: {first[:200]}"


def _add_augmentation(objective: Any, cfg: TrainConfig, gan: GAN) -> None:
    """DiffAugment (and ADA's controller) on every image the discriminator sees, when asked for."""
    if not cfg.augment:
        return
    from ganzoo.nn.augment import AdaptiveP, DiffAugment

    channels = tuple(getattr(gan, "image_shape", ()) or (0,))[0]
    if "color" in cfg.augment.split(",") and channels != 3:
        raise UsageError(f"--augment color needs RGB images, but {cfg.arch or 'this model'} makes {channels}-channel "
                         f"ones; use --augment translation,cutout")
    if getattr(gan, "task", None) == "image-to-image" and not getattr(gan, "augments_pairs", False):
        raise UsageError(f"{cfg.arch or 'this model'}'s discriminator judges images beside their inputs; augmenting "
                         f"one without the other would teach it nothing, so --augment is not available for it")
    start = cfg.augment_p if (not cfg.ada_target or cfg.augment_p < 1.0) else 0.0
    objective.augment = DiffAugment(cfg.augment, p=start)
    if cfg.ada_target:
        objective.adaptive = AdaptiveP(objective.augment, target=cfg.ada_target, speed_images=cfg.ada_speed)


def _inside(filename: Any, run_dir: Path) -> bool:
    """Whether ``filename`` is in ``run_dir``; a write error without a file name is taken to be the run's."""
    if filename is None:
        return True
    try:
        return Path(os.fsdecode(filename)).resolve().is_relative_to(run_dir.resolve())
    except (TypeError, ValueError, OSError):
        return False


def _options(kwargs: dict[str, Any], prefix: str = "") -> str:
    return " ".join(f"{prefix}{k}={v}" for k, v in kwargs.items())


def _memory_of(device: torch.device) -> int | None:
    """Bytes of memory ``device`` has (RAM for the CPU and MPS), or ``None`` when unknown."""
    try:
        if device.type == "cuda":
            return int(torch.cuda.get_device_properties(device).total_memory)
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError, RuntimeError):
        return None


def _check_model_size(name: str, kwargs: dict[str, Any], device: torch.device, options: str, advice: str) -> None:
    """Refuse, before allocating anything, a model whose training state cannot fit in ``device``'s memory.

    The model is built on the ``meta`` device (shapes only) to count its parameters, with the
    random streams put back afterwards so the real, seeded build is unchanged; if it cannot be
    built there the real build goes ahead and reports for itself.
    """
    python_rng = random.getstate()
    try:
        with torch.random.fork_rng(devices=[]), torch.device("meta"):
            probe = build_model(name, **kwargs)
        count = sum(t.numel() for t in probe.parameters()) + sum(t.numel() for t in probe.buffers())
    except Exception:  # noqa: BLE001 - the real build reports (or survives) it
        return
    finally:
        random.setstate(python_rng)
    memory = _memory_of(device)
    needed = count * TRAINING_BYTES_PER_PARAMETER
    if memory is not None and needed > memory:
        raise UsageError(f"{name} with {options} has {count:,} parameters and would need about "
                         f"{needed / 2**30:,.0f} GiB to train, more than the {memory / 2**30:,.0f} GiB of memory "
                         f"of {device}; {advice}")


def _keyword_names(factory: Any) -> set[str]:
    """The keyword arguments ``factory`` takes; for ``build(**kwargs) -> Cls``, those of ``Cls``."""
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return set()
    names = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    if any(p.kind == p.VAR_KEYWORD for p in parameters):
        try:
            returned = typing.get_type_hints(factory).get("return")
        except Exception:  # unresolvable annotations: nothing more to learn
            returned = None
        if isinstance(returned, type) and returned is not type(None):
            names |= _keyword_names(returned)
    return names


def _source_channels(dataset: Dataset[Any]) -> int | None:
    """The channels of the first item's ``source`` image, for datasets whose info does not say."""
    try:
        source = dataset[0].get("source")
    except (AttributeError, IndexError, KeyError, TypeError):
        return None
    return int(source.shape[0]) if isinstance(source, torch.Tensor) and source.dim() == 3 else None


def _build_dataset(cfg: TrainConfig) -> Dataset[Any]:
    from ganzoo.data import build_dataset

    return build_dataset(cfg.dataset, cfg.split, **cfg.data_options)


def train(config: TrainConfig, *, dataset: Dataset[Any] | None = None, model: GAN | None = None) -> TrainResult:
    """Run training as ``ganzoo train`` would; see :class:`TrainConfig` for the options.

    >>> train(TrainConfig("vanilla", "fake", max_steps=20, out="runs/smoke"))   # doctest: +SKIP
    """
    return Trainer(config, dataset=dataset, model=model).fit()
