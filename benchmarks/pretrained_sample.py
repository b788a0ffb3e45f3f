"""End-to-end time of the main job: process start to PNG written.

    python benchmarks/pretrained_sample.py [--runs 5] [--name dcgan-fashion]

Runs ``ganzoo pretrained NAME sample -o FILE`` in fresh subprocesses (as a user would), prints
each wall time, the median, and PASS/FAIL against the 3 s target. The first run warms the disk
cache and is reported but not counted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 3.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--name", default="dcgan-fashion")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "samples.png"
        command = [sys.executable, "-m", "ganzoo", "pretrained", args.name, "sample", "-o", str(out)]
        times = []
        for index in range(args.runs + 1):
            out.unlink(missing_ok=True)
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            elapsed = time.perf_counter() - start
            assert out.is_file(), "no PNG was written"
            label = "warm-up" if index == 0 else f"run {index}"
            print(f"{label}: {elapsed:.2f} s")
            if index:
                times.append(elapsed)
    median = statistics.median(times)
    verdict = "PASS" if median <= TARGET_S else "FAIL"
    print(f"median: {median:.2f} s (target <= {TARGET_S:.1f} s): {verdict}")


if __name__ == "__main__":
    main()
