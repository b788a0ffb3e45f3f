"""`ganzoo space NAME DIR`: a Space folder that starts as a working app, and `ganzoo push` sending it as a Space."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from demo_helpers import free_port
from PIL import Image

from ganzoo.cli import build_cli


def run(*args: str):
    return CliRunner().invoke(build_cli(), list(args))


def front_matter(folder: Path) -> dict:
    return yaml.safe_load((folder / "README.md").read_text().split("---")[1])


def test_the_space_folder_has_app_requirements_card_and_model(tmp_path):
    result = run("space", "dcgan-fashion", str(tmp_path / "space"))
    assert result.exit_code == 0, result.output
    space = tmp_path / "space"
    meta = front_matter(space)
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py" and meta["sdk_version"].startswith("6.")
    requirements = (space / "requirements.txt").read_text().splitlines()
    from ganzoo.version import __version__

    assert f"ganzoo[demo]=={__version__}" in requirements and any(r.startswith("gradio==") for r in requirements)
    assert "serve_space('model'" in (space / "app.py").read_text()
    assert (space / "model" / "generator.safetensors").is_file()
    again = run("space", "dcgan-fashion", str(space))
    assert again.exit_code != 0 and "--overwrite" in again.output


def test_a_space_of_a_hub_model_links_it_and_bundles_no_weights(tmp_path):
    result = run("space", "cgan-fashion", str(tmp_path / "space"), "--model-repo", "me/cgan-fashion")
    assert result.exit_code == 0, result.output
    assert front_matter(tmp_path / "space")["models"] == ["me/cgan-fashion"]
    assert "serve_space('hf:me/cgan-fashion'" in (tmp_path / "space" / "app.py").read_text()
    assert not (tmp_path / "space" / "model").exists()
    bad = run("space", "cgan-fashion", str(tmp_path / "other"), "--model-repo", "just-a-name")
    assert bad.exit_code != 0 and "owner/name" in bad.output


def test_the_space_starts_as_a_working_app(tmp_path):
    pytest.importorskip("gradio", reason="the demo extra is not installed (make test installs it)")
    from gradio_client import Client

    assert run("space", "dcgan-fashion", str(tmp_path / "space"), "--title", "DCGAN").exit_code == 0
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port)}
    process = subprocess.Popen([sys.executable, "app.py"], cwd=tmp_path / "space", env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, client = time.monotonic() + 120, None
        while client is None:
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
            except Exception:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail(f"the Space did not start: {process.stdout.read()[-2000:]}")
                time.sleep(0.5)
        grid = Image.open(client.predict("DCGAN", 1, 4, "every class", 0, api_name="/sample"))
        assert grid.size == (4 * (2 * 30 + 2),) * 2
        assert np.asarray(grid).std() > 10  # garments, not a blank canvas
    finally:
        process.terminate()
        process.wait(timeout=30)


class RecordingApi:
    calls: list[tuple[str, dict]] = []

    def __init__(self, token=None, library_name=None, library_version=None):
        RecordingApi.calls.append(("init", {"token": token}))

    def create_repo(self, repo_id, **kwargs):
        RecordingApi.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))

    def upload_folder(self, *, folder_path, **kwargs):
        files = sorted(str(p.relative_to(folder_path)) for p in Path(folder_path).rglob("*") if p.is_file())
        RecordingApi.calls.append(("upload_folder", {"files": files, **kwargs}))

        class Commit:
            commit_url = f"https://huggingface.co/spaces/{kwargs['repo_id']}/commit/abc"

        return Commit()


def test_push_sends_a_space_folder_as_a_gradio_space(tmp_path, monkeypatch):
    import huggingface_hub

    RecordingApi.calls = []
    monkeypatch.setattr(huggingface_hub, "HfApi", RecordingApi)
    assert run("space", "dcgan-fashion", str(tmp_path / "space")).exit_code == 0
    result = run("push", str(tmp_path / "space"), "me/dcgan-demo")
    assert result.exit_code == 0, result.output
    assert "spaces/me/dcgan-demo/commit/abc" in result.output
    create, upload = dict(RecordingApi.calls)["create_repo"], dict(RecordingApi.calls)["upload_folder"]
    assert create["repo_type"] == "space" and create["space_sdk"] == "gradio"
    assert upload["repo_type"] == "space" and upload["repo_id"] == "me/dcgan-demo"
    assert {"app.py", "requirements.txt", "README.md", "model/generator.safetensors"} <= set(upload["files"])
