"""``fmnist-cnn``: a small Fashion-MNIST classifier whose penultimate layer is the feature space.

InceptionV3 was trained on ImageNet photographs at 299x299; upsampled 28x28 grayscale clothes are
far from what it knows, so its features say little about Fashion-MNIST. This network was trained
on the Fashion-MNIST train split itself (``scripts/train_fmnist_cnn.py``, >= 92% test accuracy)
and its 128-d penultimate activations are the features; its 10 logits feed the Inception Score.
The weights ship with the plugin (``fmnist_cnn.safetensors``) and their sha256 goes into every
result, so numbers are only comparable between runs that used the same file.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import Tensor, nn

from ganzoo.plugin import CheckpointError, FeatureExtractor

WEIGHTS_FILE = Path(__file__).with_name("fmnist_cnn.safetensors")
#: The bundled weights' pin (``{"file", "sha256", "size"}``), written by scripts/train_fmnist_cnn.py.
PIN_FILE = WEIGHTS_FILE.with_suffix(".json")
NUM_FEATURES = 128
NUM_CLASSES = 10


def _conv(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]



def bundled_sha256() -> str:
    """The sha256 the bundled weights must have, from their pin file (``""`` when it is unreadable)."""
    try:
        return str(json.loads(PIN_FILE.read_text(encoding="utf-8"))["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""

class FashionCNN(nn.Module):
    """conv32-pool-conv64-conv64-pool-conv128-pool -> fc128 (the features) -> fc10 (the logits)."""

    def __init__(self, widths: tuple[int, int, int] = (32, 64, 128), num_features: int = NUM_FEATURES,
                 num_classes: int = NUM_CLASSES, dropout: float = 0.3) -> None:
        super().__init__()
        a, b, c = widths
        self.trunk = nn.Sequential(
            *_conv(1, a), nn.MaxPool2d(2),                    # 28 -> 14
            *_conv(a, b), *_conv(b, b), nn.MaxPool2d(2),      # 14 -> 7
            *_conv(b, c), nn.MaxPool2d(2),                    # 7 -> 3
            nn.Flatten(),
        )
        self.embed = nn.Sequential(nn.Linear(c * 9, num_features), nn.ReLU(inplace=True))
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(num_features, num_classes))

    def features(self, images: Tensor) -> Tensor:
        """The penultimate (post-ReLU) activations: what the classifier sees."""
        phi: Tensor = self.embed(self.trunk(images))
        return phi

    def forward(self, images: Tensor) -> Tensor:
        """Class logits of images [N, 1, 28, 28] in [-1, 1]."""
        logits: Tensor = self.classifier(self.features(images))
        return logits


def load_network(path: str | Path = WEIGHTS_FILE) -> FashionCNN:
    """The classifier with weights from ``path`` (safetensors, loaded strictly, cast to float32)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"the fmnist-cnn weights are missing ({path}); reinstall ganzoo, or retrain them with "
            f"'python scripts/train_fmnist_cnn.py --out {path}'"
        )
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is not a readable safetensors file ({exc}); reinstall ganzoo") from exc
    net = FashionCNN()
    expected = net.state_dict()
    if set(state) != set(expected) or any(state[k].shape != expected[k].shape for k in expected):
        raise CheckpointError(f"{path} does not hold fmnist-cnn weights of this version; reinstall ganzoo")
    net.load_state_dict({k: v.to(expected[k].dtype) for k, v in state.items()}, strict=True)
    return net.eval()


class FmnistCNN(FeatureExtractor):
    """The ``fmnist-cnn`` extractor: 128-d features and 10 logits of 1x28x28 images."""

    name = "fmnist-cnn"
    num_features = NUM_FEATURES
    num_classes = NUM_CLASSES
    input_channels = 1
    input_size = 28
    # fp32 by default: bf16 autocast saves ~4 s per 10,000 images on an AMX CPU but moves FID by
    # 0.05-0.3% and makes results depend on whether the machine has fast bf16 (docs/evaluation.md).
    default_precision = "fp32"
    domain = "fashion-mnist"

    def __init__(self, weights: str | Path | None = None) -> None:
        from ganzoo.plugin import sha256_file

        super().__init__()
        path = Path(weights).expanduser() if weights is not None else WEIGHTS_FILE
        self.net = load_network(path)
        self.requires_grad_(False)
        self.weights_path = str(path)
        self.sha256 = sha256_file(path)
        if weights is None and self.sha256 != (pinned := bundled_sha256()):
            raise CheckpointError(
                f"the bundled fmnist-cnn weights ({path}) have sha256 {self.sha256[:12]}…, not the "
                f"{pinned[:12]}… this ganzoo ships: the file was changed or damaged; reinstall ganzoo"
            )

    def _features_and_logits(self, images: Tensor) -> tuple[Tensor, Tensor]:
        trunk = self.net.trunk(images)
        # With --precision bf16, the two small linear layers still run in fp32: the features keep
        # full precision at almost no cost (the convolutions are where the time goes).
        with torch.autocast(images.device.type, enabled=False):
            features = self.net.embed(trunk.float())
            logits = self.net.classifier(features)
        return features, logits


def load(weights: str | None = None) -> FmnistCNN:
    """Registry target: the extractor with the bundled weights, or those at ``weights``."""
    return FmnistCNN(weights)
