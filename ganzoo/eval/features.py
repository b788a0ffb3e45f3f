"""Feature extractors: the networks whose activations every metric is computed from.

Metrics never look at pixels; they compare *features*. A :class:`FeatureExtractor` takes images
in [-1, 1] of any size and 1 or 3 channels, adapts them to what its network expects, and returns
features (for FID, KID, precision/recall) and class logits (for the Inception Score). Its
``forward`` returns the features alone and it has a ``num_features`` attribute, so an extractor
also works as torchmetrics' custom ``feature=`` module.

Extractors are a registry kind of their own (``register_features``; ``ganzoo list features``);
:func:`load_extractor` builds one by name. Which one a dataset is scored with by default is the
dataset's metadata (:func:`ganzoo.eval.names.default_feature`).

    >>> extractor = load_extractor("fmnist-cnn")            # doctest: +SKIP
    >>> feats, logits = extractor.features_and_logits(images)  # [N, 128], [N, 10]
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganzoo.errors import UsageError

#: ITU-R BT.601 luma weights, to turn RGB images into the grayscale a 1-channel network expects.
_LUMA = (0.299, 0.587, 0.114)


class FeatureExtractor(nn.Module):
    """Base class of feature extractors: images in [-1, 1] in, features and logits out.

    Subclasses set the class attributes, load their weights in ``__init__`` (recording
    ``sha256`` of the weights file, which goes into every result's provenance) and implement
    :meth:`_features_and_logits` on images already :meth:`prepare`-d.
    """

    #: Registry name, e.g. ``"fmnist-cnn"``; metric names carry it: ``FID[fmnist-cnn]``.
    name: str = ""
    num_features: int = 0
    num_classes: int = 0
    input_channels: int = 1
    input_size: int = 28
    #: What ``precision="auto"`` means for this extractor: ``"fp32"`` or ``"bf16"`` (autocast).
    default_precision: str = "fp32"
    #: The dataset the network was trained on, when it is domain-specific (else ``None``).
    domain: str | None = None

    def __init__(self) -> None:
        super().__init__()
        self.sha256: str = ""
        self.weights_path: str = ""

    # -- what subclasses implement -------------------------------------------------------------
    def _features_and_logits(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        raise NotImplementedError

    # -- shared behaviour ----------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        """Where the extractor runs: its weights' device; the CPU when it has none."""
        return extractor_device(self)

    def prepare(self, images: Tensor) -> Tensor:
        """Match channels and size: RGB -> luma or gray -> RGB, then an antialiased resize."""
        if images.dim() != 4:
            raise UsageError(f"{self.name} expects images [N, C, H, W], got shape {list(images.shape)}")
        images = images.float()
        channels = images.shape[1]
        if channels != self.input_channels:
            if channels == 3 and self.input_channels == 1:
                weights = torch.tensor(_LUMA, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
                images = (images * weights).sum(dim=1, keepdim=True)
            elif channels == 1 and self.input_channels == 3:
                images = images.expand(-1, 3, -1, -1)
            else:
                raise UsageError(f"{self.name} takes 1- or 3-channel images, got {channels} channels")
        if images.shape[-2:] != (self.input_size, self.input_size):
            images = F.interpolate(images, size=(self.input_size, self.input_size), mode="bilinear",
                                   align_corners=False, antialias=True)
        return images.clamp(-1.0, 1.0)

    @torch.no_grad()
    def features_and_logits(self, images: Tensor) -> tuple[Tensor, Tensor | None]:
        """Features ``[N, num_features]`` and logits ``[N, num_classes]`` (float32) of images in [-1, 1]."""
        prepared = self.prepare(images)
        if prepared.device.type in ("cpu", "cuda"):  # convolutions run fastest channels-last
            prepared = prepared.contiguous(memory_format=torch.channels_last)
        features, logits = self._features_and_logits(prepared)
        return features.float(), None if logits is None else logits.float()

    def forward(self, images: Tensor) -> Tensor:
        """Features only, as torchmetrics' custom feature modules return."""
        return self.features_and_logits(images)[0]

    def train(self, mode: bool = True) -> "FeatureExtractor":
        """Extractors stay in eval mode (batch-norm statistics and dropout frozen)."""
        return super().train(False)

    def describe(self) -> dict[str, Any]:
        """The provenance of this extractor, recorded with every metric it produces."""
        return {
            "name": self.name,
            "sha256": self.sha256,
            "num_features": self.num_features,
            "num_classes": self.num_classes,
            "input": f"{self.input_channels}x{self.input_size}x{self.input_size} in [-1, 1]",
            "domain": self.domain,
        }


@dataclass
class Features:
    """Features (and logits, when the extractor has a classifier) of one set of images."""

    features: Tensor
    logits: Tensor | None = None

    def __len__(self) -> int:
        return int(self.features.shape[0])


def load_extractor(name: str, *, weights: str | None = None, device: str | torch.device = "cpu") -> FeatureExtractor:
    """Build the registered extractor ``name`` (weights from ``weights`` when given), in eval mode.

    >>> load_extractor("fmnist-cnn").num_features     # doctest: +SKIP
    128
    """
    from ganzoo.eval.names import check_extractor
    from ganzoo.plugins import plugin_code

    factory = check_extractor(name).load()
    with plugin_code(factory, what=f"building feature extractor '{name}'"):
        extractor: FeatureExtractor = factory(weights=weights) if weights is not None else factory()
    extractor = extractor.to(device).eval()
    if torch.device(device).type in ("cpu", "cuda"):
        extractor = extractor.to(memory_format=torch.channels_last)
    return extractor


def autocast_for(precision: str, device: torch.device) -> tuple[str, contextlib.AbstractContextManager[Any]]:
    """Resolve ``auto|fp32|bf16`` on ``device``: the name used and the context to run in."""
    from ganzoo.devices import resolve_precision

    if precision not in ("auto", "fp32", "bf16"):
        raise UsageError(f"unknown precision {precision!r} for feature extraction; use auto, fp32 or bf16")
    resolved = resolve_precision(precision, device)
    if resolved.dtype is None:
        return "fp32", contextlib.nullcontext()
    return resolved.name, torch.autocast(device.type, dtype=resolved.dtype)


def extract(
    batches: Iterable[Tensor],
    extractor: FeatureExtractor,
    *,
    precision: str = "auto",
    want_logits: bool = True,
) -> Features:
    """Run ``extractor`` over image batches (any device; moved to the extractor's) and stack the results.

    >>> extract(iter_batches(images, 500), extractor).features.shape   # doctest: +SKIP
    """
    device = extractor_device(extractor)
    _, autocast = autocast_for(precision, device)
    feats: list[Tensor] = []
    logits: list[Tensor] = []
    for batch in batches:
        batch = batch.to(device, non_blocking=True)
        with autocast:
            f, lg = extractor.features_and_logits(batch)
        feats.append(f.cpu())
        if want_logits and lg is not None:
            logits.append(lg.cpu())
    if not feats:
        raise UsageError("no images to extract features from")
    return Features(torch.cat(feats), torch.cat(logits) if logits else None)


def extractor_device(extractor: nn.Module) -> torch.device:
    """The device of ``extractor``'s weights; the CPU for a weight-free one (a pixel-space extractor, say)."""
    for tensor in (*extractor.parameters(), *extractor.buffers()):
        return tensor.device
    return torch.device("cpu")


def iter_batches(images: Tensor, batch_size: int) -> Iterator[Tensor]:
    """Slices of an image tensor, ``batch_size`` at a time."""
    for start in range(0, images.shape[0], batch_size):
        yield images[start:start + batch_size]
