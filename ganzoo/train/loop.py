"""The step loop of a run: updates, EMA, metrics, sample grids, checkpoints, stops.

:class:`TrainLoop` gets everything ready-made from :class:`~ganzoo.train.trainer.Trainer` and
runs steps until the budget is spent, a NaN appears or a stop signal arrives. Stops happen only
between steps, so every checkpoint holds a consistent state.
"""

from __future__ import annotations

import math
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from ganzoo.errors import TrainingError
from ganzoo.models import GAN
from ganzoo.train import checkpoints as ckpt
from ganzoo.train import distributed as dist_utils
from ganzoo.train.batches import BatchStream
from ganzoo.train.config import TrainConfig
from ganzoo.train.devices import rng_state
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

    def save(self, step: int) -> Path | None:
        if not self.info.is_main:
            return None
        optim_tensors: dict[str, torch.Tensor] = {}
        optim_meta: dict[str, Any] = {}
        for name, optimizer in self.runner.optimizers.items():
            tensors, meta = flatten_state(name, optimizer)
            optim_tensors.update(tensors)
            optim_meta[name] = meta
        rng_tensors, rng_extra = rng_state()
        state = {"epoch": self.stream.epoch, "data": self.stream.state_dict(), "optimizers": optim_meta,
                 "grad_scalers": self.runner.scaler_state(), "rng": rng_extra, "best": None,
                 "ema_updates": self.ema.updates if self.ema else 0, "precision": self.precision,
                 "world_size": self.info.world_size, "time": time.time()}
        path = ckpt.save_checkpoint(self.run_dir, step, model=self.gan.state_dict(),
                                    ema=self.ema.state_dict() if self.ema else None, optimizers=optim_tensors,
                                    rng=rng_tensors, state=state)
        ckpt.prune_checkpoints(self.run_dir, self.cfg.keep_checkpoints)
        self.last_checkpoint = path
        return path

    def run(self, step: int, resumed_from: Path | None) -> TrainResult:
        cfg, stream, runner = self.cfg, self.stream, self.runner
        if step >= self.total:
            self.reporter.message(f"ganzoo: {self.run_dir} is already at step {step} of {self.total}; "
                                  f"raise --max-steps or --epochs to train longer")
            return TrainResult(self.run_dir, step, stream.epoch, self.last_checkpoint, {})
        images_per_step = cfg.batch_size * cfg.n_critic * self.info.world_size
        window = MetricWindow()
        saved_step, sampled_step = (step if resumed_from is not None else -1), -1
        while step < self.total:
            self._schedule(step)
            epoch_ended = False
            for _ in range(cfg.n_critic):
                batch, ended = stream.next()
                epoch_ended |= ended
                d_logs = runner.d_step(batch)
            g_logs = runner.g_step(batch)
            if self.ema is not None:
                self.ema.update(self.gan.generator)
            step += 1
            hook = getattr(self.gan, "on_step_end", None)
            if callable(hook):
                hook(step)
            logs = {**d_logs, **g_logs}
            bad = not (math.isfinite(logs["d_loss"]) and math.isfinite(logs["g_loss"]))
            stop = self.stop_signal() is not None
            if self.info.enabled:
                bad, stop = dist_utils.any_true([bad, stop], self.device)
            if bad:
                raise TrainingError(self._nan_message(step, logs))
            window.add(logs, images_per_step)
            self.reporter.step(step, stream.epoch)
            if step % cfg.log_every == 0 or step == self.total:
                self._log(step, window)
            if self.info.is_main:
                if epoch_ended:
                    self._grid(f"epoch_{stream.epoch:04d}.png", step)
                    sampled_step = step
                if cfg.sample_every and step % cfg.sample_every == 0:
                    self._grid(f"step_{step:08d}.png", step)
                    sampled_step = step
            if cfg.checkpoint_every and step % cfg.checkpoint_every == 0:
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
        if saved_step != step:
            self.save(step)
        if self.info.is_main:
            if sampled_step != step:
                self._grid(f"step_{step:08d}.png", step)
            self.samples.write_gif(self.run_dir)
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

    def _log(self, step: int, window: MetricWindow) -> None:
        means = dist_utils.mean_over_ranks(window.means(), self.device)
        record: dict[str, Any] = {"step": step, "epoch": self.stream.epoch + self.stream.position /
                                  self.stream.batches_per_epoch}
        record.update({k: round(v, 6) for k, v in means.items()})
        record["lr_g"] = self.runner.optimizers["generator"].param_groups[0]["lr"]
        record["lr_d"] = self.runner.optimizers["discriminator"].param_groups[0]["lr"]
        record["images_per_s"] = round(window.images_per_second(), 1)
        record["time"] = round(time.time(), 3)
        self.last_metrics = record
        self.reporter.log(record)
        window.reset()

    def _grid(self, name: str, step: int) -> None:
        path = self.samples.write_grid(self.run_dir / "samples" / name, step)
        self.reporter.image("samples", path, step)

    def _nan_message(self, step: int, logs: dict[str, float]) -> str:
        values = ", ".join(f"{k}={logs[k]:.4g}" for k in ("d_loss", "g_loss"))
        kept = (f"the last good checkpoint is {self.last_checkpoint}" if self.last_checkpoint
                else "no checkpoint was written before it")
        return (f"non-finite loss at step {step} ({values}); training stopped and {kept}. Lower the learning "
                f"rates (--lr-d, --lr-g), try --precision fp32, --clip-grad or a regulariser, then continue "
                f"with --resume")
