"""What a new plugin author runs into, with the plugin installed as a real entry point.

Each test is one shortfall found by writing a plugin from the docs alone: its own mistakes are
reported naming the plugin and the entry (never as ganzoo's "internal error"), and a plugin that
``GANZOO_LOAD_PLUGINS`` skips is said to be skipped, not missing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from plugin_fixtures import FIXTURES_DIR, write_distribution

DIST = "ganzoo-fake-author"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("author-site")
    write_distribution(folder, DIST, "0.3", {"author": "ganzoo_fake_author"})
    return folder


def run_ganzoo(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GANZOO_")}
    base["PYTHONPATH"] = os.pathsep.join([str(site), str(FIXTURES_DIR)])
    base["COLUMNS"] = "200"
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True,
                          env={**base, "HF_HUB_OFFLINE": "1", **env}, timeout=300)


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.startswith("ganzoo: error:")]
    assert proc.returncode != 0 and len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    return lines[0]


def test_an_exception_in_a_plugins_loss_names_the_plugin_and_its_entry(site, tmp_path):
    proc = run_ganzoo(site, "train", "vanilla", "--dataset", "fake", "--loss", "bad-signature",
                      "--label-smoothing", "0.1", "--max-steps", "1", "--batch-size", "4",
                      "--out", str(tmp_path / "run"))
    line = _one_error_line(proc)
    assert f"plugin 'author' ({DIST} 0.3) loss 'bad-signature' (ganzoo_fake_author_code:ForgetsTargets)" in line
    assert "failed in d_loss" in line and "TypeError" in line and "bug in that plugin" in line


def test_a_loss_target_that_is_a_plain_function_is_named_as_such(site, tmp_path):
    proc = run_ganzoo(site, "train", "vanilla", "--dataset", "fake", "--loss", "plain-function",
                      "--max-steps", "1", "--out", str(tmp_path / "run"))
    line = _one_error_line(proc)
    assert ("plugin 'author' registered loss 'plain-function' as 'ganzoo_fake_author_code:plain_loss', which is a "
            "function, not a subclass of ganzoo.plugin.AdversarialLoss") in line
    assert "bad options" not in line


def test_a_skipped_plugin_is_said_to_be_skipped_not_missing(site):
    proc = run_ganzoo(site, "info", "author-mlp", GANZOO_LOAD_PLUGINS="")
    assert proc.returncode != 0
    err = proc.stderr
    assert "'author-mlp'" in err
    assert f"installed but skipped by GANZOO_LOAD_PLUGINS: plugin 'author' ({DIST})" in err
    assert "GANZOO_LOAD_PLUGINS=author" in err
    loaded = run_ganzoo(site, "info", "author-mlp", GANZOO_LOAD_PLUGINS="author")
    assert loaded.returncode == 0, loaded.stderr
    train = run_ganzoo(site, "train", "author-mlp", "--dataset", "fake", GANZOO_LOAD_PLUGINS="")
    assert "unknown architecture 'author-mlp'" in train.stderr
    assert "installed but skipped by GANZOO_LOAD_PLUGINS" in train.stderr


def test_a_regulariser_registered_as_a_loss_is_refused_at_registration():
    from ganzoo.plugin import hookimpl
    from ganzoo.plugins import PluginManager

    class OldStyle:
        @hookimpl
        def register_losses(self, register):
            register("old-gp", "ganzoo_losses.losses:GradientPenalty", summary="Old style",
                     metadata={"role": "regulariser"})

    manager = PluginManager()
    info = manager.add_plugin(OldStyle(), "old-style")
    assert info.error is not None and "register it with the register_regularisers hook" in info.error
    assert "old-gp" not in manager.registries["losses"] and "old-gp" not in manager.registries["regularisers"]


def test_an_exported_card_of_a_third_party_family_names_its_distribution_and_claims_no_licence(site, tmp_path):
    run, out = tmp_path / "run", tmp_path / "exported"
    trained = run_ganzoo(site, "train", "author-mlp", "--dataset", "fake", "--max-steps", "2", "--batch-size", "4",
                         "--out", str(run), "-q", GANZOO_LOAD_PLUGINS="author")
    assert trained.returncode == 0, trained.stderr
    exported = run_ganzoo(site, "export", str(run), str(out), GANZOO_LOAD_PLUGINS="author")
    assert exported.returncode == 0, exported.stderr
    card = (out / "README.md").read_text()
    assert f"pip install ganzoo {DIST}" in card
    assert "license: other" in card and "apache-2.0" not in card
    assert f"({DIST}) declares no licence" in card
