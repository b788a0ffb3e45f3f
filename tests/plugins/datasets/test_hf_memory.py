"""A Hub-layout set far larger than a memory cap trains with peak memory under the cap.

The set is 3,000 PNG images of 768x768 RGB in one parquet file (ten distinct smooth pictures,
so the file stays small): decoded as uint8 it is 5.3 GB, as the float32 tensors the models read
21 GB. Holding it in memory the way :class:`ganzoo.data.InMemoryImages` does would need the
uint8 figure at least. ``hf:`` prepares it into memory-mapped Arrow and decodes one image per
item, so ``ganzoo train`` (preparing every row, then a few steps) stays below :data:`CAP_BYTES`, measured as the
training process's own peak resident set size (``ru_maxrss``). Most of that peak is torch
itself (importing it maps about 600 MB here), so the test also trains on a 128-image slice of
the same set and checks that 23 times the images cost less than :data:`GROWTH_BYTES` more.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest
from hf_sets import pixels
from PIL import Image

pytest.importorskip("datasets", reason="the hub-datasets extra (datasets) is part of the test extra")

CAP_BYTES = 1536 * 1024**2  # 1.5 GiB
GROWTH_BYTES = 256 * 1024**2
ROWS, SIDE = 3000, 768
#: The training command runs as the only child of this small wrapper, whose RUSAGE_CHILDREN peak is then
#: that command's alone: a process started straight from pytest would inherit the test process's own
#: high-water mark through fork and exec (Linux keeps ru_maxrss across exec).
WRAPPER = """
import resource, subprocess, sys
done = subprocess.run([sys.executable, "-m", "ganzoo", *sys.argv[1:]])
print("PEAK_RSS_KB", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, flush=True)
sys.exit(done.returncode)
"""


def _big_parquet(folder, rows: int = ROWS) -> None:
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    features = datasets.Features({"image": datasets.Image(), "label": datasets.ClassLabel(names=["a", "b"])})
    encoded = []
    for i in range(10):
        buffer = io.BytesIO()
        Image.fromarray(pixels(i, SIDE)).save(buffer, format="PNG")
        encoded.append(buffer.getvalue())
    (folder / "data").mkdir(parents=True)
    with pq.ParquetWriter(str(folder / "data" / "train-00000-of-00001.parquet"), features.arrow_schema) as writer:
        for start in range(0, rows, 250):
            chunk = range(start, min(rows, start + 250))
            images = [{"bytes": encoded[i % 10], "path": None} for i in chunk]
            writer.write_table(pa.Table.from_pydict({"image": images, "label": [i % 2 for i in chunk]},
                                                    schema=features.arrow_schema))


def _peak_rss(folder, tmp_path, name: str) -> int:
    """Prepare ``hf:folder`` and train five steps in a fresh process; its peak resident set size in bytes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "GANZOO_"))}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1", GANZOO_LOAD_PLUGINS="", OMP_NUM_THREADS="1",
               HF_HUB_DISABLE_TELEMETRY="1")
    run = tmp_path / f"run-{name}"
    args = ["train", "dcgan", "-d", f"hf:{folder}", "--data", "size=32", "--set", "base_channels=8",
            "-b", "64", "--max-steps", "5", "--checkpoint-every", "0", "--out", str(run), "-q"]
    result = subprocess.run([sys.executable, "-c", WRAPPER, *args], env=env, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (run / "metrics.jsonl").read_text().strip()  # it trained
    return int(re.search(r"PEAK_RSS_KB (\d+)", result.stdout).group(1)) * 1024


@pytest.mark.slow
def test_a_set_larger_than_the_cap_trains_below_it(tmp_path):
    big, small = tmp_path / "big", tmp_path / "small"
    _big_parquet(big)
    _big_parquet(small, rows=128)
    decoded = ROWS * SIDE * SIDE * 3
    assert decoded > 3 * CAP_BYTES  # the set, decoded to uint8, is more than three times the cap
    small_peak = _peak_rss(small, tmp_path, "small")
    big_peak = _peak_rss(big, tmp_path, "big")
    print(f"peak RSS {big_peak / 2**20:.0f} MiB with {ROWS} images ({decoded / 2**30:.2f} GiB "
          f"decoded), {small_peak / 2**20:.0f} MiB over 128 of them; cap {CAP_BYTES / 2**20:.0f} MiB")
    assert big_peak < CAP_BYTES
    assert big_peak - small_peak < GROWTH_BYTES
