"""Uploading a checkpoint folder to the Hub: one ``create_repo`` and one ``upload_folder`` commit."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from ganzoo.errors import CheckpointError, HubError
from ganzoo.hub.config import CheckpointConfig
from ganzoo.hub.download import CHECKPOINT_PATTERNS, hub_errors
from ganzoo.hub.names import parse_model_name
from ganzoo.weights import confined_file


def push_folder(
    folder: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    branch: str | None = None,
    message: str | None = None,
    token: str | None = None,
) -> str:
    """Upload ``folder`` (a checkpoint folder, or a training run exported on the fly); return the commit URL.

    Which of the two ``folder`` is, is :func:`ganzoo.hub.names.parse_model_name`'s answer.
    """
    from ganzoo.publish.space import is_space_folder

    if is_space_folder(folder):
        return push_space(Path(folder), repo_id, private=private, branch=branch, message=message, token=token)
    name = parse_model_name(folder, accept=("checkpoint", "run"))
    folder = Path(str(name.path))
    if name.kind == "checkpoint":
        return _upload(folder, repo_id, private=private, branch=branch, message=message, token=token)
    from ganzoo.publish.export import export_run

    with tempfile.TemporaryDirectory(prefix="ganzoo-push-") as tmp:
        exported = export_run(folder, Path(tmp) / repo_id.split("/")[-1], name=repo_id.split("/")[-1])
        return _upload(exported, repo_id, private=private, branch=branch, message=message, token=token)


def _upload(folder: Path, repo_id: str, *, private: bool, branch: str | None, message: str | None,
            token: str | None) -> str:
    from ganzoo.version import __version__

    config = CheckpointConfig.read(folder)
    weights = confined_file(folder, config.weights.generator, "generator")
    if not weights.is_file():
        raise CheckpointError(f"{folder} is missing {weights.name}; re-export it")
    _check_loads(folder, discriminator=config.weights.discriminator is not None)
    with tempfile.TemporaryDirectory(prefix="ganzoo-push-") as tmp:
        staged = _stage_with_card(folder, Path(tmp), config, repo_id)
        return _commit(staged, repo_id, repo_type="model", private=private, branch=branch, token=token,
                       message=message or f"Upload {config.architecture.name} checkpoint with ganzoo {__version__}",
                       upload={"allow_patterns": CHECKPOINT_PATTERNS})


def _check_loads(folder: Path, *, discriminator: bool) -> None:
    """Refuse, before anything is sent, a folder that ``ganzoo pretrained`` could not load.

    The checkpoint reader does it (read only): the model is rebuilt from ``config.json`` and every
    weight file is loaded strictly, so truncated or mismatched weights never reach the Hub.
    """
    from ganzoo.hub.checkpoint import load_checkpoint

    try:
        load_checkpoint(folder, discriminator=discriminator)
    except CheckpointError as exc:
        raise CheckpointError(f"not pushed, {folder} does not load: {exc}") from None


def _stage_with_card(folder: Path, tmp: Path, config: CheckpointConfig, repo_id: str) -> Path:
    """A copy of ``folder`` whose card tells readers to load ``hf:repo_id``; the original is untouched."""
    from ganzoo.hub.card import build_card

    staged = tmp / "upload"
    shutil.copytree(folder, staged)
    card = build_card(config, name=repo_id.split("/")[-1], load_as=f"hf:{repo_id}")
    (staged / "README.md").write_text(str(card), encoding="utf-8")
    return staged


def _commit(folder: Path, repo_id: str, *, repo_type: str, private: bool, branch: str | None, message: str,
            token: str | None, upload: dict[str, Any], **repo_options: Any) -> str:
    """One ``create_repo`` (and ``create_branch``) and one ``upload_folder`` commit; the commit URL.

    ``upload`` says which files go (allow or ignore patterns); ``repo_options`` go to
    ``create_repo`` (a Space's ``space_sdk``).
    """
    from huggingface_hub import HfApi
    from huggingface_hub.errors import LocalTokenNotFoundError

    from ganzoo.version import __version__

    api = HfApi(token=token, library_name="ganzoo", library_version=__version__)
    of_type = {} if repo_type == "model" else {"repo_type": repo_type}  # the Hub's default is a model repo
    try:
        with hub_errors(repo_id, branch, offline=False, action="push"):
            api.create_repo(repo_id, private=private, exist_ok=True, repo_type=repo_type, **repo_options)
            if branch:
                api.create_branch(repo_id, branch=branch, exist_ok=True, **of_type)
            commit = api.upload_folder(repo_id=repo_id, folder_path=str(folder), commit_message=message,
                                       revision=branch, repo_type=repo_type, **upload)
    except LocalTokenNotFoundError as exc:
        raise HubError("pushing needs a Hugging Face token: run 'hf auth login' or pass --token") from exc
    return str(getattr(commit, "commit_url", commit))


def push_space(folder: Path, repo_id: str, *, private: bool = False, branch: str | None = None,
               message: str | None = None, token: str | None = None) -> str:
    """Upload a Space folder (``ganzoo space``) as a Gradio Space repo in one commit; return the commit URL."""
    from ganzoo.version import __version__

    return _commit(folder, repo_id, repo_type="space", private=private, branch=branch, token=token,
                   message=message or f"Upload ganzoo {__version__} Space",
                   upload={"ignore_patterns": [".*", "**/.*", "__pycache__"]}, space_sdk="gradio")
