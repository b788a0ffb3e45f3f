"""Train and score the leaderboard's runs, one at a time, into ``benchmarks/leaderboard/results/``.

Each run (``rows.RUNS``, per seed) is trained by its exact command in a subprocess, with the
same wall-clock budget, into ``runs/leaderboard/RUN-sSEED``; then each of its variants is scored
on 10,000 samples against the Fashion-MNIST test split in fmnist-cnn features (FID, KID, IS,
precision, recall, density, coverage; class accuracy for conditional runs). One JSON file per
run and seed records the command, the CPU, the images seen, the wall seconds and the scores, and
``render.py`` turns those files into ``docs/leaderboard.md``. A run whose result file exists is
skipped, so an interrupted rebuild continues where it stopped::

    python benchmarks/leaderboard/run.py                       # everything missing (hours)
    python benchmarks/leaderboard/run.py --runs dcgan-base --seeds 0 --force
    python benchmarks/leaderboard/run.py --rescore             # score existing run folders again

Training uses both cores: run nothing else meanwhile, or the budget buys fewer images (each
result records the load average around its run, so a disturbed row shows).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch

from ganzoo import devices

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import rows  # noqa: E402  (the sibling module, found through the path above)

RESULTS = HERE / "results"


def cpu_name() -> str:
    return devices.cpu_name() or platform.processor() or platform.machine()


def cpu_features() -> list[str]:
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="ignore").split("flags", 1)[1].split("\n", 1)[0].split()
    except (OSError, IndexError):
        return []
    return sorted({f for f in flags if f.startswith("amx") or f == "avx512_bf16"})


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def train(run: rows.Run, seed: int, out: Path, minutes: float,
          steps: int | None = None) -> tuple[list[str], dict[str, Any]]:
    """Run the training command; return it and what the run cost."""
    command = rows.train_command(run, seed, str(out.relative_to(ROOT)), minutes, steps)
    argv = ([sys.executable, *command[1:]] if run.textbook else
            [str(Path(sys.executable).with_name("ganzoo")), *command[1:], "--quiet", "--overwrite"])
    load_before = os.getloadavg()[0]
    subprocess.run(argv, cwd=ROOT, check=True)
    load_after = os.getloadavg()[0]
    if run.textbook:
        facts = json.loads((out / "facts.json").read_text())
    else:
        from ganzoo.hub.resolve import open_model

        opened = open_model(str(out))
        state = opened.state or {}
        facts = {"steps": opened.provenance.get("step"), "images_seen": state.get("images_seen"),
                 "train_seconds": state.get("train_seconds"), "precision": state.get("precision")}
    facts["load_average"] = [round(load_before, 2), round(load_after, 2)]
    return command, facts


def variant_model(run: rows.Run, out: Path, variant: str) -> torch.nn.Module:
    """The generator a variant scores: live, EMA with copied BN buffers, or EMA with standing statistics."""
    base, _ = rows.parse_variant(variant)
    if run.textbook:
        from safetensors.torch import load_file

        from ganzoo.models import build_model

        facts = json.loads((out / "facts.json").read_text())
        model = build_model("dcgan", **facts["config"])
        model.load_state_dict(load_file(str(out / "model.safetensors")))
        return model.eval()
    from ganzoo.hub.resolve import open_model

    if base == "live":
        return open_model(str(out), ema=False).model
    model = open_model(str(out), ema=True).model  # saved with standing statistics
    if base == "ema":  # put the live generator's running statistics back, as the engine once did
        live = open_model(str(out), ema=False).model
        buffers = dict(live.generator.named_buffers())
        with torch.no_grad():
            for name, buffer in model.generator.named_buffers():
                buffer.copy_(buffers[name])
    return model


def score(run: rows.Run, out: Path, variant: str, samples: int = rows.EVAL_SAMPLES) -> dict[str, float]:
    from ganzoo.eval.api import evaluate

    _, truncation = rows.parse_variant(variant)
    metrics = rows.METRICS + (",class-accuracy" if run.conditional else "")
    results = evaluate(variant_model(run, out, variant), metrics=metrics, num_samples=samples,
                       reference=rows.REFERENCE, seed=0, baseline=False, progress=False, truncation=truncation)
    return {name.split("[")[0]: round(value, 5) for name, value in results.as_dict().items()}


def run_one(run: rows.Run, seed: int, minutes: float, *, rescore: bool, samples: int = rows.EVAL_SAMPLES,
            results: Path = RESULTS, steps: int | None = None) -> Path:
    out = ROOT / "runs" / "leaderboard" / f"{run.id}-s{seed}"
    result_path = results / f"{run.id}-s{seed}.json"
    if rescore and result_path.is_file():
        record = json.loads(result_path.read_text())
    else:
        started = time.monotonic()
        command, facts = train(run, seed, out, minutes, steps)
        budget = {"budget_minutes": minutes} if steps is None else {"budget_steps": steps}
        record = {"run": run.id, "seed": seed, "command": " ".join(command), **budget,
                  "cpu": cpu_name(), "cpu_features": cpu_features(), "cores": os.cpu_count(),
                  "torch": torch.__version__, "commit": commit(), **facts,
                  "wall_seconds_with_setup": round(time.monotonic() - started, 1)}
    record["scores"] = {}
    for variant in run.variants:
        tick = time.monotonic()
        record["scores"][variant] = score(run, out, variant, samples)
        print(f"  {run.id} s{seed} {variant}: FID {record['scores'][variant]['FID']:.2f} "
              f"({time.monotonic() - tick:.0f} s)", flush=True)
    record["eval_samples"] = samples
    results.mkdir(parents=True, exist_ok=True)
    result_path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return result_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", default="", help="comma-separated run ids (default: all)")
    parser.add_argument("--seeds", default="", help="comma-separated seeds (default: each run's own)")
    parser.add_argument("--minutes", type=float, default=rows.BUDGET_MINUTES)
    parser.add_argument("--steps", type=int, default=None,
                        help="a step budget instead of --minutes: for seeds run on another CPU than the seeds "
                             "before them, the steps those reached in the wall budget (the result records it)")
    parser.add_argument("--force", action="store_true", help="train again even when a result exists")
    parser.add_argument("--rescore", action="store_true", help="score existing run folders again, no training")
    parser.add_argument("--eval-samples", type=int, default=rows.EVAL_SAMPLES,
                        help="images per score (the table uses 10,000; fewer only for a smoke test)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where result files go")
    args = parser.parse_args()
    chosen = [rows.run_by_id(r) for r in args.runs.split(",")] if args.runs else list(rows.RUNS)
    for run in chosen:
        seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else list(run.seeds)
        for seed in seeds:
            if (args.results / f"{run.id}-s{seed}.json").is_file() and not (args.force or args.rescore):
                print(f"{run.id} s{seed}: done already (--force to redo)")
                continue
            budget = f"{args.minutes:g} min" if args.steps is None else f"{args.steps} steps"
            print(f"{run.id} s{seed}: training for {budget} on {cpu_name()}", flush=True)
            path = run_one(run, seed, args.minutes, rescore=args.rescore, samples=args.eval_samples,
                           results=args.results, steps=args.steps)
            print(f"  wrote {path}", flush=True)


if __name__ == "__main__":
    main()
