"""Start-to-PNG time of a 64-image grid: the torch-free ONNX example against ganzoo itself, side by side.

    python benchmarks/onnx_sample.py [--rounds 5] [--name dcgan-fashion]

Exports NAME once with ``ganzoo onnx``, then alternates, in fresh subprocesses, between
``python examples/onnx_sample.py FILE.onnx -o a.png`` (onnxruntime, numpy, Pillow) and
``ganzoo pretrained NAME sample -o b.png``; the first round of each warms the disk cache and is
not counted. Prints each median and their ratio; name the CPU beside the figures you quote.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--name", default="dcgan-fashion")
    args = parser.parse_args()
    ganzoo = str(Path(sys.executable).with_name("ganzoo"))
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "model.onnx"
        subprocess.run([ganzoo, "onnx", args.name, "-o", str(model)], check=True, capture_output=True)
        commands = {
            "onnxruntime example (no torch)": [sys.executable, str(ROOT / "examples" / "onnx_sample.py"), str(model),
                                               "-o", str(Path(tmp) / "a.png")],
            f"ganzoo pretrained {args.name} sample": [ganzoo, "pretrained", args.name, "sample", "-o",
                                                      str(Path(tmp) / "b.png"), "--overwrite"],
        }
        times: dict[str, list[float]] = {label: [] for label in commands}
        for round_ in range(args.rounds + 1):
            for label, command in commands.items():
                seconds = timed(command)
                if round_:
                    times[label].append(seconds)
    from ganzoo.devices import cpu_name

    print(f"CPU: {cpu_name() or platform.processor()}; {args.rounds} rounds, 64 images, start to PNG")
    medians = {label: statistics.median(values) for label, values in times.items()}
    for label, median in medians.items():
        print(f"  {label:45s} median {median:.2f} s  ({', '.join(f'{t:.2f}' for t in times[label])})")
    onnx, torch_side = medians.values()
    print(f"ratio (ganzoo / onnx example): {torch_side / onnx:.2f}")


if __name__ == "__main__":
    main()
