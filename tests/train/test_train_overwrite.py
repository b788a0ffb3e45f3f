"""``ganzoo train --overwrite`` acts last: a command that fails on its options, data or model keeps the old run (issue 22).

The old run is trained once; each bad command then runs with ``--overwrite`` in a subprocess,
and must stop with one ``ganzoo: error:`` line, the right exit code, and every file of the old run intact.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ganzoo.train.rundir import REPLACED

TINY = ["dcgan", "--set", "base_channels=8", "--set", "latent_dim=8", "--precision", "fp32", "--device", "cpu",
        "--samples", "4", "-q", "--max-steps", "2"]
FAKE = ["-d", "fake", "--data", "length=32"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}


def _train(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ganzoo", "train", *args], capture_output=True, text=True,
                          env=ENV, cwd=cwd, timeout=300)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".ganzoo.lock")}


@pytest.fixture(scope="module")
def old_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("old") / "R"
    done = _train([*TINY, *FAKE, "-b", "8", "--out", str(where)], where.parent)
    assert done.returncode == 0, done.stderr
    assert (where / "checkpoints" / "step_00000002").is_dir()
    return where


#: Each bad command (what follows TINY), and its exit code: 2 for a usage error, 1 for missing data.
CASES = {
    "unknown dataset": (["-d", "fakee", "-b", "8"], 2),
    "unknown architecture option": ([*FAKE, "-b", "8", "--set", "foo=1"], 2),
    "negative latent_dim": ([*FAKE, "-b", "8", "--set", "latent_dim=-5"], 2),
    "huge image_size": ([*FAKE, "-b", "8", "--set", "image_size=4096"], 2),
    "unknown loss": ([*FAKE, "-b", "8", "--loss", "bogus"], 2),
    "unknown class": (["-d", "fashion-mnist", "--data", "classes=NotAClass", "--data", "limit=64", "-b", "8"], 2),
    "data set not on disk": (["-d", "mnist", "--data", "root={tmp}/empty", "--data", "download=false", "-b", "8"], 1),
    "batch of one": ([*FAKE, "-b", "1"], 2),  # fails in the first step, after the new config.json was written
}


@pytest.mark.parametrize(("args", "code"), CASES.values(), ids=CASES.keys())
def test_a_failed_overwrite_keeps_the_old_run(old_run: Path, tmp_path: Path, args: list[str], code: int) -> None:
    (tmp_path / "empty").mkdir()
    run = tmp_path / "R"
    shutil.copytree(old_run, run)
    before = _snapshot(run)
    done = _train([*TINY, *[a.replace("{tmp}", str(tmp_path)) for a in args], "--out", str(run), "--overwrite"],
                  tmp_path)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == code, done.stderr
    assert len(lines) == 1 and lines[0].startswith("ganzoo: error: "), done.stderr
    assert _snapshot(run) == before  # every file of the old run, byte for byte
    assert not (run / REPLACED).exists()


def test_a_good_overwrite_replaces_the_run(old_run: Path, tmp_path: Path) -> None:
    run = tmp_path / "R"
    shutil.copytree(old_run, run)
    (run / "notes.txt").write_text("mine")  # not a run's file: kept
    done = _train([*TINY, *FAKE, "-b", "4", "--max-steps", "1", "--out", str(run), "--overwrite"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["latest", "step_00000001"]
    assert (run / "notes.txt").read_text() == "mine"
    assert not (run / REPLACED).exists()
