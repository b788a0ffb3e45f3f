"""Architectures that each break one rule of the family contract (for the conformance tests)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ganzoo.models import GAN


class Tiny(GAN):
    """A correct tiny GAN: linear layers on 1x4x4 images."""

    def __init__(self, latent_dim: int = 4) -> None:
        super().__init__(dict(latent_dim=latent_dim))
        self.latent_dim = latent_dim
        self.image_shape = (1, 4, 4)
        self.generator = nn.Sequential(nn.Linear(latent_dim, 16), nn.Tanh())
        self.discriminator = nn.Sequential(nn.Flatten(), nn.Linear(16, 1))

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.generator(z).view(-1, *self.image_shape)

    def discriminate(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.discriminator(images).view(-1)


class OutOfRange(Tiny):
    """Forgets the tanh: samples leave [-1, 1] (sample() clamps, so generate is what leaks)."""

    def sample(self, n=None, **kwargs):  # type: ignore[override]
        return super().sample(n, **kwargs) * 3


class WrongLogitShape(Tiny):
    """Returns logits of shape [N, 1] instead of [N]."""

    def discriminate(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.discriminator(images)


class OpaqueConfig(Tiny):
    """Keeps a non-JSON value in its config."""

    def __init__(self, latent_dim: int = 4) -> None:
        super().__init__(latent_dim)
        self.config["activation"] = nn.Tanh()


class Unseeded(Tiny):
    """Ignores the generator argument of sample(), so seeded samples differ."""

    def sample_latent(self, n, *, generator=None, device=None):  # type: ignore[override]
        return torch.randn(n, self.latent_dim)


# -- datasets that break (or keep) the dataset contract --------------------------------------------


class _ByteImages(torch.utils.data.Dataset):
    def __init__(self) -> None:
        from ganzoo.data import DatasetInfo

        self.images = torch.randint(0, 256, (4, 1, 8, 8)).float()
        self.info = DatasetInfo(name="bad-items", split="train", channels=1, size=8)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict:
        return {"image": self.images[index]}


def out_of_range_dataset(split="train"):
    """Items whose pixels are bytes, not [-1, 1]: the items check must catch it."""
    return _ByteImages()


def unavailable_dataset(split="train"):
    """Data not on this machine, said in one line: no failure."""
    from ganzoo.errors import DataUnavailableError

    raise DataUnavailableError("no-data is not on this machine; put it in ~/.cache/no-data")
