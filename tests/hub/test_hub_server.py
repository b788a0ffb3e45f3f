"""Pull checkpoints from a real Hub-compatible server (olah on 127.0.0.1), online and from cache.

The server runs in its own process; huggingface_hub talks to it through HF_ENDPOINT exactly as
it would talk to huggingface.co, so these tests cover the real download path offline.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hub_server import LocalHub
from PIL import Image

from ganzoo.errors import CheckpointError, HubError
from ganzoo.hub.checkpoint import checkpoint_config, sha256_file, write_checkpoint
from ganzoo.models import build_model
from ganzoo.registry import Spec, make_spec

TINY = {"hidden": [16, 32], "latent_dim": 8, "image_size": 8}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    root = tmp_path_factory.mktemp("hub")
    server = LocalHub(root)
    folder = root / "export"
    torch.manual_seed(1)
    model = build_model("vanilla", **TINY)
    write_checkpoint(folder, model, checkpoint_config(model, architecture="vanilla"))
    server.folder = folder
    server.sha = server.publish("ganzoo-tests/tiny-vanilla", folder)
    corrupt = root / "corrupt"
    corrupt.mkdir()
    for item in folder.iterdir():
        data = item.read_bytes()
        (corrupt / item.name).write_bytes(data[: len(data) // 2] if item.suffix == ".safetensors" else data)
    server.corrupt_sha = server.publish("ganzoo-tests/corrupt", corrupt)
    server.start()
    yield server
    server.stop()


def _ganzoo(args, *, hub, hf_home, offline=False, check=True):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "GANZOO_"))}
    env.update(HF_ENDPOINT=hub.endpoint, HF_HOME=str(hf_home), HF_HUB_DISABLE_TELEMETRY="1",
               HF_HUB_OFFLINE="1" if offline else "0", GANZOO_LOAD_PLUGINS="")
    result = subprocess.run([sys.executable, "-m", "ganzoo", *args], env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def _pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path))


def test_pull_sample_then_offline_from_cache(hub, tmp_path):
    hf_home = tmp_path / "hf"
    name = f"hf:ganzoo-tests/tiny-vanilla@{hub.sha}"
    _ganzoo(["pretrained", name, "sample", "-n", "9", "--seed", "3", "-o", str(tmp_path / "hub.png")], hub=hub, hf_home=hf_home)
    _ganzoo(["pretrained", str(hub.folder), "sample", "-n", "9", "--seed", "3", "-o", str(tmp_path / "local.png")], hub=hub, hf_home=hf_home)
    assert np.array_equal(_pixels(tmp_path / "hub.png"), _pixels(tmp_path / "local.png"))
    assert _pixels(tmp_path / "hub.png").std() > 0  # a real picture, not a blank

    # From the cache with downloads off: same pixels, no server needed.
    _ganzoo(["pretrained", name, "sample", "-n", "9", "--seed", "3", "-o", str(tmp_path / "cached.png")], hub=hub, hf_home=hf_home, offline=True)
    assert np.array_equal(_pixels(tmp_path / "cached.png"), _pixels(tmp_path / "local.png"))
    _ganzoo(["pretrained", name, "sample", "--offline", "-n", "9", "--seed", "3", "-o", str(tmp_path / "flag.png")], hub=hub, hf_home=hf_home)
    assert np.array_equal(_pixels(tmp_path / "flag.png"), _pixels(tmp_path / "local.png"))


def test_offline_and_not_cached_says_what_to_do(hub, tmp_path):
    result = _ganzoo(["pretrained", f"hf:ganzoo-tests/tiny-vanilla@{hub.sha}", "sample", "-o", str(tmp_path / "x.png")],
                     hub=hub, hf_home=tmp_path / "empty", offline=True, check=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "not in the local Hugging Face cache" in lines[0] and "download" in lines[0]
    assert not (tmp_path / "x.png").exists()


def test_download_prints_the_cached_folder(hub, tmp_path):
    result = _ganzoo(["pretrained", "hf:ganzoo-tests/tiny-vanilla", "download"], hub=hub, hf_home=tmp_path / "hf")
    folder = Path(result.stdout.strip())
    assert (folder / "config.json").is_file() and (folder / "generator.safetensors").is_file()


def test_unknown_repo_and_revision_are_one_line(hub, tmp_path):
    missing = _ganzoo(["pretrained", "hf:ganzoo-tests/no-such-model", "download"], hub=hub, hf_home=tmp_path / "hf", check=False)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


def test_corrupt_file_from_the_hub_is_refused(hub, tmp_path):
    result = _ganzoo(["pretrained", f"hf:ganzoo-tests/corrupt@{hub.corrupt_sha}", "sample", "-o", str(tmp_path / "x.png")],
                     hub=hub, hf_home=tmp_path / "hf", check=False)
    assert result.returncode == 1
    assert "corrupt" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "x.png").exists()


def _point_hub_at(monkeypatch, endpoint: str, cache: Path) -> None:
    """In-process tests: aim huggingface_hub (imported with a dead endpoint) at ``endpoint``."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", endpoint + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))


def test_zoo_entry_checks_pinned_sha256(hub, tmp_path, monkeypatch):
    from ganzoo.hub.download import _resolve_zoo

    _point_hub_at(monkeypatch, hub.endpoint, tmp_path / "cache")
    good = {name: sha256_file(hub.folder / name) for name in ("config.json", "generator.safetensors")}

    def entry(files):
        return make_spec("pretrained", "tiny-zoo", "ganzoo.hub.names:HF_PREFIX", summary="test", plugin="tests",
                         metadata={"repo_id": "ganzoo-tests/tiny-vanilla", "revision": hub.sha, "files": files})

    spec = entry(good)
    monkeypatch.setattr(Spec, "load", lambda self: None)  # nothing bundled: the files must come from the Hub
    resolved = _resolve_zoo(spec, offline=False, token=None, force_download=False)
    assert (resolved.folder / "generator.safetensors").is_file()
    bad = dict(good, **{"generator.safetensors": "f" * 64})
    with pytest.raises(CheckpointError, match="failed its checksum"):
        _resolve_zoo(entry(bad), offline=False, token=None, force_download=False)


def test_unreachable_hub_is_a_hub_error(tmp_path, monkeypatch):
    import time

    from ganzoo.hub.download import download_repo

    _point_hub_at(monkeypatch, "http://127.0.0.1:9", tmp_path / "cache")  # nothing listens on port 9
    monkeypatch.setattr(time, "sleep", lambda seconds: None)  # skip huggingface_hub's retry back-off
    with pytest.raises(HubError, match="cannot reach the Hub"):
        download_repo("ganzoo-tests/tiny-vanilla", "main")
