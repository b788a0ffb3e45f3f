"""Turning a model name into a local checkpoint folder, through huggingface_hub.

Downloads use ``snapshot_download`` so the HF cache, tokens, ``HF_ENDPOINT`` and
``HF_HUB_OFFLINE`` behave as users expect; every Hub failure becomes a :class:`HubError`
sentence that says what to do next.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganzoo.errors import CheckpointError, HubError, UsageError
from ganzoo.hub.checkpoint import CONFIG_NAME
from ganzoo.hub.names import PRETRAINED_KINDS, ModelName, parse_model_name
from ganzoo.hub.record import verify, verify_sha256
from ganzoo.hub.zoo import Location, locate
from ganzoo.plugins import get_registry
from ganzoo.registry import Spec

#: Files a checkpoint folder may hold; downloads fetch only these.
CHECKPOINT_PATTERNS = ["config.json", "*.safetensors", "README.md", "samples.png"]


@dataclass
class Resolved:
    """Where a name's files are, and how they got there."""

    folder: Path
    source: str
    zoo: Spec | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _transport_errors() -> tuple[type[BaseException], ...]:
    """The HTTP client's network exceptions (huggingface_hub 1.x+ uses httpx or httpx2)."""
    found: list[type[BaseException]] = [ConnectionError, TimeoutError]
    for module_name in ("httpx2", "httpx", "requests"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for attr in ("TransportError", "ConnectionError", "Timeout"):
            error = getattr(module, attr, None)
            if isinstance(error, type) and issubclass(error, BaseException):
                found.append(error)
    return tuple(found)


@contextlib.contextmanager
def hub_errors(repo_id: str, revision: str | None, offline: bool, *, action: str = "fetch") -> Iterator[None]:
    """Translate huggingface_hub exceptions into one sentence with the next step.

    ``action`` is ``"fetch"`` or ``"push"``; it shapes the advice.
    """
    from huggingface_hub import constants
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        HFValidationError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    where = f"'{repo_id}'" + (f" at revision '{revision}'" if revision else "")
    try:
        yield
    except HFValidationError as exc:  # a name the Hub's client refuses before any request
        raise UsageError(f"'{repo_id}' is not a valid Hub repo name ({str(exc).splitlines()[0]}); "
                         f"write hf:owner/repo with ASCII letters, digits, '-', '_' and '.'") from None
    except GatedRepoError as exc:
        raise HubError(
            f"{where} is gated: accept its terms on https://huggingface.co/{repo_id}, then log in "
            f"with 'hf auth login' or pass --token"
        ) from exc
    except RepositoryNotFoundError as exc:
        raise HubError(
            f"no Hub repo {where} (or it is private): check the name, or log in with 'hf auth login' / pass --token"
        ) from exc
    except RevisionNotFoundError as exc:
        raise HubError(
            f"revision '{revision}' does not exist in '{repo_id}'; use a branch, tag or commit that the repo has"
        ) from exc
    except (LocalEntryNotFoundError, OfflineModeIsEnabled) as exc:
        if action == "push":
            raise HubError(
                f"cannot push to {where} while downloads and uploads are off (HF_HUB_OFFLINE=1); unset it and retry"
            ) from exc
        if offline or constants.HF_HUB_OFFLINE:
            raise HubError(
                f"{where} is not in the local Hugging Face cache and downloads are off "
                f"(--offline or HF_HUB_OFFLINE=1); run 'ganzoo pretrained hf:{repo_id} download' while online"
            ) from exc
        raise HubError(
            f"cannot reach the Hub at {constants.ENDPOINT} to {action} {where}; check your connection or "
            f"HF_ENDPOINT" + (", or use a cached copy with --offline" if action == "fetch" else "")
        ) from exc
    except EntryNotFoundError as exc:
        raise HubError(f"{where} lacks a file ganzoo needs ({exc}); is it a ganzoo checkpoint?") from exc
    except HfHubHTTPError as exc:
        raise HubError(f"the Hub refused the request for {where}: {str(exc).splitlines()[0]}") from exc
    except _transport_errors() as exc:
        raise HubError(
            f"cannot reach the Hub at {constants.ENDPOINT} to {action} {where} ({type(exc).__name__}); "
            f"check your connection or HF_ENDPOINT"
            + (", or use a cached copy with --offline" if action == "fetch" else "")
        ) from exc


def download_repo(
    repo_id: str,
    revision: str | None = None,
    *,
    offline: bool = False,
    token: str | None = None,
    force_download: bool = False,
    cache_dir: str | Path | None = None,
) -> Path:
    """Fetch a checkpoint repo's files into the HF cache (or find them there) and return the folder."""
    from huggingface_hub import snapshot_download

    from ganzoo.version import __version__

    with hub_errors(repo_id, revision, offline):
        folder = snapshot_download(
            repo_id,
            revision=revision,
            allow_patterns=CHECKPOINT_PATTERNS,
            local_files_only=offline,
            token=token,
            force_download=force_download,
            cache_dir=cache_dir,
            library_name="ganzoo",
            library_version=__version__,
        )
    path = Path(folder)
    if not (path / CONFIG_NAME).is_file():
        raise CheckpointError(f"Hub repo '{repo_id}' has no {CONFIG_NAME}; it is not a ganzoo checkpoint")
    return path


def resolve(
    name: str | ModelName,
    *,
    offline: bool = False,
    token: str | None = None,
    force_download: bool = False,
) -> Resolved:
    """Find (downloading if needed) the checkpoint folder that ``name`` refers to.

    What ``name`` is (zoo, Hub or checkpoint folder; a training run is refused with the way to
    export it) is :func:`ganzoo.hub.names.parse_model_name`'s answer.
    """
    parsed = name if isinstance(name, ModelName) else parse_model_name(name, accept=PRETRAINED_KINDS)
    if parsed.kind in ("checkpoint", "run"):
        if parsed.kind == "run":  # a ModelName parsed for another command
            parse_model_name(parsed.text, accept=PRETRAINED_KINDS)
        return Resolved(Path(str(parsed.path)), f"local folder {parsed.path}")
    if parsed.kind == "hub":
        repo_id = str(parsed.repo_id)
        folder = download_repo(repo_id, parsed.revision, offline=offline, token=token, force_download=force_download)
        return Resolved(folder, str(parsed.source), details={"repo_id": repo_id, "revision": parsed.revision})
    spec = get_registry("pretrained").get(str(parsed.zoo))
    return _resolve_zoo(spec, offline=offline, token=token, force_download=force_download)


def _resolve_zoo(spec: Spec, *, offline: bool, token: str | None, force_download: bool) -> Resolved:
    location = locate(spec)
    if location.folder is not None and (not force_download or not location.repo_id):
        check_zoo_folder(location.folder, location, f"bundled model '{spec.name}'")
        return Resolved(location.folder, f"bundled in plugin '{spec.plugin}'", zoo=spec)
    if not location.repo_id:
        raise CheckpointError(
            f"the files of '{spec.name}' are missing from plugin '{spec.plugin}' and it names no Hub repo; "
            f"reinstall the plugin"
        )
    folder = download_repo(location.repo_id, location.revision, offline=offline, token=token,
                           force_download=force_download)
    check_zoo_folder(folder, location, f"'{spec.name}' from hf:{location.repo_id}")
    return Resolved(folder, f"hf:{location.repo_id}@{location.revision}", zoo=spec,
                    details={"repo_id": location.repo_id, "revision": location.revision})


def check_zoo_folder(folder: Path, location: Location, source: str) -> None:
    """A zoo folder must match its pinned record and every file the record lists (or, for entries
    registered before records listed files, the sha256s the entry itself pins)."""
    verify_sha256(folder, location.legacy_files, source)
    verify(folder, pin=location.pin, source=source)
