"""Train on Hub data sets served by a real Hub-compatible server (olah on 127.0.0.1).

olah serves data set repos (``datasets/<org>/<name>``) as it serves models: the ``datasets``
library asks it for the repo's info, lists its tree and downloads the parquet files through
HF_ENDPOINT exactly as it would from huggingface.co. Every ganzoo command runs in a fresh
process with its own HF_HOME, so the datasets cache, offline mode and start-up are real.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hf_sets import CIFAR10_NAMES, cifar_schema_set, imagefolder_set
from hub_server import LocalHub

pytest.importorskip("datasets", reason="the hub-datasets extra (datasets) is part of the test extra")

CIFAR = "ganzoo-tests/cifar-tiny"
PETS = "ganzoo-tests/pets"
TINY_DCGAN = ["--set", "base_channels=8", "--set", "latent_dim=8", "-b", "4", "--max-steps", "3", "-q"]


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    root = tmp_path_factory.mktemp("hub-datasets")
    server = LocalHub(root)
    server.cifar_sha = server.publish(CIFAR, cifar_schema_set(root / "cifar"), "add data", repo_type="dataset")
    server.pets_sha = server.publish(PETS, imagefolder_set(root / "pets"), "add data", repo_type="dataset")
    server.start()
    yield server
    server.stop()


def _ganzoo(args, *, hub, hf_home, offline=False, check=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "GANZOO_"))}
    env.update(HF_ENDPOINT=hub.endpoint, HF_HOME=str(hf_home), HF_HUB_DISABLE_TELEMETRY="1",
               HF_HUB_OFFLINE="1" if offline else "0", GANZOO_LOAD_PLUGINS="", OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-m", "ganzoo", *args], env=env, capture_output=True, text=True,
                            timeout=300)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def _dataset_record(run: Path) -> dict:
    return json.loads((run / "config.json").read_text())["dataset"]


def _one_line_error(result) -> str:
    """The error line; the only others allowed are the datasets library's progress bars (tqdm)."""
    assert result.returncode != 0
    progress = re.compile(r"^(Generating|Downloading|Resolving|Loading|Map|Filter|Creating).*\[\d\d:\d\d")
    lines = [line for line in result.stderr.splitlines() if line.strip() and not progress.match(line)]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_train_from_the_hub_records_repo_and_commit_then_offline_and_resume(hub, tmp_path):
    hf_home = tmp_path / "hf"
    run = tmp_path / "run"
    _ganzoo(["train", "dcgan", "-d", f"hf:{CIFAR}", "--out", str(run), *TINY_DCGAN], hub=hub, hf_home=hf_home)
    record = _dataset_record(run)
    assert record["name"] == f"hf:{CIFAR}"
    assert record["info"]["revision"] == hub.cifar_sha and record["info"]["source"] == f"hf:{CIFAR}@{hub.cifar_sha}"
    assert record["info"]["classes"] == CIFAR10_NAMES and record["info"]["license"] == "mit"
    assert record["length"] == 20 and (run / "checkpoints").is_dir()

    # Offline, from the datasets cache alone (HF_HUB_OFFLINE=1, then --offline): the same commit.
    for flags, offline in (([], True), (["--offline"], False)):
        again = tmp_path / f"offline{len(flags)}"
        _ganzoo(["train", "dcgan", "-d", f"hf:{CIFAR}@{hub.cifar_sha}", "--out", str(again), *TINY_DCGAN, *flags],
                hub=hub, hf_home=hf_home, offline=offline)
        assert _dataset_record(again)["info"]["revision"] == hub.cifar_sha

    _ganzoo(["train", "--resume", "--out", str(run), "--max-steps", "5", "-q"], hub=hub, hf_home=hf_home)
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    assert max(m["step"] for m in metrics) == 5

    exported = tmp_path / "exported"
    _ganzoo(["export", str(run), str(exported)], hub=hub, hf_home=hf_home)
    config = json.loads((exported / "config.json").read_text())
    assert config["training"]["dataset"]["name"] == f"hf:{CIFAR}"
    assert config["training"]["dataset"]["revision"] == hub.cifar_sha
    card = (exported / "README.md").read_text()
    assert f"datasets:\n- {CIFAR}\n" in card


def test_a_class_conditional_family_samples_by_the_sets_class_names(hub, tmp_path):
    run = tmp_path / "cgan"
    _ganzoo(["train", "cgan", "-d", f"hf:{CIFAR}", "--out", str(run), "-b", "4", "--max-steps", "3", "-q"],
            hub=hub, hf_home=tmp_path / "hf")
    saved = json.loads((run / "config.json").read_text())
    assert saved["architecture"]["num_classes"] == 10 and saved["dataset"]["info"]["classes"] == CIFAR10_NAMES
    out = tmp_path / "frogs.png"
    _ganzoo(["sample", str(run), "--label", "frog", "-n", "4", "-o", str(out)], hub=hub, hf_home=tmp_path / "hf")
    assert out.stat().st_size > 0
    wrong = _ganzoo(["sample", str(run), "--label", "unicorn", "-n", "4", "-o", str(tmp_path / "u.png")],
                    hub=hub, hf_home=tmp_path / "hf", check=False)
    assert "frog" in _one_line_error(wrong)  # the message lists the set's own class names


def test_imagefolder_repo_trains(hub, tmp_path):
    run = tmp_path / "pets"
    _ganzoo(["train", "dcgan", "-d", f"hf:{PETS}", "--data", "size=28", "--out", str(run), *TINY_DCGAN],
            hub=hub, hf_home=tmp_path / "hf")
    record = _dataset_record(run)
    assert record["info"]["revision"] == hub.pets_sha and record["info"]["size"] == 28 and record["length"] == 12


def test_info_shows_features_splits_sizes_and_licence(hub, tmp_path):
    result = _ganzoo(["info", f"hf:{CIFAR}", "--json"], hub=hub, hf_home=tmp_path / "hf")
    data = json.loads(result.stdout)
    assert data["repo_id"] == CIFAR and data["revision"] == hub.cifar_sha and data["license"] == "mit"
    assert data["features"]["img"] == "Image" and data["features"]["label"].startswith("ClassLabel (10 classes: airplane")
    assert {k: v["rows"] for k, v in data["splits"].items()} == {"train": 20, "test": 10}
    text = _ganzoo(["info", f"hf:{CIFAR}"], hub=hub, hf_home=tmp_path / "hf").stdout
    assert "features" in text and "splits" in text and "train  20 rows" in text


@pytest.mark.parametrize(("args", "expected"), [
    (["-d", "hf:ganzoo-tests/no-such-set"],
     "ganzoo: error: Hub data set ganzoo-tests/no-such-set does not exist or is private; check the name, or log in with "
     "'hf auth login' (or set HF_TOKEN) if it is yours"),
    (["-d", f"hf:{CIFAR}@v9"],
     f"ganzoo: error: Hub data set {CIFAR} has no revision 'v9'; check its branches, tags and commits on the Hub"),
    (["-d", f"hf:{CIFAR}:validation"],
     f"ganzoo: error: data set hf:{CIFAR} has no split 'validation'; choose one of: train, test (hf:NAME:SPLIT or --split)"),
    (["-d", f"hf:{CIFAR}", "--data", "image_column=picture"],
     f"ganzoo: error: data set hf:{CIFAR} has no column 'picture'; its columns: img (Image), label (ClassLabel)"),
])
def test_bad_hub_inputs_are_one_line(hub, tmp_path, args, expected):
    result = _ganzoo(["train", "dcgan", *args, "--out", str(tmp_path / "run"), *TINY_DCGAN], hub=hub,
                     hf_home=tmp_path / "hf", check=False)
    assert _one_line_error(result) == expected


def test_offline_and_not_cached_fails_at_once_saying_what_to_fetch(hub, tmp_path):
    result = _ganzoo(["train", "dcgan", "-d", f"hf:{CIFAR}", "--out", str(tmp_path / "run"), *TINY_DCGAN,
                      "--offline"], hub=hub, hf_home=tmp_path / "empty", check=False)
    assert _one_line_error(result) == (
        f"ganzoo: error: data set {CIFAR} is not in the datasets cache and ganzoo is offline (--offline or "
        f"HF_HUB_OFFLINE=1); run 'ganzoo info hf:{CIFAR}' while online")
    assert not (tmp_path / "run" / "checkpoints").exists()
    named = _ganzoo(["train", "dcgan", "-d", f"hf:{CIFAR}@main", "--out", str(tmp_path / "run2"), *TINY_DCGAN],
                    hub=hub, hf_home=tmp_path / "empty", offline=True, check=False)
    assert "offline, ganzoo cannot tell which commit 'main' of" in _one_line_error(named)
