"""Where the VGG19 weights come from: ImageNet (torchvision's file), a local file, or random.

``weights`` is one of

* ``"imagenet"``: torchvision's ``VGG19_Weights.IMAGENET1K_V1`` file, ``vgg19-dcbb9e9d.pth``,
  read from the torch hub cache (``$TORCH_HOME/hub/checkpoints``, where torchvision keeps it).
  When it is missing it is downloaded there once (548 MB, hash-checked), as torchvision would,
  unless downloads are off (``download=False``, ``--offline`` or ``HF_HUB_OFFLINE=1``); then
  the error names the file, its URL and where to put it.
* a path to a ``.pth`` (loaded with ``torch.load(weights_only=True)``: nothing is unpickled)
  or ``.safetensors`` file holding a VGG19 state dict: torchvision's whole model
  (``features.N.weight`` ...) or the feature layers only (``N.weight`` ...);
* ``"random"``: untrained weights from a fixed seed, for tests and experiments.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ganzoo.plugin import CheckpointError, UsageError
from ganzoo_style.vgg import CONV_INDICES, random_init

WEIGHTS_NAME = "vgg19-dcbb9e9d.pth"
#: torchvision's ``VGG19_Weights.IMAGENET1K_V1.url`` (a test keeps the two equal).
WEIGHTS_URL = f"https://download.pytorch.org/models/{WEIGHTS_NAME}"
WEIGHTS_SIZE = "548 MB"
#: torch hub names files ``<name>-<first 8 hex digits of their sha256>.<ext>``; checked on download.
SHA256_PREFIX = "dcbb9e9d"
#: Seconds a stalled connection may take before the download gives up.
DOWNLOAD_TIMEOUT_S = 30.0
RANDOM_SEED = 0


def cached_weights_path() -> Path:
    """Where torchvision keeps the ImageNet weights: ``torch.hub.get_dir()/checkpoints``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_NAME


def downloads_allowed(download: bool = True) -> bool:
    """False when ``download`` is False or ``HF_HUB_OFFLINE`` is set (ganzoo's offline switch)."""
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
    return download and not offline


def _missing_message(path: Path, reason: str) -> str:
    return (f"the VGG19 ImageNet weights are not on this machine ({reason}): download {WEIGHTS_URL} "
            f"({WEIGHTS_SIZE}) and put it at {path}, or pass --vgg-weights PATH "
            f"(--vgg-weights random runs without them, with weaker results)")


def _download(path: Path) -> None:
    """Fetch the ImageNet file into the hub cache with torch's hash-checked downloader."""
    print(f"downloading the VGG19 ImageNet weights ({WEIGHTS_SIZE}) to {path}", file=sys.stderr)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(WEIGHTS_URL, str(path), hash_prefix=SHA256_PREFIX,
                                       progress=sys.stderr.isatty())
    except Exception as exc:  # no network, a proxy, a timeout, a bad hash: one sentence
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise CheckpointError(_missing_message(path, f"the download failed: {reason}")) from None
    finally:
        socket.setdefaulttimeout(previous)


def imagenet_path(*, download: bool = True) -> Path:
    """The cached ImageNet file, downloading it first when missing and allowed."""
    path = cached_weights_path()
    if path.is_file():
        return path
    if not downloads_allowed(download):
        raise CheckpointError(_missing_message(path, "downloads are off: --offline or HF_HUB_OFFLINE=1"))
    _download(path)
    return path


def read_state_dict(path: str | os.PathLike[str]) -> dict[str, Tensor]:
    """Tensors from a ``.safetensors`` or ``.pth`` file, never unpickling code."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise CheckpointError(f"no VGG19 weights file at {path}; check the --vgg-weights path "
                              f"(or use --vgg-weights imagenet or random)")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state: Any = load_file(str(path))
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        reason = " ".join(str(exc).split()[:25]) or type(exc).__name__
        raise CheckpointError(f"{path} is not a readable weights file ({reason}); give torchvision's "
                              f"{WEIGHTS_NAME} or a .safetensors VGG19 state dict") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise CheckpointError(f"{path} holds a {type(state).__name__}, not a state dict of VGG19 weights")
    return state


def feature_state(state: dict[str, Tensor], source: str) -> dict[str, Tensor]:
    """The feature layers' tensors under the keys of :func:`~ganzoo_style.vgg.build_features`."""
    prefix = "features." if any(k.startswith("features.") for k in state) else ""
    picked, missing = {}, []
    for index in CONV_INDICES:
        for part in ("weight", "bias"):
            key = f"{prefix}{index}.{part}"
            if key in state:
                picked[f"{index}.{part}"] = state[key]
            else:
                missing.append(key)
    if missing:
        raise CheckpointError(f"{source} does not hold VGG19 weights: {len(missing)} tensors missing, "
                              f"{', '.join(missing[:3])} ...; give torchvision's {WEIGHTS_NAME} or a file saved "
                              f"from torchvision.models.vgg19().state_dict()")
    return picked


def load_weights(features: nn.Sequential, weights: str, *, download: bool = True) -> str:
    """Fill ``features`` from ``weights`` (``imagenet``, ``random`` or a path); returns the source.

    >>> load_weights(build_features(), "random")   # doctest: +SKIP
    'random (seed 0)'
    """
    if not isinstance(weights, str) or not weights:
        raise UsageError(f"weights must be 'imagenet', 'random' or a file path, not {weights!r}")
    if weights == "random":
        random_init(features, RANDOM_SEED)
        return f"random (seed {RANDOM_SEED})"
    path = imagenet_path(download=download) if weights == "imagenet" else Path(weights).expanduser()
    state = feature_state(read_state_dict(path), str(path))
    try:
        features.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    except RuntimeError as exc:  # a shape mismatch: another network's weights
        first = str(exc).strip().splitlines()[-1].strip()
        raise CheckpointError(f"{path} does not hold VGG19 weights ({first}); give torchvision's "
                              f"{WEIGHTS_NAME}") from None
    return str(path)
