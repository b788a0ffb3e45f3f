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
import signal
import threading
import typing
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset

from ganzoo.errors import TrainingError, UsageError
from ganzoo.losses import build_objective
from ganzoo.models import GAN, build_model, penalty_caveat
from ganzoo.registry import get_registry
from ganzoo.train import checkpoints as ckpt
from ganzoo.train import distributed as dist_utils
from ganzoo.train.batches import BatchStream, epoch_seed
from ganzoo.train.config import TrainConfig, check_resumable
from ganzoo.train.devices import (configure_backends, resolve_precision, seed_everything, select_device,
                                  set_cpu_threads, set_rng_state, use_channels_last)
from ganzoo.train.ema import EMA
from ganzoo.train.loop import TrainingInterrupted, TrainLoop, TrainResult
from ganzoo.train.optim import build_optimizer, parameter_groups, unflatten_state
from ganzoo.train.progress import Reporter, require_tensorboard
from ganzoo.train.rundir import default_out, describe_run, prepare_run_dir, write_run_config
from ganzoo.train.sampling import FixedSamples
from ganzoo.train.steps import StepRunner

DEFAULT_EPOCHS = 5

__all__ = ["DEFAULT_EPOCHS", "Trainer", "TrainingInterrupted", "TrainResult", "train"]


class Trainer:
    """Train ``config.arch`` on ``config.dataset``; ``dataset``/``model`` may be passed in instead."""

    def __init__(self, config: TrainConfig, *, dataset: Dataset | None = None, model: GAN | None = None) -> None:
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

    # -- setup -------------------------------------------------------------------------------------
    def _build_model(self, dataset: Dataset, saved: dict[str, Any] | None) -> GAN:
        cfg = self.config
        if self.model is not None:
            return self.model
        if saved is not None:  # exactly the model of the run being resumed
            return build_model(saved["architecture"]["name"], **saved["architecture"]["kwargs"])
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
        return build_model(cfg.arch, **kwargs)

    def _check_shapes(self, model: GAN, dataset: Dataset) -> None:
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
        losses = get_registry("losses")
        return {name: float(losses.get(name).metadata.get("default_weight", 1.0) if weight is None else weight)
                for name, weight in self.config.regularisers.items()}

    def _install_signals(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}

        def handler(signum: int, frame: Any) -> None:
            if self._stop_signal is not None:  # a second Ctrl-C: stop now, without saving
                raise KeyboardInterrupt
            self._stop_signal = signum

        previous = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, handler)
        return previous

    # -- the run -----------------------------------------------------------------------------------
    def fit(self) -> TrainResult:
        """Train until ``max_steps`` (or ``epochs``); resumable, interruptible, reproducible."""
        cfg = self.config
        if cfg.tensorboard:
            require_tensorboard()  # fail before anything is written
        info = dist_utils.detect()
        device = select_device(cfg.device, local_rank=info.local_rank)
        created = dist_utils.init_process_group(info, device)
        previous_signals: dict[int, Any] = {}
        reporter: Reporter | None = None
        try:
            set_cpu_threads(info.local_world_size)
            run_dir = Path(cfg.out) if cfg.out else default_out(cfg)
            saved = self._prepare_dir(run_dir, info, device)
            if saved is not None:
                check_resumable(TrainConfig.from_dict(saved["train"]), cfg.replace(resume=False, overwrite=False))
            seed_everything(cfg.seed)
            dataset = self.dataset if self.dataset is not None else _build_dataset(cfg)
            gan = self._build_model(dataset, saved)
            self._check_shapes(gan, dataset)
            precision = resolve_precision(cfg.precision, device)
            configure_backends(device, cfg.precision)
            channels_last = use_channels_last(cfg.channels_last, gan, device)
            gan.to(device, memory_format=torch.channels_last) if channels_last else gan.to(device)
            gan.train()
            objective = build_objective(cfg.loss, self._regularisers(), label_smoothing=cfg.label_smoothing,
                                        label_noise=cfg.label_noise, instance_noise=cfg.instance_noise)
            groups = parameter_groups(gan)
            lrs = {"generator": cfg.lr_g, "discriminator": cfg.lr_d}
            optimizers = {name: build_optimizer(cfg.optimizer, params, lr=lrs[name], betas=cfg.betas, device=device)
                          for name, params in groups.items()}
            ema = EMA(gan.generator, cfg.ema_decay) if cfg.ema_decay > 0 else None
            stream = BatchStream(dataset, cfg.batch_size, seed=cfg.seed, rank=info.rank, world_size=info.world_size,
                                 num_workers=cfg.num_workers, device=device, channels_last=channels_last)
            if cfg.max_steps:
                total = cfg.max_steps
            else:
                total = max(1, (cfg.epochs or DEFAULT_EPOCHS) * stream.batches_per_epoch // cfg.n_critic)
            runner = StepRunner(gan, objective, optimizers=optimizers, groups=groups, precision=precision,
                                clip_grad=cfg.clip_grad)
            step, resumed_from = 0, None
            latest = ckpt.latest_checkpoint(run_dir) if saved is not None else None
            if latest is not None:
                step = self._restore(ckpt.read_checkpoint(latest), gan, ema, optimizers, runner, stream, info)
                resumed_from = latest
            elif info.enabled:  # distinct noise per rank, same model init everywhere
                seed_everything(epoch_seed(cfg.seed, 1000 + info.rank))
            runner.wrapped = dist_utils.wrap(gan, info, device, sync_bn=cfg.sync_bn)
            if info.is_main:
                description = saved or describe_run(cfg, gan, dataset, world_size=info.world_size,
                                                    precision=precision.name, device=str(device))
                if saved is not None:
                    description = {**saved, "train": cfg.replace(argv=saved["train"].get("argv", [])).to_dict(),
                                   "resumed_argv": list(cfg.argv)}
                write_run_config(run_dir, description)
            self.model, self.dataset, self.ema = gan, dataset, ema  # for callers of the API
            samples = FixedSamples(gan, dataset, cfg.sample_count, seed=cfg.seed, ema=ema,
                                   data_options=cfg.data_options if self.dataset is None else None)
            reporter = Reporter(run_dir, total_steps=total, start_step=step, enabled=info.is_main,
                                quiet=cfg.quiet, tensorboard=cfg.tensorboard)
            caveat = penalty_caveat(gan, objective)
            if caveat:
                reporter.message(caveat)
            if resumed_from is not None:
                reporter.message(f"ganzoo: resuming {run_dir} from {resumed_from.name}")
            previous_signals = self._install_signals()
            loop = TrainLoop(lambda: self._stop_signal, cfg, run_dir, info, device, gan, runner, stream, ema,
                             samples, reporter, total, precision.name)
            return loop.run(step, resumed_from)
        finally:
            for sig, handler in previous_signals.items():
                signal.signal(sig, handler)
            if reporter is not None:
                reporter.close()
            dist_utils.shutdown(created)

    def _prepare_dir(self, run_dir: Path, info: dist_utils.DistInfo, device: torch.device) -> dict[str, Any] | None:
        """Rank 0 checks and creates the folder; the other ranks follow or stop with it."""
        error: Exception | None = None
        saved = None
        if info.is_main:
            try:
                saved = prepare_run_dir(run_dir, self.config)
                ckpt.remove_partial(run_dir)  # what a killed run left half-written
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

    def _restore(self, saved: ckpt.Checkpoint, gan: GAN, ema: EMA | None, optimizers: dict[str, Any],
                 runner: StepRunner, stream: BatchStream, info: dist_utils.DistInfo) -> int:
        state = saved.state
        gan.load_state_dict(saved.model, strict=True)
        if ema is not None:
            if saved.ema is None:
                raise UsageError(f"{saved.path} has no EMA weights; resume with the run's --ema-decay")
            ema.load_state_dict(saved.ema, int(state.get("ema_updates", 0)))
        for name, optimizer in optimizers.items():
            optimizer.load_state_dict(unflatten_state(name, saved.optimizers, state["optimizers"][name]))
        runner.load_scaler_state(state.get("grad_scalers", {}))
        stream.load_state_dict(state["data"])
        if info.is_main:
            set_rng_state(saved.rng, state.get("rng", {}))
        else:  # only rank 0's generators are saved; the others continue from a derived seed
            seed_everything(epoch_seed(self.config.seed, 1000 + info.rank + 7919 * saved.step))
        return saved.step


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


def _source_channels(dataset: Dataset) -> int | None:
    """The channels of the first item's ``source`` image, for datasets whose info does not say."""
    try:
        source = dataset[0].get("source")  # type: ignore[union-attr]
    except (AttributeError, IndexError, KeyError, TypeError):
        return None
    return int(source.shape[0]) if isinstance(source, torch.Tensor) and source.dim() == 3 else None


def _build_dataset(cfg: TrainConfig) -> Dataset:
    from ganzoo.data import build_dataset

    return build_dataset(cfg.dataset, cfg.split, **cfg.data_options)


def train(config: TrainConfig, *, dataset: Dataset | None = None, model: GAN | None = None) -> TrainResult:
    """Run training as ``ganzoo train`` would; see :class:`TrainConfig` for the options.

    >>> train(TrainConfig("vanilla", "fake", max_steps=20, out="runs/smoke"))   # doctest: +SKIP
    """
    return Trainer(config, dataset=dataset, model=model).fit()
