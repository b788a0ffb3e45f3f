"""The step loop of a run: updates, EMA, metrics, evaluation, sample grids, checkpoints, stops.

:class:`TrainLoop` gets everything ready-made from :class:`~ganzoo.train.trainer.Trainer` and
runs steps until the budget is spent, a NaN appears or a stop signal arrives. Stops happen only
between steps, so every checkpoint holds a consistent state.
"""

from __future__ import annotations

import contextlib
import math
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ganzoo.devices import rng_state, set_rng_state
from ganzoo.errors import CheckpointError, TrainingError, UsageError
from ganzoo.io import NO_SPACE, file_system_refusal
from ganzoo.models import GAN
from ganzoo.runs import checkpoints as ckpt
from ganzoo.train import distributed as dist_utils
from ganzoo.train.batches import BatchStream
from ganzoo.train.config import TrainConfig
from ganzoo.train.ema import EMA
from ganzoo.train.optim import flatten_state, lr_factor, set_lr
from ganzoo.train.progress import MetricWindow, Reporter
from ganzoo.train.steps import StepRunner


class TrainingInterrupted(TrainingError):
    """Ctrl-C (or SIGTERM) stopped training after a checkpoint was saved; exit code 130."""

    exit_code = 130


@dataclass
class TrainResult:
    """Where a finished run stands."""

    run_dir: Path
    step: int
    epoch: int
    checkpoint: Path | None
    metrics: dict[str, float]


class TrainLoop:
    """The step loop and the state it carries between steps; a :class:`~ganzoo.train.trainer.Trainer` builds it."""

    def __init__(self, stop_signal: Callable[[], int | None], cfg: TrainConfig, run_dir: Path,
                 info: dist_utils.DistInfo, device: torch.device, gan: GAN, runner: StepRunner, stream: BatchStream,
                 ema: EMA | None, samples: Any, reporter: Reporter, total: int, precision: str) -> None:
        self.stop_signal, self.cfg, self.run_dir, self.info, self.device = stop_signal, cfg, run_dir, info, device
        self.gan, self.runner, self.stream, self.ema = gan, runner, stream, ema
        self.samples, self.reporter, self.total, self.precision = samples, reporter, total, precision
        self.last_checkpoint: Path | None = ckpt.latest_checkpoint(run_dir) if info.is_main else None
        self.last_metrics: dict[str, float] = {}
        #: ``{"metric": "FID[fmnist-cnn]", "value": 12.3, "step": 400}`` once evaluation has run.
        self.best: dict[str, Any] | None = None
        #: Seconds of training before this leg (from the resumed checkpoint) and when this leg began.
        self.seconds_before = 0.0
        self.started = time.monotonic()

    def save(self, step: int) -> Path | None:
        if not self.info.is_main:
            return None
        optim_tensors: dict[str, torch.Tensor] = {}
        optim_meta: dict[str, Any] = {}
        for name, optimizer in self.runner.optimizers.items():
            tensors, meta = flatten_state(name, optimizer)
            optim_tensors.update(tensors)
            optim_meta[name] = meta
        self._refresh_ema()
        rng_tensors, rng_extra = rng_state()
        adaptive = self.runner.objective.adaptive
        state = {"epoch": self.stream.epoch, "data": self.stream.state_dict(), "optimizers": optim_meta,
                 "grad_scalers": self.runner.scaler_state(), "rng": rng_extra, "best": self.best,
                 "ema_updates": self.ema.updates if self.ema else 0, "precision": self.precision,
                 "world_size": self.info.world_size, "time": time.time(),
                 "train_seconds": round(self.train_seconds(), 3),
                 "images_seen": self.images_seen(step),
                 "augment": adaptive.state_dict() if adaptive is not None else None}
        try:
            path = ckpt.save_checkpoint(self.run_dir, step, model=self.gan.state_dict(),
                                        ema=self.ema.state_dict() if self.ema else None, optimizers=optim_tensors,
                                        rng=rng_tensors, state=state)
        except OSError as exc:  # a full disk, say; save_checkpoint left no partial copy
            refusal = file_system_refusal(exc)
            if refusal is None:
                raise
            raise TrainingError(file_system_message(refusal, self.run_dir, f"checkpoint {ckpt.step_name(step)}")) \
                from exc
        if self.best is not None and self.best["step"] == step:
            ckpt.mark_best(self.run_dir, step)  # before pruning, which spares the best
        ckpt.prune_checkpoints(self.run_dir, self.cfg.keep_checkpoints)
        self.last_checkpoint = path
        return path

    def train_seconds(self) -> float:
        """Wall seconds spent in the step loop over every leg of the run (resumes included)."""
        return self.seconds_before + time.monotonic() - self.started

    def images_seen(self, step: int) -> int:
        """Real images the discriminator has seen by ``step``, over every process."""
        return step * self.cfg.batch_size * self.cfg.n_critic * self.info.world_size

    def out_of_time(self) -> bool:
        """True once this leg has spent ``--max-minutes`` (each leg gets the budget afresh)."""
        return bool(self.cfg.max_minutes) and time.monotonic() - self.started >= 60.0 * self.cfg.max_minutes

    def run(self, step: int, resumed_from: Path | None) -> TrainResult:
        cfg, stream, runner = self.cfg, self.stream, self.runner
        self.started = time.monotonic()
        if step >= self.total:
            self.reporter.message(f"ganzoo: {self.run_dir} is already at step {step} of {self.total}; "
                                  f"raise --max-steps or --epochs to train longer")
            return TrainResult(self.run_dir, step, stream.epoch, self.last_checkpoint, {})
        if cfg.eval_every:
            self._check_eval()
        if resumed_from is not None and self.info.is_main:  # kept even when this leg does not evaluate
            self.best = _saved_best(resumed_from, self._eval_label() if cfg.eval_every else None)
            self.last_checkpoint = resumed_from  # not ``latest`` when that one was unreadable
        images_per_step = self.images_seen(1)
        window = MetricWindow()
        saved_step, sampled_step = (step if resumed_from is not None else -1), -1
        while step < self.total:
            self._schedule(step)
            epoch_ended = False
            try:
                for _ in range(cfg.n_critic):
                    batch, ended = stream.next()
                    epoch_ended |= ended
                    d_logs = runner.d_step(batch)
                g_logs = runner.g_step(batch)
            except ValueError as exc:
                too_small = _batch_too_small(exc, cfg)
                if too_small is None:
                    raise
                raise too_small from exc
            if self.ema is not None:
                self.ema.update(self.gan.sampling_module())
            step += 1
            hook = getattr(self.gan, "on_step_end", None)
            if callable(hook):
                hook(step)
            logs = {**d_logs, **g_logs}
            bad = not (math.isfinite(logs["d_loss"]) and math.isfinite(logs["g_loss"]))
            stop = self.stop_signal() is not None
            timed_out = self.out_of_time()
            if self.info.enabled:
                bad, stop, timed_out = dist_utils.any_true([bad, stop, timed_out], self.device)
            if bad:
                raise TrainingError(self._nan_message(step, logs))
            window.add(logs, images_per_step)
            self.reporter.step(step, stream.epoch)
            if step % cfg.log_every == 0 or step == self.total or timed_out:
                self._log(step, window)
            if self.info.is_main:
                if epoch_ended:
                    self._grid(f"epoch_{stream.epoch:04d}.png", step)
                    sampled_step = step
                if cfg.sample_every and step % cfg.sample_every == 0:
                    self._grid(f"step_{step:08d}.png", step)
                    sampled_step = step
            # a new best: keep it on disk
            if cfg.eval_every and step % cfg.eval_every == 0 and self.info.is_main and self._evaluate(step):
                self.save(step)
                saved_step = step
            if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and saved_step != step:
                self.save(step)
                saved_step = step
            if stop:
                if saved_step != step:
                    self.save(step)
                signum = self.stop_signal() or signal.SIGINT
                where = self.last_checkpoint or self.run_dir
                raise TrainingInterrupted(
                    f"training stopped by {signal.Signals(signum).name} at step {step}; checkpoint saved in "
                    f"{where}; continue with: ganzoo train --resume --out {self.run_dir}"
                )
            if timed_out:
                self.reporter.message(f"ganzoo: the --max-minutes budget ({cfg.max_minutes:g} min) is spent at step "
                                      f"{step}", always=True)
                break
        if saved_step != step:
            self.save(step)
        if self.info.is_main:
            if sampled_step != step:
                self._grid(f"step_{step:08d}.png", step)
            self.samples.write_gif(self.run_dir)
            final = {k: v for k, v in (self.last_metrics or {}).items() if k not in ("step", "epoch", "time")}
            if self.best is not None:
                final[f"best_{self.best['metric']}"] = self.best["value"]
            self.reporter.hparams(cfg.hyperparameters(), final, step)
            self.reporter.close()  # the bar first, then the last word
            self.reporter.message(f"ganzoo: trained {self.run_dir} to step {step}; "
                                  f"sample it with: ganzoo sample {self.run_dir}")
        runner.unfreeze()
        return TrainResult(self.run_dir, step, stream.epoch, self.last_checkpoint, self.last_metrics)

    def _schedule(self, step: int) -> None:
        """Learning rates and annealed instance noise for this step."""
        cfg = self.cfg
        # Set every step, constant schedule included: a resumed run must use the learning rates
        # of *this* command line, not those saved in the optimiser state.
        factor = lr_factor(cfg.lr_schedule, step, self.total)
        set_lr(self.runner.optimizers["generator"], cfg.lr_g * factor)
        set_lr(self.runner.optimizers["discriminator"], cfg.lr_d * factor)
        if cfg.instance_noise and cfg.anneal_instance_noise:
            self.runner.objective.instance_noise = cfg.instance_noise * max(0.0, 1.0 - step / self.total)

    # -- evaluation ----------------------------------------------------------------------------
    def _eval_label(self) -> str:
        """The name of the value that ranks checkpoints, e.g. ``FID[fmnist-cnn]``."""
        from ganzoo.eval.metrics import build_metric, metric_label
        from ganzoo.eval.names import feature_for, parse_metrics

        cfg = self.cfg
        metric = build_metric(parse_metrics(cfg.eval_metric)[0], None)
        return metric_label(metric.outputs[0], feature_for(cfg.eval_feature, cfg.eval_reference_name, cfg.dataset))

    def _check_eval(self) -> None:
        """Fail before the first step when ``--eval-*`` cannot work with this model."""
        from ganzoo.eval.names import check_extractor, feature_for, parse_metrics, parse_reference

        cfg = self.cfg
        if len(parse_metrics(cfg.eval_metric)) != 1:
            raise UsageError(f"eval_metric must name one metric, got {cfg.eval_metric!r}")
        if cfg.eval_feature:
            check_extractor(cfg.eval_feature)
        if not cfg.eval_reference and not cfg.dataset:
            raise UsageError("--eval-every needs --eval-reference DATASET:SPLIT when the dataset has no name")
        parse_reference(cfg.eval_reference_name)
        task = getattr(self.gan, "task", "unconditional")
        if task not in ("unconditional", "class-conditional"):
            raise UsageError(f"--eval-every cannot score a {task} model (it needs inputs to make images); "
                             f"evaluate its outputs with 'ganzoo eval' instead")
        shape = tuple(getattr(self.gan, "image_shape", ()) or ())
        if shape and shape[0] not in (1, 3):
            feature = feature_for(cfg.eval_feature, cfg.eval_reference_name, cfg.dataset)
            raise UsageError(f"--eval-feature {feature} takes 1- or 3-channel images, but this model "
                             f"makes {shape[0]}-channel ones; train without --eval-every")

    def _evaluate(self, step: int) -> bool:
        """Score the (EMA) generator, log it, and return whether it is the best so far (rank 0 only)."""
        from ganzoo.eval import evaluate
        from ganzoo.eval.names import feature_for

        cfg, gan = self.cfg, self.gan
        self._refresh_ema()
        tensors, extra = rng_state()  # evaluation draws from its own seeded generator; this is a guard
        was_training = gan.training
        try:
            gan.eval()
            swapped = self.ema.swapped_into(gan) if self.ema is not None else contextlib.nullcontext()
            with swapped:
                feature = feature_for(cfg.eval_feature, cfg.eval_reference_name, cfg.dataset)
                results = evaluate(gan, metrics=cfg.eval_metric, num_samples=cfg.eval_samples,
                                   reference=cfg.eval_reference_name, feature=feature, seed=cfg.seed,
                                   baseline=False, progress=False)
        finally:
            gan.train(was_training)
            set_rng_state(tensors, extra)
        value = results.values[0]
        score = float(value.value)
        record = {"step": step, "eval": {**{v.name: v.value for v in results.values},
                                         "num_samples": results.provenance["num_samples"],
                                         "ema": self.ema is not None}}
        self.reporter.log(record)
        if self.reporter.writer is not None:
            for v in results.values:
                self.reporter.writer.add_scalar(f"eval/{v.name}", v.value, step)
        better = math.isfinite(score) and (
            self.best is None or (score > self.best["value"] if value.higher_is_better else score < self.best["value"]))
        if better:
            self.best = {"metric": value.name, "value": score, "step": step,
                         "higher_is_better": value.higher_is_better}
        self.reporter.message(f"ganzoo: step {step}: {value.name} = {score:.4g}" + (" (best)" if better else ""))
        return better

    def _log(self, step: int, window: MetricWindow) -> None:
        means = dist_utils.mean_over_ranks(window.means(), self.device)
        record: dict[str, Any] = {"step": step, "epoch": self.stream.epoch + self.stream.position /
                                  self.stream.batches_per_epoch}
        record.update({k: round(v, 6) for k, v in means.items()})
        record["lr_g"] = self.runner.optimizers["generator"].param_groups[0]["lr"]
        record["lr_d"] = self.runner.optimizers["discriminator"].param_groups[0]["lr"]
        augment = self.runner.objective.augment
        if augment:
            record["augment_p"] = round(augment.p, 4)
        record["images_per_s"] = round(window.images_per_second(), 1)
        record["images_seen"] = self.images_seen(step)
        record["train_s"] = round(self.train_seconds(), 2)
        record["time"] = round(time.time(), 3)
        self.last_metrics = record
        self.reporter.log(record)
        window.reset()

    def _refresh_ema(self) -> None:
        """Standing statistics: the EMA generator's batch norms re-estimated before it is used or saved."""
        if self.ema is not None and self.cfg.standing_batches:
            self.ema.refresh_statistics(self.gan, batches=self.cfg.standing_batches, seed=self.cfg.seed)

    def _grid(self, name: str, step: int) -> None:
        self._refresh_ema()
        path = self.samples.write_grid(self.run_dir / "samples" / name, step)
        self.reporter.image("samples", path, step)

    def _nan_message(self, step: int, logs: dict[str, float]) -> str:
        values = ", ".join(f"{k}={logs[k]:.4g}" for k in ("d_loss", "g_loss"))
        good = _newest_finite_checkpoint(self.run_dir) if self.last_checkpoint else None
        if good is not None and self.last_checkpoint is not None and good.name == self.last_checkpoint.name:
            kept = f"the last good checkpoint is {self.last_checkpoint}"
        elif good is not None:
            kept = (f"the last checkpoint already holds NaN or infinite weights; the newest finite one is {good} "
                    f"(pick it with --checkpoint {good.name})")
        else:
            kept = "no checkpoint with finite weights was written before it"
        return (f"non-finite loss at step {step} ({values}); training stopped and {kept}. Lower the learning "
                f"rates (--lr-d, --lr-g), try --precision fp32, --clip-grad or a regulariser, then continue "
                f"with --resume")


def _newest_finite_checkpoint(run_dir: Path) -> Path | None:
    """The newest checkpoint whose weights are all finite: a NaN one is never called "good" (issue 22)."""
    for path in reversed(ckpt.list_checkpoints(run_dir)):
        try:
            saved = ckpt.read_checkpoint(path, training_state=False)
        except CheckpointError:
            continue
        tensors = [*saved.model.values(), *(saved.ema or {}).values()]
        if all(bool(torch.isfinite(t).all()) for t in tensors if t.is_floating_point()):
            return path
    return None


def _batch_too_small(exc: ValueError, cfg: TrainConfig) -> UsageError | None:
    """Batch norm's refusal of a one-image batch as a usage error naming ``-b`` (None for other errors)."""
    if "Expected more than 1 value per channel" not in str(exc):
        return None
    return UsageError(f"--batch-size {cfg.batch_size} is too small for {cfg.arch or 'this model'}: its batch norm "
                      f"needs more than one value per channel, so pass -b 2 or more")


def file_system_message(exc: OSError, run_dir: Path, what: str | None = None) -> str:
    """One line for a write the file system refused mid-run: what, why, what to do, what was kept."""
    target = f"{what} in {run_dir}" if what else (exc.filename or run_dir)
    fix = "free some space or choose another --out" if exc.errno in NO_SPACE else "choose another --out"
    latest = ckpt.latest_checkpoint(run_dir)
    kept = (f"the last checkpoint, {latest.name}, is intact: then continue with 'ganzoo train --resume --out "
            f"{run_dir}'" if latest is not None else "no checkpoint had been saved yet")
    return f"cannot write {target} ({exc.strerror or exc}); {fix}; {kept}"


def _saved_best(checkpoint: Path, label: str | None) -> dict[str, Any] | None:
    """The ``best`` recorded in ``checkpoint``'s state, if it was scored as ``label`` (else start afresh)."""
    from ganzoo.io import read_json

    with contextlib.suppress(OSError, ValueError, AttributeError):
        best = read_json(checkpoint / "state.json").get("best")
        if isinstance(best, dict) and label in (None, best.get("metric")) and {"value", "step"} <= best.keys():
            return best
    return None
