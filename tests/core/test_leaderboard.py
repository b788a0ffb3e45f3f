"""docs/leaderboard.md is generated from the committed run results, and the generator's arithmetic holds."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOARD = ROOT / "benchmarks" / "leaderboard"


def load(name: str):
    sys.path.insert(0, str(BOARD))
    spec = importlib.util.spec_from_file_location(f"leaderboard_{name}", BOARD / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_leaderboard_page_is_current_with_its_results():
    result = subprocess.run([sys.executable, str(BOARD / "render.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_line_names_a_run_and_a_variant_that_run_scores():
    rows = load("rows")
    for table in rows.TABLES:
        for line in table.lines:
            assert line.variant in rows.run_by_id(line.run).variants, (table.title, line.label)


def test_commands_are_the_real_cli_with_the_budget():
    rows = load("rows")
    run = rows.run_by_id("dcgan-recipe")
    command = rows.train_command(run, 2, "runs/x", 4)
    assert command[:3] == ["ganzoo", "train", "dcgan"]
    assert command[command.index("--max-minutes") + 1] == "4" and command[command.index("--seed") + 1] == "2"
    assert rows.parse_variant("standing-t0.5") == ("standing", 0.5) and rows.parse_variant("live") == ("live", None)


def record(run: str, seed: int, fid: float, recall: float = 0.5) -> dict:
    return {"run": run, "seed": seed, "command": f"ganzoo train x --seed {seed}", "images_seen": 60_000,
            "train_seconds": 240.0, "cpu": "Test CPU", "cores": 2, "cpu_features": [], "commit": "abc",
            "torch": "2", "load_average": [1.0, 2.0],
            "scores": {v: {"FID": fid, "Recall": recall, "ClassAccuracy": 0.95}
                       for v in ("live", "ema", "standing", "standing-t1.0", "standing-t0.5")}}


def test_seeds_are_averaged_with_their_spread_and_misses_are_measured(tmp_path):
    render = load("render")
    results = {"dcgan-base": [record("dcgan-base", s, fid) for s, fid in enumerate((40.0, 44.0, 48.0))]}
    zoo = [{"name": "dcgan-fashion", "task": "unconditional",
            "training": {"images_seen": 768_000, "train_seconds": 720, "cpu": "Test CPU", "command": "ganzoo train dcgan"},
            "scores": {"FID[inception]": 31.5, "FID": 50.0, "Recall": 0.5}},
           {"name": "cgan-fashion", "task": "class-conditional", "training": {},
            "scores": {"FID[inception]": 9.0, "FID": 7.0, "ClassAccuracy": 0.95}}]
    page = render.render(results, notes="", zoo=zoo)
    assert "| `dcgan-fashion` | 31.5 | 50.0 | 0.500 |" in page
    assert "dcgan-fashion: `dcgan-fashion`, FID[inception] 31.5 (target ≤ 26.5, missed by 5)." in page
    assert "best class-conditional model: `cgan-fashion`" in page and ": **met**." in page
    assert "wgan-gp-fashion: FID[inception] ≤ 24.5: no model scored yet." in page
    # the published table sorts by FID, ganzoo's rows among the papers', each with its budget and command
    published = page.split("## ganzoo against published")[1].split("\n## ")[0]
    lines = [line for line in published.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [line.split(" | ")[1] for line in lines][:3] == ["9.0", "15.8", "21.5"]
    assert "768,000 images, 12 min on Test CPU | `ganzoo train dcgan` |" in published
    headline = next(line for line in page.splitlines() if line.startswith("| dcgan, the seeds"))
    assert "44.0 ± 4.0" in headline and "250" in headline and "| 3 |" in headline  # 60k images in 240 s
    best = next(line for line in page.splitlines() if line.startswith("| best unconditional"))
    assert "no: FID +24.0 from the target" in best  # 44 against 20
    assert "not run yet" in page  # the runs without results say so rather than vanish


def test_zoo_scores_keep_their_feature_space():
    render = load("render")
    assert render.score_key("FID[fmnist-cnn]") == "FID" and render.score_key("FID[inception]") == "FID[inception]"
    assert render.score_key("Precision[fmnist-cnn]@truncation=1") == "Precisiontruncation=1"


def test_result_files_hold_what_the_page_reads():
    for path in sorted((BOARD / "results").glob("*.json")):
        data = json.loads(path.read_text())
        assert {"run", "seed", "command", "images_seen", "train_seconds", "scores", "cpu"} <= set(data), path
        assert data["eval_samples"] == 10_000, f"{path.name} was scored on {data['eval_samples']} images"
        assert all("FID" in scores for scores in data["scores"].values()), path


@pytest.mark.parametrize("name", ["run", "textbook"])
def test_scripts_explain_themselves(name):
    result = subprocess.run([sys.executable, str(BOARD / f"{name}.py"), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "usage" in result.stdout
