"""The main job, both ways: wall time and peak memory of ``ganzoo pretrained NAME sample``, whole process.

    python benchmarks/main_job.py [--rounds 5] [--name dcgan-fashion]

Runs, in fresh processes as a user would, ``python -c pass`` (what any Python command costs
here), ``ganzoo --version``, ``ganzoo list``, and the main job ``ganzoo pretrained NAME sample
-o FILE`` with ``--backend onnx`` (ONNX Runtime, no torch) and ``--backend torch``. The commands
take turns within each round, so a busy machine slows them alike; one warm-up round (file
cache, bytecode) is not counted. Prints the median and the fastest wall time and the median
peak resident memory (the child's ``ru_maxrss``) of each, and PASS/FAIL against the targets of
issue 24: the main job at 0.6 s and 200 MiB or less, ``ganzoo list`` at 0.12 s or less.
Informational: the test suite asserts no timings.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: (label, wall seconds target, peak MiB target); None = no target.
TARGETS = {"ganzoo list": (0.12, None), "sample --backend onnx": (0.6, 200.0)}


def ganzoo_command() -> list[str]:
    """The console script beside this interpreter, as installed; ``python -m ganzoo`` otherwise."""
    script = Path(sys.executable).with_name("ganzoo")
    if script.exists():
        return [str(script)]
    found = shutil.which("ganzoo")
    return [found] if found else [sys.executable, "-m", "ganzoo"]


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else the platform's word for it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one fresh process running ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {stderr.strip()}")
    return elapsed, usage.ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="counted rounds (after one warm-up) [default: 5]")
    parser.add_argument("--name", default="dcgan-fashion", help="the zoo model to sample [default: dcgan-fashion]")
    args = parser.parse_args()
    ganzoo = ganzoo_command()
    # Bytecode is cached as on any user's machine: PYTHONDONTWRITEBYTECODE (set in some CI and
    # sandbox shells) would make every fresh process compile the modules it imports again.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GANZOO_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "samples.png")
        sample = [*ganzoo, "pretrained", args.name, "sample", "-o", out, "--overwrite", "--seed", "0"]
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "ganzoo --version": [*ganzoo, "--version"],
            "ganzoo list": [*ganzoo, "list"],
            "sample --backend onnx": [*sample, "--backend", "onnx"],
            "sample --backend torch": [*sample, "--backend", "torch"],
        }
        results: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
        for round_index in range(args.rounds + 1):
            for label, command in commands.items():
                measured = run_once(command, env)
                if round_index:
                    results[label].append(measured)
    print(f"{args.rounds} rounds after a warm-up, {os.cpu_count()} CPUs ({cpu_model()}); main job: ganzoo pretrained "
          f"{args.name} sample (64 images)")
    print(f"{'command':<24} {'median s':>9} {'min s':>7} {'peak MiB':>9}  target")
    for label, runs in results.items():
        wall = statistics.median(t for t, _ in runs)
        peak = statistics.median(m for _, m in runs)
        line = f"{label:<24} {wall:>9.3f} {min(t for t, _ in runs):>7.3f} {peak:>9.0f}"
        wall_target, peak_target = TARGETS.get(label, (None, None))
        if wall_target is not None:
            ok = wall <= wall_target and (peak_target is None or peak <= peak_target)
            limits = f"<= {wall_target} s" + (f", <= {peak_target:.0f} MiB" if peak_target else "")
            line += f"  {limits}: {'PASS' if ok else 'FAIL'}"
        print(line)
    onnx, torch = (statistics.median(t for t, _ in results[k]) for k in ("sample --backend onnx",
                                                                          "sample --backend torch"))
    print(f"onnx path: {torch / onnx:.1f}x faster than the torch path")


if __name__ == "__main__":
    main()
