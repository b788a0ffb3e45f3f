"""A third-party plugin's bug, in any command, is blamed on that plugin by name -- never on ganzoo.

The plugins are installed as real distributions and ganzoo runs in a subprocess, as a user runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from plugin_fixtures import FIXTURES_DIR, write_distribution


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("blame-site")
    write_distribution(folder, "ganzoo-fake-acgan", "0.2", {"acgan": "ganzoo_fake_acgan"})
    write_distribution(folder, "ganzoo-fake-buggy", "0.1", {"buggy": "ganzoo_fake_buggy_metric"})
    return folder


def run_ganzoo(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GANZOO_")}
    env.update(PYTHONPATH=os.pathsep.join([str(site), str(FIXTURES_DIR)]), COLUMNS="200", HF_HUB_OFFLINE="1",
               GANZOO_HOME=str(cwd / "home"), OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


def _blame_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.startswith("ganzoo: error:")]
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    assert "this is a bug in that plugin, not in ganzoo" in lines[0]
    return lines[0]


def test_a_family_constructor_bug_names_the_plugin(site, tmp_path):
    proc = run_ganzoo(site, tmp_path, "train", "side-embed", "--dataset", "fake", "--set", "hidden=0",
                      "--max-steps", "1", "--out", str(tmp_path / "run"))
    line = _blame_line(proc)
    assert ("plugin 'acgan' (ganzoo-fake-acgan 0.2) architecture 'side-embed' "
            "(ganzoo_fake_acgan_code:SideEmbedGAN) failed in building 'side-embed'") in line
    assert "ValueError: hidden must be positive, got 0" in line


def test_a_metric_bug_names_the_plugin_and_debug_works_after_the_command(site, tmp_path):
    args = ["eval", "fake:test", "--reference", "fake:train", "--metrics", "broken-gap", "-n", "16",
            "--feature", "fmnist-cnn",
            "--no-baseline", "--no-cache", "-q"]
    line = _blame_line(run_ganzoo(site, tmp_path, *args))
    assert ("plugin 'buggy' (ganzoo-fake-buggy 0.1) metric 'broken-gap' (ganzoo_fake_pixels_code:BrokenGap) "
            "failed in compute") in line
    assert "KeyError: 'median'" in line
    debug = run_ganzoo(site, tmp_path, *args, "--debug")
    assert debug.returncode != 0
    assert "No such option" not in debug.stderr and "Traceback" in debug.stderr, debug.stderr
