"""Training throughput of the 28x28 DCGAN on Fashion-MNIST: a textbook fp32 loop vs ganzoo.

Both sides train the TensorFlow-tutorial DCGAN (batch 256 by default) on the real Fashion-MNIST
training set, in one process, in interleaved rounds so that load from other processes hits both:

* **textbook**: the network written the plain PyTorch way (``nn.Sequential``, ``nn.Dropout``,
  ``nn.Flatten``, default layouts) and trained by its own small fp32 eager loop: one generator
  forward, a discriminator step on real + ``fake.detach()``, a generator step,
  ``nn.BCEWithLogitsLoss``, Adam(2e-4, betas=(0.5, 0.999)).
* **ganzoo**: ``ganzoo.train.train`` with the defaults of :class:`ganzoo.train.TrainConfig` (on
  this kind of CPU: bf16 autocast, channels_last, foreach Adam, its own batch stream) on
  ``ganzoo.create_model("dcgan")``. Steps are timed from the model's ``on_step_end`` hook, so a
  round's time is the engine's loop alone, not its setup, checkpoint or sample grid.

Both read batches by indexing the in-memory dataset (no DataLoader), so only the step differs.
Then, in fresh processes, the peak resident memory of each side, and the bf16-vs-fp32 loss gap:
the engine trained twice from the same seed on the same data order, once per precision.

    python benchmarks/train_throughput.py                      # a few minutes + the loss gap
    python benchmarks/train_throughput.py --gap-steps 0        # throughput only

The last line is ``ratio: X.XX``: ganzoo's median images/s over the textbook loop's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

import ganzoo
from ganzoo import devices
from ganzoo.data import build_dataset
from ganzoo.devices import resolve_precision, select_device, use_channels_last
from ganzoo.train import TrainConfig, train

LATENT = 100


# -- the textbook side -----------------------------------------------------------------------------
def textbook_networks() -> tuple[nn.Module, nn.Module]:
    """The TensorFlow DCGAN tutorial's networks as a PyTorch user would first write them."""
    generator = nn.Sequential(
        nn.Linear(LATENT, 7 * 7 * 256, bias=False), nn.BatchNorm1d(7 * 7 * 256), nn.LeakyReLU(0.3),
        nn.Unflatten(1, (256, 7, 7)),
        nn.ConvTranspose2d(256, 128, 5, 1, 2, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.3),
        nn.ConvTranspose2d(128, 64, 5, 2, 2, output_padding=1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.3),
        nn.ConvTranspose2d(64, 1, 5, 2, 2, output_padding=1, bias=False), nn.Tanh(),
    )
    discriminator = nn.Sequential(
        nn.Conv2d(1, 64, 5, 2, 2), nn.LeakyReLU(0.3), nn.Dropout(0.3),
        nn.Conv2d(64, 128, 5, 2, 2), nn.LeakyReLU(0.3), nn.Dropout(0.3),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1),
    )
    return generator, discriminator


class TextbookLoop:
    """The plain fp32 eager loop; ``run(n)`` trains ``n`` more steps and returns their seconds."""

    def __init__(self, dataset: Any, batch_size: int, seed: int) -> None:
        torch.manual_seed(seed)
        self.generator, self.discriminator = textbook_networks()
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.criterion = nn.BCEWithLogitsLoss()
        self.dataset, self.batch_size = dataset, batch_size
        self.order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))
        self.cursor = 0

    def _batch(self) -> Tensor:
        if self.cursor + self.batch_size > len(self.order):
            self.cursor = 0
        indices = self.order[self.cursor:self.cursor + self.batch_size]
        self.cursor += self.batch_size
        return self.dataset.get_batch(indices)["image"]

    def step(self) -> None:
        real = self._batch()
        n = real.shape[0]
        ones, zeros = torch.ones(n, 1), torch.zeros(n, 1)
        fake = self.generator(torch.randn(n, LATENT))
        self.opt_d.zero_grad()
        loss_d = (self.criterion(self.discriminator(real), ones)
                  + self.criterion(self.discriminator(fake.detach()), zeros))
        loss_d.backward()
        self.opt_d.step()
        self.opt_g.zero_grad()
        loss_g = self.criterion(self.discriminator(fake), ones)
        loss_g.backward()
        self.opt_g.step()

    def run(self, steps: int) -> tuple[float, float]:
        """Wall and CPU seconds of ``steps`` more steps."""
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(steps):
            self.step()
        return time.perf_counter() - wall, time.process_time() - cpu


# -- the ganzoo side -------------------------------------------------------------------------------
class EngineLoop:
    """``ganzoo.train.train`` with its defaults; ``run(n)`` times ``n`` steps after a warm-up.

    Each call is one short training run that continues the same model (the optimisers restart).
    The engine calls ``model.on_step_end(step)`` after every step; the time between the ends of
    step ``warmup`` and step ``warmup + n`` is the engine's loop alone.
    """

    def __init__(self, dataset: Any, batch_size: int, seed: int, workdir: Path, **options: Any) -> None:
        torch.manual_seed(seed)
        self.model = ganzoo.create_model("dcgan")
        self.dataset, self.batch_size, self.seed = dataset, batch_size, seed
        self.workdir, self.options, self.runs = workdir, options, 0
        self.stamps: list[tuple[float, float]] = []
        self.model.on_step_end = self._stamp  # type: ignore[assignment]

    def _stamp(self, step: int) -> None:
        self.stamps.append((time.perf_counter(), time.process_time()))

    def config(self, steps: int, **changes: Any) -> TrainConfig:
        self.runs += 1
        options = dict(arch="dcgan", dataset="fashion-mnist", batch_size=self.batch_size, max_steps=steps,
                       seed=self.seed, out=str(self.workdir / f"run{self.runs}"), quiet=True,
                       checkpoint_every=0, log_every=max(1, steps), **self.options)
        options.update(changes)
        return TrainConfig(**options)

    def run(self, steps: int, warmup: int = 1) -> tuple[float, float]:
        """Wall and CPU seconds of ``steps`` steps, after ``warmup`` (at least 1) untimed ones."""
        warmup = max(1, warmup)
        self.stamps = []
        train(self.config(warmup + steps), dataset=self.dataset, model=self.model)
        (wall0, cpu0), (wall1, cpu1) = self.stamps[warmup - 1], self.stamps[-1]
        return wall1 - wall0, cpu1 - cpu0


# -- measurements ----------------------------------------------------------------------------------
def busy_jiffies() -> tuple[int, int] | None:
    """(busy, total) CPU jiffies of the whole machine, from /proc/stat (None elsewhere)."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def timed(run: Callable[[], tuple[float, float]]) -> tuple[float, float, float | None]:
    """``run``'s wall and CPU seconds, and how many cores *other* processes kept busy meanwhile.

    CPU seconds are the steadier figure with ``--threads 1`` on a shared machine: time spent
    waiting for a core does not count. With more threads they include spin-waiting.
    """
    before, cpu0 = busy_jiffies(), time.process_time()
    wall0 = time.perf_counter()
    seconds, cpu_seconds = run()
    wall = time.perf_counter() - wall0
    after, cpu = busy_jiffies(), time.process_time() - cpu0
    if before is None or after is None or wall <= 0:
        return seconds, cpu_seconds, None
    others = (after[0] - before[0]) / os.sysconf("SC_CLK_TCK") - cpu
    return seconds, cpu_seconds, max(0.0, others / wall)


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter to the current RSS (Linux 4.0+); False if we cannot."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def probe_memory(side: str, steps: int, batch_size: int, seed: int) -> None:
    """Child process: load the data, reset the peak-RSS counter, train ``steps`` steps of one side.

    Prints the resident memory before training and its peak during training, in KiB: the
    kernel's high-water mark (``VmHWM``, what ``getrusage().ru_maxrss`` reports), reset after
    loading so that the dataset's own loading peak does not hide the training's.
    """
    dataset = build_dataset("fashion-mnist")
    reset = _reset_peak()
    before = _status_kib("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if side == "textbook":
        TextbookLoop(dataset, batch_size, seed).run(steps)
    else:
        with tempfile.TemporaryDirectory(prefix="ganzoo-bench-") as tmp:
            EngineLoop(dataset, batch_size, seed, Path(tmp)).run(steps, warmup=1)
    peak = _status_kib("VmHWM") if reset else None
    print(json.dumps({"before_kib": before, "peak_kib": peak or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "reset": reset}))


def memory(side: str, steps: int, batch_size: int, seed: int) -> dict[str, int]:
    out = subprocess.run([sys.executable, __file__, "--probe-memory", side, "--steps", str(steps),
                          "--batch-size", str(batch_size), "--seed", str(seed),
                          "--threads", str(torch.get_num_threads())],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def loss_gap(dataset: Any, steps: int, batch_size: int, seed: int, workdir: Path,
             window: int = 50) -> dict[str, dict[str, float]]:
    """Train the engine from one seed in fp32 and in bf16; compare the per-step losses.

    Returns, for the first and the last ``window`` steps, the mean absolute difference of each
    loss, each run's mean, and the fp32 run's standard deviation over the window (for scale).
    """
    history: dict[str, list[dict[str, float]]] = {}
    for precision in ("fp32", "bf16"):
        loop = EngineLoop(dataset, batch_size, seed, workdir / f"gap-{precision}", precision=precision)
        config = loop.config(steps, log_every=1)
        start = time.perf_counter()
        train(config, dataset=dataset, model=loop.model)
        lines = (Path(config.out) / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
        history[precision] = [json.loads(line) for line in lines]
        print(f"  {precision}: {steps} steps in {time.perf_counter() - start:.0f} s", flush=True)
    result: dict[str, dict[str, float]] = {}
    for part, cut in (("first", slice(0, window)), ("last", slice(-window, None))):
        numbers: dict[str, float] = {}
        for key in ("d_loss", "g_loss"):
            fp32 = [r[key] for r in history["fp32"][cut]]
            bf16 = [r[key] for r in history["bf16"][cut]]
            numbers[f"{key}_gap"] = statistics.fmean(abs(a - b) for a, b in zip(fp32, bf16))
            numbers[f"{key}_fp32"], numbers[f"{key}_bf16"] = statistics.fmean(fp32), statistics.fmean(bf16)
            numbers[f"{key}_fp32_std"] = statistics.pstdev(fp32)
        result[part] = numbers
    return result


def wait_for_idle(limit: float, threshold: float = 0.2, sample: float = 2.0) -> None:
    """Wait up to ``limit`` seconds until other processes keep fewer than ``threshold`` cores busy."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = busy_jiffies()
        time.sleep(sample)
        after = busy_jiffies()
        if before is None or after is None:
            return
        if (after[0] - before[0]) / os.sysconf("SC_CLK_TCK") / sample < threshold:
            return


def cpu_name() -> str:
    return devices.cpu_name() or platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=12, help="timed steps per side per round (default 12)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; medians are reported (default 5)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps before the rounds (default 3)")
    parser.add_argument("--gap-steps", type=int, default=500,
                        help="steps of the bf16-vs-fp32 loss comparison; 0 skips it (default 500)")
    parser.add_argument("--memory-steps", type=int, default=5,
                        help="steps of each peak-memory probe; 0 skips them (default 5)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    parser.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                        help="before each round, wait up to this long for other processes to go quiet")
    parser.add_argument("--probe-memory", choices=("textbook", "ganzoo"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.probe_memory:
        probe_memory(args.probe_memory, args.steps, args.batch_size, args.seed)
        return

    dataset = build_dataset("fashion-mnist")
    with tempfile.TemporaryDirectory(prefix="ganzoo-bench-") as tmp:
        workdir = Path(tmp)
        textbook = TextbookLoop(dataset, args.batch_size, args.seed)
        engine = EngineLoop(dataset, args.batch_size, args.seed, workdir)
        defaults = TrainConfig("dcgan", "fashion-mnist")
        device = select_device(defaults.device)
        precision = resolve_precision(defaults.precision, device).name
        channels_last = use_channels_last(defaults.channels_last, engine.model, device)
        print(f"28x28 DCGAN, batch {args.batch_size}, Fashion-MNIST train ({len(dataset)} images); "
              f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs: {cpu_name()}")
        print(f"ganzoo engine defaults here: device={device} precision={defaults.precision} -> {precision}, "
              f"channels_last={defaults.channels_last} -> {channels_last}, optimizer={defaults.optimizer}")
        print(f"warm-up: {args.warmup} steps each; then {args.rounds} rounds of {args.steps} steps per side",
              flush=True)
        textbook.run(args.warmup)
        engine.run(1, warmup=args.warmup)
        rates: dict[str, list[float]] = {"textbook": [], "ganzoo": []}
        cpu_per_step: dict[str, list[float]] = {"textbook": [], "ganzoo": []}
        for index in range(args.rounds):
            if args.wait_idle:
                wait_for_idle(args.wait_idle)
            t_text, cpu_a, load_a = timed(lambda: textbook.run(args.steps))
            t_engine, cpu_b, load_b = timed(lambda: engine.run(args.steps))
            rates["textbook"].append(args.steps * args.batch_size / t_text)
            rates["ganzoo"].append(args.steps * args.batch_size / t_engine)
            cpu_per_step["textbook"].append(cpu_a / args.steps)
            cpu_per_step["ganzoo"].append(cpu_b / args.steps)
            load = "" if load_a is None else f"  (other processes: {load_a:.2f} / {load_b:.2f} cores busy)"
            print(f"round {index + 1}: textbook fp32 {rates['textbook'][-1]:7.1f} img/s   "
                  f"ganzoo {rates['ganzoo'][-1]:7.1f} img/s   x{t_text / t_engine:.2f}{load}", flush=True)
        med = {side: statistics.median(values) for side, values in rates.items()}
        paired = statistics.median(b / a for a, b in zip(rates["textbook"], rates["ganzoo"]))
        cpu = {side: statistics.median(values) for side, values in cpu_per_step.items()}
        print(f"textbook fp32 eager loop : median {med['textbook']:7.1f} img/s "
              f"({args.batch_size / med['textbook']:.3f} s/step; CPU {cpu['textbook']:.3f} s/step)")
        print(f"ganzoo engine defaults   : median {med['ganzoo']:7.1f} img/s "
              f"({args.batch_size / med['ganzoo']:.3f} s/step; CPU {cpu['ganzoo']:.3f} s/step)")
        print(f"median of per-round ratios: {paired:.2f}; ratio of CPU time per step: "
              f"{cpu['textbook'] / cpu['ganzoo']:.2f}")

        if args.memory_steps:
            print(f"peak memory: a fresh process per side loads the data, then trains {args.memory_steps} steps; "
                  f"peak RSS (VmHWM = ru_maxrss, reset after loading):", flush=True)
            for side in ("textbook", "ganzoo"):
                mem = memory(side, args.memory_steps, args.batch_size, args.seed)
                note = "" if mem["reset"] else " (could not reset the counter: includes loading)"
                print(f"  {side:8s}: {mem['peak_kib'] / 1024:7.1f} MiB peak, "
                      f"{(mem['peak_kib'] - mem['before_kib']) / 1024:6.1f} MiB above the "
                      f"{mem['before_kib'] / 1024:.1f} MiB held before training{note}", flush=True)

        if args.gap_steps:
            print(f"loss gap, ganzoo engine bf16 vs fp32: {args.gap_steps} steps each from seed {args.seed}, "
                  f"same data order", flush=True)
            gaps = loss_gap(dataset, args.gap_steps, args.batch_size, args.seed, workdir)
            window = min(50, args.gap_steps)
            for part in ("first", "last"):
                gap = gaps[part]
                for key in ("d_loss", "g_loss"):
                    print(f"  {key}, {part} {window} steps: mean |bf16 - fp32| = {gap[key + '_gap']:.4f}   "
                          f"mean fp32 {gap[key + '_fp32']:.4f} (std {gap[key + '_fp32_std']:.4f}), "
                          f"mean bf16 {gap[key + '_bf16']:.4f}")
    print(f"ratio: {med['ganzoo'] / med['textbook']:.2f}")


if __name__ == "__main__":
    main()
