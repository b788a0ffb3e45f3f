"""``inception``: the InceptionV3 of the original FID, through torch-fidelity (as torchmetrics uses it).

Numbers comparable with papers need this exact network and weights: torch-fidelity's port of the
TensorFlow graph (``weights-inception-2015-12-05-6726825d.pth``). ganzoo never downloads them by
itself (evaluation works offline): they are read from the torch hub cache, where torch-fidelity
and torchmetrics put them, or from ``--feature-weights PATH``. The file is unpickled with
``weights_only`` forced on, so a tampered file cannot run code.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import Tensor

from ganzoo.plugin import CheckpointError, FeatureExtractor, PluginError, UsageError

WEIGHTS_NAME = "weights-inception-2015-12-05-6726825d.pth"
WEIGHTS_URL = f"https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/{WEIGHTS_NAME}"
#: torch hub names files ``<name>-<first 8 hex digits of the sha256>.<ext>``.
SHA256_PREFIX = "6726825d"


def default_weights_path() -> Path:
    """Where torch hub (hence torch-fidelity and torchmetrics) keeps the weights: ``$TORCH_HOME/hub/checkpoints``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_NAME


def _missing_weights_message(path: Path) -> str:
    return (f"the InceptionV3 FID weights are not on this machine: download {WEIGHTS_URL} and put it at "
            f"{path}, or pass --feature-weights PATH")


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
    """2048-d pool3 features and 1008 unbiased logits, from uint8 RGB images resized to 299x299."""

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
        path = Path(weights).expanduser() if weights is not None else default_weights_path()
        if not path.is_file():
            if weights is not None:
                raise CheckpointError(f"no InceptionV3 weights file at {path}; check the --feature-weights path")
            raise CheckpointError(_missing_weights_message(path))
        try:
            with _weights_only_loading():
                self.net = FeatureExtractorInceptionV3("inception-v3-compat", ["2048", "logits_unbiased"],
                                                       feature_extractor_weights_path=str(path))
        except Exception as exc:  # unreadable, wrong keys, or not weights at all
            raise CheckpointError(f"{path} does not hold torch-fidelity's InceptionV3 weights "
                                  f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                                  f"{_missing_weights_message(default_weights_path())}") from None
        self.weights_path = str(path)
        self.sha256 = sha256_file(path)

    def prepare(self, images: Tensor) -> Tensor:
        """[-1, 1] float -> uint8 RGB at the native size; torch-fidelity resizes to 299 the TF1 way."""
        if images.dim() != 4 or images.shape[1] not in (1, 3):
            raise UsageError(f"inception takes images [N, 1 or 3, H, W], got shape {list(images.shape)}")
        images = images.float().expand(-1, 3, -1, -1) if images.shape[1] == 1 else images.float()
        return ((images.clamp(-1, 1) + 1) * 127.5).round_().clamp_(0, 255).to(torch.uint8)

    def _features_and_logits(self, images: Tensor) -> tuple[Tensor, Tensor]:
        features, logits = self.net(images.contiguous())
        return features, logits


def load(weights: str | None = None) -> InceptionV3:
    """Registry target: InceptionV3 with weights from the torch hub cache, or from ``weights``."""
    return InceptionV3(weights)
