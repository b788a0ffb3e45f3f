"""Training throughput of every family: a plain fp32 PyTorch loop of the same networks against ganzoo's engine.

For each family, both sides train the same freshly built model (the family's defaults at 28x28,
one channel; cgan and sngan-projection with 10 classes; pix2pix and cyclegan on image pairs) on
the same batches of real Fashion-MNIST images, in one process, in interleaved rounds:

* **plain**: the model's own ``d_loss``/``g_loss`` (so the maths are the family's), fp32, the
  default memory layout, ``torch.optim.Adam`` with the family's learning rates and betas, fresh
  fakes in every step (``share_fakes`` off where a family has it), ``n_critic`` discriminator
  updates per generator update, and nothing frozen: the loop a PyTorch user writes first.
* **ganzoo**: ``ganzoo.train.train`` with the family's training defaults and the engine's own
  (bf16 autocast where the CPU is fast at it, channels_last, fakes shared between the two steps,
  the idle player frozen, foreach Adam); steps are timed from the model's ``on_step_end`` hook.

Each family prints its median images/s per side and the median of the per-round ratios. Then,
for WGAN-GP (whose gradient penalty makes a step cost several DCGAN steps), the engine's step
is timed with the penalty in bf16 and fp32 and without the penalty, to show where the time goes.

    python benchmarks/family_throughput.py                     # every family, a few minutes
    python benchmarks/family_throughput.py --families dcgan,sngan --rounds 5

The last line is ``ratios: family=X.XX ...`` (ganzoo over plain, per family).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from ganzoo import devices
from ganzoo.data import build_dataset
from ganzoo.losses import build_objective
from ganzoo.models import build_model
from ganzoo.train import TrainConfig, train
from ganzoo.train.config import arch_train_defaults

#: family -> (dataset, dataset options, architecture options); 28x28 grey everywhere.
FAMILIES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "vanilla": ("fashion-mnist", {}, {}),
    "dcgan": ("fashion-mnist", {}, {}),
    "cgan": ("fashion-mnist", {}, {}),
    "wgan-gp": ("fashion-mnist", {}, {}),
    "sngan": ("fashion-mnist", {}, {"image_size": 28, "g_channels": 128, "d_channels": 128}),
    "sngan-projection": ("fashion-mnist", {}, {"image_size": 28, "g_channels": 128, "d_channels": 128}),
    # the zoo models' 28x28 settings (the families' defaults are 256x256 and 3 channels)
    "pix2pix": ("edges2fashion", {}, {"image_size": 28, "in_channels": 1, "channels": 1, "base_channels": 32,
                                      "depth": 4, "d_channels": 32, "d_layers": 1}),
    "cyclegan": ("fashion-domains", {}, {"image_size": 28, "channels": 1, "base_channels": 16, "n_blocks": 3,
                                         "n_downsample": 2, "d_channels": 32, "d_layers": 2}),
}


def cpu_name() -> str:
    return devices.cpu_name() or platform.processor() or platform.machine()


def fill_from_data(arch: str, dataset: Any, options: dict[str, Any]) -> dict[str, Any]:
    """The options ``ganzoo train`` would fill from the data (classes, input channels)."""
    options = dict(options)
    info = getattr(dataset, "info", None)
    if arch in ("cgan", "sngan-projection"):
        options.setdefault("num_classes", getattr(info, "num_classes", 10))
    if arch == "pix2pix":
        options.setdefault("in_channels", 1)
    if arch in ("pix2pix", "cyclegan") and getattr(info, "domains", None):
        options.setdefault("domains", info.domains)
    return options


class Batches:
    """The same fixed order of batches for both sides (indexing the in-memory dataset)."""

    def __init__(self, dataset: Any, batch_size: int, seed: int) -> None:
        self.dataset, self.batch_size = dataset, batch_size
        self.order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))
        self.cursor = 0

    def next(self) -> dict[str, torch.Tensor]:
        if self.cursor + self.batch_size > len(self.order):
            self.cursor = 0
        indices = self.order[self.cursor:self.cursor + self.batch_size]
        self.cursor += self.batch_size
        if hasattr(self.dataset, "get_batch"):
            return self.dataset.get_batch(indices)
        items = [self.dataset[int(i)] for i in indices]
        return {k: torch.stack([torch.as_tensor(item[k]) for item in items]) for k in items[0]}


class PlainLoop:
    """The family's losses in a plain fp32 eager loop; ``run(n)`` returns the seconds of ``n`` steps."""

    def __init__(self, arch: str, kwargs: dict[str, Any], defaults: TrainConfig, batches: Batches) -> None:
        torch.manual_seed(0)
        if "share_fakes" in build_model(arch, **kwargs).config:
            kwargs = {**kwargs, "share_fakes": False}
        self.model = build_model(arch, **kwargs).train()
        self.objective = build_objective(defaults.loss, {k: float(v or 10.0) for k, v in defaults.regularisers.items()})
        params = {"generator": list(self.model.generator.parameters()),
                  "discriminator": list(self.model.discriminator.parameters())}
        self.opt = {name: torch.optim.Adam(p, lr=defaults.lr_g if name == "generator" else defaults.lr_d,
                                           betas=tuple(defaults.betas)) for name, p in params.items()}
        self.n_critic, self.batches = defaults.n_critic, batches

    def step(self) -> None:
        for _ in range(self.n_critic):
            batch = self.batches.next()
            self.opt["discriminator"].zero_grad(set_to_none=True)
            loss, _ = self.model.d_loss(batch, self.objective)
            loss.backward()
            self.opt["discriminator"].step()
        self.opt["generator"].zero_grad(set_to_none=True)
        loss, _ = self.model.g_loss(batch, self.objective)
        loss.backward()
        self.opt["generator"].step()

    def run(self, steps: int) -> float:
        start = time.perf_counter()
        for _ in range(steps):
            self.step()
        return time.perf_counter() - start


class EngineLoop:
    """``ganzoo.train.train`` on a model that continues between calls; times steps from ``on_step_end``."""

    def __init__(self, arch: str, kwargs: dict[str, Any], config: TrainConfig, dataset: Any, workdir: Path) -> None:
        torch.manual_seed(0)
        self.model = build_model(arch, **kwargs)
        self.config, self.dataset, self.workdir, self.runs = config, dataset, workdir, 0
        self.stamps: list[float] = []
        self.model.on_step_end = lambda step: self.stamps.append(time.perf_counter())  # type: ignore[assignment]

    def run(self, steps: int, warmup: int = 1, **changes: Any) -> float:
        self.runs += 1
        self.stamps = []
        config = self.config.replace(max_steps=warmup + steps, out=str(self.workdir / f"run{self.runs}"), quiet=True,
                                     checkpoint_every=0, log_every=warmup + steps, **changes)
        train(config, dataset=self.dataset, model=self.model)
        return self.stamps[-1] - self.stamps[warmup - 1]


def measure(arch: str, args: argparse.Namespace, workdir: Path) -> float:
    data_name, data_options, arch_options = FAMILIES[arch]
    dataset = build_dataset(data_name, "train", **data_options)
    kwargs = fill_from_data(arch, dataset, arch_options)
    config = TrainConfig.for_arch(arch, dataset=data_name, batch_size=args.batch_size, seed=0, sample_count=4)
    images = args.batch_size * config.n_critic
    plain = PlainLoop(arch, kwargs, config, Batches(dataset, args.batch_size, 0))
    engine = EngineLoop(arch, kwargs, config, dataset, workdir / arch)
    plain.run(args.warmup)
    engine.run(1, warmup=args.warmup)
    rates: dict[str, list[float]] = {"plain": [], "ganzoo": []}
    for _ in range(args.rounds):
        rates["plain"].append(args.steps * images / plain.run(args.steps))
        rates["ganzoo"].append(args.steps * images / engine.run(args.steps))
    ratio = statistics.median(b / a for a, b in zip(rates["plain"], rates["ganzoo"]))
    print(f"{arch:17s} plain fp32 {statistics.median(rates['plain']):7.1f} img/s   ganzoo "
          f"{statistics.median(rates['ganzoo']):7.1f} img/s   x{ratio:.2f}   (loss {config.loss}, "
          f"n_critic {config.n_critic})", flush=True)
    if arch == "wgan-gp" and args.gp_detail:
        gp_detail(engine, args)
    return ratio


def gp_detail(engine: EngineLoop, args: argparse.Namespace) -> None:
    """Where a WGAN-GP step's time goes: the engine's step with the penalty in bf16, in fp32, and without it."""
    variants = {"penalty, engine precision": {}, "penalty, fp32": {"precision": "fp32"},
                "no penalty, engine precision": {"regularisers": {}}}
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, changes in variants.items():
            seconds[name].append(engine.run(args.steps, **changes) / args.steps)
    base = statistics.median(seconds["no penalty, engine precision"])
    for name, values in seconds.items():
        step = statistics.median(values)
        print(f"    wgan-gp {name:28s} {step * 1000:7.1f} ms/step  ({step / base:.2f}x the step without penalty)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", default=",".join(FAMILIES), help="comma-separated (default: all)")
    parser.add_argument("--steps", type=int, default=6, help="timed steps per side per round (default 6)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians reported (default 3)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--no-gp-detail", dest="gp_detail", action="store_false",
                        help="skip the WGAN-GP penalty breakdown")
    args = parser.parse_args(argv)
    families = [f.strip() for f in args.families.split(",") if f.strip()]
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        sys.exit(f"unknown families: {', '.join(unknown)}; choose from {', '.join(FAMILIES)}")
    print(f"28x28, batch {args.batch_size}; torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{os.cpu_count()} CPUs: {cpu_name()}")
    print(f"{args.rounds} interleaved rounds of {args.steps} steps per side after {args.warmup} warm-up steps",
          flush=True)
    for arch in families:
        arch_train_defaults(arch)  # an unknown or broken family fails before any timing
    ratios = {}
    with tempfile.TemporaryDirectory(prefix="ganzoo-bench-") as tmp:
        for arch in families:
            ratios[arch] = measure(arch, args, Path(tmp))
    print("ratios: " + " ".join(f"{arch}={ratio:.2f}" for arch, ratio in ratios.items()))


if __name__ == "__main__":
    main()
