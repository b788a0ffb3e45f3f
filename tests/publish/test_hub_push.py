"""`ganzoo push`: no installable server accepts uploads, so the test stops at the HfApi calls.

It checks what would be sent: one create_repo, an optional create_branch and one upload_folder
commit of a complete checkpoint folder whose card says how to load it from the Hub.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from click.testing import CliRunner

from ganzoo.cli import build_cli
from ganzoo.errors import CheckpointError
from ganzoo.hub.checkpoint import checkpoint_config, write_checkpoint
from ganzoo.models import build_model
from ganzoo.publish.push import push_folder


class RecordingApi:
    """Stands in for huggingface_hub.HfApi and records each call with what it would upload."""

    calls: list[tuple[str, dict]] = []

    def __init__(self, token=None, library_name=None, library_version=None):
        RecordingApi.calls.append(("init", {"token": token, "library_name": library_name}))

    def create_repo(self, repo_id, **kwargs):
        RecordingApi.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))

    def create_branch(self, repo_id, **kwargs):
        RecordingApi.calls.append(("create_branch", {"repo_id": repo_id, **kwargs}))

    def upload_folder(self, *, folder_path, **kwargs):
        folder = Path(folder_path)
        files = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
        RecordingApi.calls.append(("upload_folder", {"files": files, **kwargs}))

        class Commit:
            commit_url = f"https://huggingface.co/{kwargs['repo_id']}/commit/abc123"

        return Commit()


@pytest.fixture
def api(monkeypatch):
    import huggingface_hub

    RecordingApi.calls = []
    monkeypatch.setattr(huggingface_hub, "HfApi", RecordingApi)
    return RecordingApi


@pytest.fixture
def folder(tmp_path):
    torch.manual_seed(0)
    model = build_model("vanilla", hidden=[16, 32], latent_dim=8, image_size=8)
    config = checkpoint_config(model, architecture="vanilla", training={"dataset": {"name": "fake"}})
    write_checkpoint(tmp_path / "ckpt", model, config)
    (tmp_path / "ckpt" / "README.md").write_text("local card")
    (tmp_path / "ckpt" / "notes.txt").write_text("not part of a checkpoint")
    return tmp_path / "ckpt"


def test_push_makes_one_repo_and_one_commit(api, folder):
    url = push_folder(folder, "me/tiny-gan", private=True, branch="v1", message="first", token="hf_x")
    assert url == "https://huggingface.co/me/tiny-gan/commit/abc123"
    names = [name for name, _ in api.calls]
    assert names == ["init", "create_repo", "create_branch", "upload_folder"]
    init, create, branch, upload = (kwargs for _, kwargs in api.calls)
    assert init == {"token": "hf_x", "library_name": "ganzoo"}
    assert create["repo_id"] == "me/tiny-gan" and create["private"] is True and create["exist_ok"] is True
    assert branch == {"repo_id": "me/tiny-gan", "branch": "v1", "exist_ok": True}
    assert upload["repo_id"] == "me/tiny-gan" and upload["revision"] == "v1"
    assert upload["commit_message"] == "first"
    assert set(upload["allow_patterns"]) >= {"config.json", "*.safetensors", "README.md"}
    files = upload["files"]
    assert files["generator.safetensors"] == (folder / "generator.safetensors").read_bytes()
    card = files["README.md"].decode()
    metadata = yaml.safe_load(card.split("---")[1])
    assert metadata["library_name"] == "ganzoo" and "gan" in metadata["tags"]
    assert "ganzoo sample hf:me/tiny-gan" in card
    assert (folder / "README.md").read_text() == "local card"  # the user's folder is untouched


def test_push_without_branch_commits_to_main(api, folder):
    push_folder(folder, "me/tiny-gan")
    names = [name for name, _ in api.calls]
    assert "create_branch" not in names
    assert dict(api.calls)["upload_folder"]["revision"] is None


def test_push_refuses_what_is_not_a_checkpoint(api, tmp_path):
    (tmp_path / "random").mkdir()
    with pytest.raises(CheckpointError, match="neither a checkpoint folder nor a training run"):
        push_folder(tmp_path / "random", "me/x")
    assert api.calls == []


def test_push_command_prints_the_commit_url(api, folder):
    result = CliRunner().invoke(build_cli(), ["push", str(folder), "me/tiny-gan"])
    assert result.exit_code == 0, result.output
    assert "https://huggingface.co/me/tiny-gan/commit/abc123" in result.output


def _truncate_weights(folder):
    weights = folder / "generator.safetensors"
    weights.write_bytes(weights.read_bytes()[:200])


def _edit_kwargs(folder):
    import json

    config = json.loads((folder / "config.json").read_text())
    config["architecture"]["kwargs"]["latent_dim"] = 9  # the weights were trained with 8
    (folder / "config.json").write_text(json.dumps(config))


# Before (issue 22): each folder was uploaded as it was, and only failed later, for whoever downloaded it.
@pytest.mark.parametrize(("spoil", "words"), [(_truncate_weights, "generator.safetensors"),
                                              (_edit_kwargs, "does not match")],
                         ids=["truncated-weights", "edited-config"])
def test_push_refuses_a_folder_that_does_not_load_before_any_upload(api, folder, spoil, words):
    spoil(folder)
    result = CliRunner().invoke(build_cli(), ["push", str(folder), "me/tiny-gan"])
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"ganzoo: error: not pushed, {folder} does not load: ") and words in line, line
    assert api.calls == []  # nothing was sent, not even the repository's creation
