"""What a run reports while it trains: ``metrics.jsonl``, a tqdm bar and (optionally) TensorBoard.

Only rank 0 reports. Numbers are averaged over each ``log_every`` window, so a line describes the
steps since the previous line, not one noisy step.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from ganzoo.errors import UsageError
from ganzoo.io import atomic_write


def cut_metrics(path: Path, step: int) -> int:
    """Drop the rows of ``metrics.jsonl`` after ``step`` (atomically); returns how many went.

    A resumed run replays the steps after its checkpoint, so without this their rows would be
    written twice. A torn last line (the process died mid-write) goes too.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return 0
    lines = text.splitlines(keepends=True)
    kept = []
    for line in lines:
        if not line.endswith("\n"):
            continue
        try:
            row = json.loads(line)
        except ValueError:
            kept.append(line)  # not ours to judge
            continue
        if isinstance(row, dict) and isinstance(row.get("step"), (int, float)) and row["step"] > step:
            continue
        kept.append(line)
    if len(kept) != len(lines):
        with atomic_write(path, "w") as handle:
            handle.writelines(kept)
    return len(lines) - len(kept)


def require_tensorboard() -> Any:
    """TensorBoard's ``SummaryWriter``, or a usage error saying how to get it."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise UsageError("--logger tensorboard needs the tensorboard package: pip install tensorboard") from None
    return SummaryWriter


class MetricWindow:
    """Running sums of the floats a step logs, turned into means at log time."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.count = 0
        self.images = 0
        self.started = time.perf_counter()

    def add(self, logs: dict[str, float], images: int) -> None:
        sums = self.sums
        for key, value in logs.items():
            sums[key] = sums.get(key, 0.0) + value
        self.count += 1
        self.images += images

    def means(self) -> dict[str, float]:
        return {k: v / max(1, self.count) for k, v in self.sums.items()}

    def images_per_second(self) -> float:
        return self.images / max(1e-9, time.perf_counter() - self.started)

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


class Reporter:
    """Writes metrics lines, drives the progress bar and TensorBoard; a no-op off rank 0."""

    def __init__(self, run_dir: Path, *, total_steps: int | None, start_step: int, enabled: bool, quiet: bool,
                 tensorboard: bool) -> None:
        self.enabled = enabled
        self.quiet = quiet
        self.metrics_path = run_dir / "metrics.jsonl"
        self.bar = None
        self.writer = None
        if not enabled:
            return
        if tensorboard:
            # A resumed run replays the steps after its checkpoint: purge_step hides what the
            # first run logged from there on, so each step's point appears once in TensorBoard.
            self.writer = require_tensorboard()(str(run_dir / "tensorboard"),
                                                purge_step=start_step + 1 if start_step else None)
        if not quiet and sys.stderr.isatty():
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total_steps, initial=start_step, unit="step", dynamic_ncols=True, leave=True)

    def step(self, step: int, epoch: int) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if step % 10 == 0:
                self.bar.set_description(f"epoch {epoch + 1}", refresh=False)

    def log(self, record: dict[str, Any]) -> None:
        """Append one line to ``metrics.jsonl``; show the losses on the bar and in TensorBoard."""
        if not self.enabled:
            return
        with open(self.metrics_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        if self.bar is not None:
            shown = {k: record[k] for k in ("d_loss", "g_loss", "wasserstein") if k in record}
            text = " ".join(f"{k}={v:.3f}" for k, v in shown.items())
            self.bar.set_postfix_str(f"{text} {record.get('images_per_s', 0):.0f} img/s", refresh=False)
        if self.writer is not None:
            for key, value in record.items():
                if key not in ("step", "epoch", "time") and isinstance(value, (int, float)):
                    self.writer.add_scalar(key, value, record["step"])

    def image(self, tag: str, path: Path, step: int) -> None:
        if self.writer is None:
            return
        import numpy as np
        from PIL import Image

        with Image.open(path) as image:
            array = np.asarray(image.convert("RGB"))
        self.writer.add_image(tag, array, step, dataformats="HWC")

    def hparams(self, hyperparameters: dict[str, Any], metrics: dict[str, float], step: int) -> None:
        """The run's settings and final scores as one row of TensorBoard's hparams table.

        The scores get an ``hparam/`` prefix so that they do not add a second point to the
        curves of the same names.
        """
        if self.writer is None:
            return
        values = {f"hparam/{k}": float(v) for k, v in metrics.items()
                  if isinstance(v, (int, float)) and not isinstance(v, bool)}
        self.writer.add_hparams(hyperparameters, values, run_name=".", global_step=step)

    def message(self, text: str, *, always: bool = False) -> None:
        """A line for the user (stderr), printed around the progress bar; silent with ``quiet`` unless ``always``."""
        if not self.enabled or (self.quiet and not always):
            return
        if self.bar is not None:
            self.bar.write(text, file=sys.stderr)
        else:
            print(text, file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.writer is not None:
            self.writer.close()
            self.writer = None
