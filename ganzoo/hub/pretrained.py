"""Pretrained models: load by name, sample, save and push — built on ``ModelHubMixin``.

``ModelHubMixin`` gives ``save_pretrained``/``from_pretrained``/``push_to_hub``; ganzoo supplies
the folder format (strict loading, safetensors only, a self-describing config) and the card.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import torch
from huggingface_hub import ModelCard, ModelHubMixin

from ganzoo.errors import UsageError
from ganzoo.hub.card import build_card
from ganzoo.hub.checkpoint import build_from_config, load_checkpoint, write_checkpoint
from ganzoo.hub.download import Resolved, download_repo, resolve
from ganzoo.io import atomic_write
from ganzoo.models import GAN

SAMPLES_NAME = "samples.png"


class PretrainedGAN(
    ModelHubMixin,
    library_name="ganzoo",
    tags=["ganzoo", "gan"],
    docs_url="https://github.com/ganzoo/ganzoo/tree/main/docs",
):
    """A trained GAN together with the config that describes it.

    >>> model = ganzoo.load_pretrained("dcgan-fashion")     # doctest: +SKIP
    >>> images = model.sample(16, seed=0)                     # [16, 1, 28, 28] in [-1, 1]
    """

    def __init__(self, config: dict, model: GAN | None = None) -> None:
        self.config = dict(config)
        self.model = model if model is not None else build_from_config(self.config)
        self.model.eval()
        self.source: str = "in memory"
        self.name: str | None = None

    @property
    def generator(self) -> torch.nn.Module:
        return self.model.generator

    @property
    def classes(self) -> list[str] | None:
        return self.config.get("classes")

    def to(self, device: str | torch.device) -> "PretrainedGAN":
        self.model.to(device)
        return self

    def labels_for(self, wanted: Sequence[str | int]) -> torch.Tensor:
        """Class indices for class names or indices (``"Sneaker"`` or ``7``)."""
        if not self.model.num_classes:
            raise UsageError("this model is not class-conditional; drop --class")
        names = self.classes or [str(i) for i in range(self.model.num_classes)]
        lowered = {n.lower(): i for i, n in enumerate(names)}
        out = []
        for item in wanted:
            text = str(item)
            if text.isdigit() and int(text) < self.model.num_classes:
                out.append(int(text))
            elif text.lower() in lowered:
                out.append(lowered[text.lower()])
            else:
                raise UsageError(f"unknown class '{item}'; this model knows: {', '.join(names)}")
        return torch.tensor(out, dtype=torch.long)

    @torch.no_grad()
    def sample(self, n: int = 64, *, seed: int | None = None, labels: Sequence[str | int] | torch.Tensor | None = None) -> torch.Tensor:
        """``n`` images in [-1, 1]; the same seed gives the same images on any machine's CPU."""
        if n < 1:
            raise UsageError("the number of samples must be at least 1")
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        label_tensor = None
        if labels is not None:
            label_tensor = labels if isinstance(labels, torch.Tensor) else self.labels_for(labels)
            if label_tensor.numel() != n:
                label_tensor = label_tensor.repeat_interleave(-(-n // label_tensor.numel()))[:n]
        return self.model.sample(n, labels=label_tensor, generator=generator).float().cpu()

    # -- ModelHubMixin integration -------------------------------------------------------------
    def _save_pretrained(self, save_directory: Path) -> None:
        from ganzoo.images import save_grid

        write_checkpoint(save_directory, self.model, self.config)
        images = self.sample(64, seed=0)
        save_grid(images, Path(save_directory) / SAMPLES_NAME, nrow=8)
        with atomic_write(Path(save_directory) / "README.md", "w") as handle:
            handle.write(str(self.generate_model_card()))

    @classmethod
    def _from_pretrained(
        cls,
        *,
        model_id: str,
        revision: str | None,
        cache_dir: str | Path | None,
        force_download: bool,
        local_files_only: bool,
        token: str | bool | None,
        config: dict | None = None,
        **model_kwargs: Any,
    ) -> "PretrainedGAN":
        if os.path.isdir(model_id):
            folder = Path(model_id)
        else:
            folder = download_repo(
                model_id, revision, offline=local_files_only, token=token if isinstance(token, str) else None,
                force_download=force_download, cache_dir=cache_dir,
            )
        model, loaded_config = load_checkpoint(folder)
        instance = cls(loaded_config, model)
        instance.source = str(folder)
        return instance

    def generate_model_card(self, *args: Any, **kwargs: Any) -> ModelCard:
        return build_card(self.config, name=self.name, load_as=getattr(self, "load_as", None))


def load_pretrained(
    name: str,
    *,
    offline: bool = False,
    token: str | None = None,
    force_download: bool = False,
    device: str | torch.device | None = None,
) -> PretrainedGAN:
    """Load a zoo name (``dcgan-fashion``), ``hf:owner/repo[@rev]`` or a checkpoint folder.

    >>> ganzoo.load_pretrained("dcgan-fashion").sample(8, seed=1).shape   # doctest: +SKIP
    torch.Size([8, 1, 28, 28])
    """
    resolved: Resolved = resolve(name, offline=offline, token=token, force_download=force_download)
    model, config = load_checkpoint(resolved.folder)
    pretrained = PretrainedGAN(config, model)
    pretrained.source = resolved.source
    pretrained.name = resolved.zoo.name if resolved.zoo else name
    pretrained.folder = resolved.folder  # type: ignore[attr-defined]
    if device is not None:
        pretrained.to(device)
    return pretrained
