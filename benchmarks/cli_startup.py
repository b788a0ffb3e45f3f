"""How long ``ganzoo list`` and ``ganzoo --help`` take to start, as a user would wait for them.

Runs each command ``--runs`` times in a fresh interpreter (the installed ``ganzoo`` script when
it sits next to this Python, else ``python -m ganzoo``) and prints the median wall time against
the target. Listing must stay cheap: no torch, only hook modules. Informational -- the test suite
does not assert on timings; ``tests/cli/test_cli.py`` asserts that torch is never imported.

    python benchmarks/cli_startup.py [--runs 10] [--target 0.3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = (["list"], ["--help"])


def ganzoo_command() -> list[str]:
    """The console script beside this interpreter, as installed; ``python -m ganzoo`` otherwise."""
    script = Path(sys.executable).with_name("ganzoo")
    if script.exists():
        return [str(script)]
    found = shutil.which("ganzoo")
    return [found] if found else [sys.executable, "-m", "ganzoo"]


def time_command(command: list[str], runs: int) -> list[float]:
    """Wall-clock seconds of ``runs`` fresh processes (one untimed warm-up for the file cache)."""
    # Bytecode cached as for any user (PYTHONDONTWRITEBYTECODE would recompile every import each run).
    env = {k: v for k, v in os.environ.items()
           if k not in ("GANZOO_TRACE_PLUGINS", "GANZOO_STRICT_PLUGINS", "PYTHONDONTWRITEBYTECODE")}
    subprocess.run(command, capture_output=True, env=env, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, env=env, check=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs per command (default 10)")
    parser.add_argument("--target", type=float, default=0.3, help="median seconds to pass (default 0.3)")
    args = parser.parse_args()
    base = ganzoo_command()
    label = "python -m ganzoo" if base[0] == sys.executable else base[0]
    print(f"ganzoo startup: median of {args.runs} runs of {label}; target < {args.target:.2f} s")
    verdicts = []
    for extra in COMMANDS:
        times = time_command(base + extra, args.runs)
        median = statistics.median(times)
        verdict = "PASS" if median < args.target else "FAIL"
        verdicts.append(verdict)
        spread = f"(min {min(times):.3f}, max {max(times):.3f})"
        print(f"  ganzoo {' '.join(extra):<8} median {median:.3f} s  {spread}  {verdict}")
    overall = "PASS" if all(v == "PASS" for v in verdicts) else "FAIL"
    print(overall)
    return 0


if __name__ == "__main__":
    sys.exit(main())
