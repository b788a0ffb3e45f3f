"""A tiny image-to-image family and datasets for the translate, checkpoint and evaluation tests.

``TinyTranslator`` follows contract 2 of the image-to-image families through
:class:`ganzoo.models.ImageToImageGAN` (``input_shape``, ``directions``, ``domains``; the base
class supplies ``translate`` and ``sample``) with a two-layer convolution per direction, so
tests can train, export and reload one in a second. ``mode`` swaps the learned mapping for a
known one ("identity", "negate", "blank") whose scores the evaluation tests can predict.

:func:`install` registers it (``tiny-translator``) and three datasets with the running plugin
manager: ``tiny-pairs`` (paired: the target is the negated source), ``tiny-same`` (paired,
target == source) and ``tiny-unpaired`` (independent draws, ``paired = False``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from ganzoo import hookimpl
from ganzoo.data import DatasetInfo
from ganzoo.losses import Objective
from ganzoo.models import ImageToImageGAN, discriminator_objective


def _net(cin: int, cout: int, width: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(cin, width, 3, padding=1), nn.ReLU(), nn.Conv2d(width, cout, 3, padding=1))


class TinyTranslator(ImageToImageGAN):
    def __init__(self, channels: int = 1, in_channels: int | None = None, image_size: int = 8, width: int = 4,
                 two_way: bool = False, mode: str = "learned") -> None:
        in_channels = in_channels or channels
        super().__init__({"channels": channels, "in_channels": in_channels, "image_size": image_size,
                          "width": width, "two_way": two_way, "mode": mode})
        self.input_shape = (in_channels, image_size, image_size)
        self.image_shape = (channels, image_size, image_size)
        self.directions = ("a2b", "b2a") if two_way else ("a2b",)
        self.domains = {"a": "blob", "b": "negative blob"}
        self.mode = mode
        if two_way:
            self.generator = nn.ModuleDict({"a2b": _net(in_channels, channels, width),
                                            "b2a": _net(channels, in_channels, width)})
            self.discriminator = nn.ModuleDict({"a": nn.Conv2d(in_channels, 1, 3, padding=1),
                                                "b": nn.Conv2d(channels, 1, 3, padding=1)})
        else:
            self.generator = _net(in_channels, channels, width)
            self.discriminator = nn.Conv2d(channels, 1, 3, padding=1)

    def _generate(self, inputs: Tensor, direction: str) -> Tensor:
        if self.mode == "identity":
            return inputs
        if self.mode == "negate":
            return -inputs
        if self.mode == "blank":
            return torch.full_like(inputs, -1.0)
        net = self.generator[direction] if isinstance(self.generator, nn.ModuleDict) else self.generator
        return torch.tanh(net(inputs))

    def _critic(self, images: Tensor, domain: str) -> Tensor:
        net = self.discriminator[domain] if isinstance(self.discriminator, nn.ModuleDict) else self.discriminator
        return net(images).mean(dim=(1, 2, 3))

    def _translate(self, inputs: Tensor, direction: str) -> Tensor:
        return self._generate(inputs, direction)

    def d_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, dict[str, float]]:
        with torch.no_grad():
            fake = self._generate(batch["source"], "a2b")
        real = batch["image"]
        critic = lambda x: self._critic(x, "b")  # noqa: E731
        return discriminator_objective(objective, critic, real, fake, critic(real), critic(fake))

    def g_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, dict[str, float]]:
        fake = self._generate(batch["source"], "a2b")
        loss = objective.g_loss(self._critic(fake, "b")) + 10 * (fake - batch["image"]).abs().mean()
        if len(self.directions) > 1:
            back = self._generate(batch["image"], "b2a")
            loss = loss + objective.g_loss(self._critic(back, "a")) + 10 * (back - batch["source"]).abs().mean()
        return loss, {"g_loss": float(loss.detach())}


def build(**kwargs: Any) -> TinyTranslator:
    return TinyTranslator(**kwargs)


class BlobPairs:
    """``source``: soft blobs of ten classes; ``image``: the source negated (or equal, or unrelated)."""

    def __init__(self, split: str = "train", *, size: int = 8, channels: int = 1, length: int = 32,
                 relation: str = "negate", name: str = "tiny-pairs") -> None:
        generator = torch.Generator().manual_seed(0 if split == "train" else 1)
        grid = torch.linspace(-1, 1, size)
        yy, xx = torch.meshgrid(grid, grid, indexing="ij")
        labels = torch.arange(length) % 10
        centres = torch.stack([torch.cos(labels * 0.63), torch.sin(labels * 0.63)], dim=1) * 0.5
        centres = centres + 0.05 * torch.randn(length, 2, generator=generator)
        blobs = torch.exp(-((xx - centres[:, 0, None, None]) ** 2 + (yy - centres[:, 1, None, None]) ** 2) / 0.2)
        self.source = (blobs[:, None] * 2 - 1).expand(-1, channels, -1, -1).contiguous()
        if relation == "negate":
            self.image = -self.source
        elif relation == "same":
            self.image = self.source.clone()
        else:  # unpaired: the negated blob of another item
            self.image = -self.source[torch.randperm(length, generator=generator)]
        self.paired = relation != "unpaired"
        self.labels = labels
        self.info = DatasetInfo(name=name, split=split, channels=channels, size=size,
                                classes=[str(k) for k in range(10)], license="none", source="tests")

    def __len__(self) -> int:
        return self.source.shape[0]

    def __getitem__(self, index: int) -> dict[str, Any]:
        return {"source": self.source[index], "image": self.image[index], "label": int(self.labels[index]),
                "source_label": int(self.labels[index])}

    def get_batch(self, index: Tensor) -> dict[str, Tensor]:
        return {"source": self.source[index], "image": self.image[index], "label": self.labels[index],
                "source_label": self.labels[index]}


def tiny_pairs(split: str = "train", **options: Any) -> BlobPairs:
    return BlobPairs(split, relation="negate", name="tiny-pairs", **options)


def tiny_same(split: str = "train", **options: Any) -> BlobPairs:
    return BlobPairs(split, relation="same", name="tiny-same", **options)


def tiny_unpaired(split: str = "train", **options: Any) -> BlobPairs:
    return BlobPairs(split, relation="unpaired", name="tiny-unpaired", **options)


class Plugin:
    """The hook object :func:`install` registers."""

    @hookimpl
    def register_architectures(self, register: Any) -> None:
        register("tiny-translator", f"{__name__}:build", summary="Tiny image-to-image model for tests",
                 tags=["image-to-image"],
                 metadata={"task": "image-to-image", "paper": "none", "test_kwargs": {"width": 2}})

    @hookimpl
    def register_datasets(self, register: Any) -> None:
        for name, factory in (("tiny-pairs", "tiny_pairs"), ("tiny-same", "tiny_same"),
                              ("tiny-unpaired", "tiny_unpaired")):
            register(name, f"{__name__}:{factory}", summary="Blob pairs for tests", tags=["synthetic"],
                     metadata={"channels": 1, "splits": ["train", "test"], "paired": name != "tiny-unpaired"})


def install() -> None:
    """Register the tiny family and datasets with the current plugin manager."""
    from ganzoo.plugins import get_manager

    get_manager().add_plugin(Plugin(), "fake-translator")
