"""Pretrained models: load by name, sample, save and push — built on ``ModelHubMixin``.

``ModelHubMixin`` gives ``save_pretrained``/``from_pretrained``/``push_to_hub``; ganzoo supplies
the folder format (strict loading, safetensors only, a self-describing config) and the card.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import ModelCard, ModelHubMixin

from ganzoo.errors import UsageError
from ganzoo.hub.card import build_card
from ganzoo.hub.checkpoint import build_from_config, load_checkpoint, write_checkpoint
from ganzoo.hub.config import CheckpointConfig
from ganzoo.hub.download import Resolved, download_repo, resolve
from ganzoo.hub.names import ModelName
from ganzoo.io import atomic_write
from ganzoo.models import GAN
from ganzoo.translation import directions_of, domains_of, is_translator, translate

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

    Image-to-image models translate instead of sampling:

    >>> pix2pix = ganzoo.load_pretrained("pix2pix-edges2fashion")   # doctest: +SKIP
    >>> garments = pix2pix.translate(edge_maps)                       # same size as edge_maps
    """

    def __init__(self, config: dict[str, Any], model: GAN | None = None) -> None:
        self.config = dict(config)
        self.model = model if model is not None else build_from_config(self.config)
        self.model.eval()
        self.source: str = "in memory"
        self.name: str | None = None
        #: What the model card tells users to load it by (set when exporting; default: its name).
        self.load_as: str | None = None
        #: Test items for an image-to-image model's ``samples.png`` (default: its dataset's test split).
        self.examples_dataset: Any = None
        self._samples_note: str | None = None

    @property
    def checkpoint(self) -> CheckpointConfig:
        """:attr:`config` as the typed, validated :class:`~ganzoo.hub.config.CheckpointConfig`."""
        folder = getattr(self, "folder", None)
        return CheckpointConfig.of(self.config, Path(folder) / "config.json" if folder else "config.json")

    @property
    def generator(self) -> torch.nn.Module:
        return self.model.generator

    @property
    def classes(self) -> list[str] | None:
        return self.config.get("classes")

    @property
    def task(self) -> str:
        return self.model.task

    @property
    def directions(self) -> tuple[str, ...]:
        """The directions an image-to-image model translates (``("a2b",)``, ``("a2b", "b2a")``)."""
        return directions_of(self.model) if is_translator(self.model) else ()

    @property
    def domains(self) -> dict[str, str]:
        """Names of an image-to-image model's domains, ``{"a": "edge map", "b": "garment"}``."""
        return domains_of(self.model) or dict(self.config.get("domains") or {})

    @property
    def input_shape(self) -> tuple[int, ...] | None:
        """(C, H, W) of an image-to-image model's inputs; ``None`` for generators."""
        if not is_translator(self.model):
            return None
        return tuple(int(d) for d in (getattr(self.model, "input_shape", None) or self.model.image_shape))

    @torch.no_grad()
    def translate(self, inputs: torch.Tensor, direction: str | None = None, *, batch_size: int = 64) -> torch.Tensor:
        """Translate images ``[N, C, H, W]`` (or one ``[C, H, W]``) in [-1, 1]; outputs keep the inputs' size.

        Inputs of another size are resized (antialiased) to the model's input size and the outputs
        resized back, so large inputs come out upsampled from the model's resolution. ``direction``
        defaults to the model's first (``a2b``).

        >>> boots = ganzoo.load_pretrained("cyclegan-sneaker2boot").translate(sneakers)   # doctest: +SKIP
        """
        if not is_translator(self.model):
            raise UsageError(f"{self.name or 'this model'} is {self.model.task}: it makes images from noise, not "
                             f"from inputs; use model.sample(n) or 'ganzoo pretrained {self.name or 'NAME'} sample'")
        return translate(self.model, inputs, direction, batch_size=batch_size)

    def to(self, device: str | torch.device) -> "PretrainedGAN":
        """Move the model; a device name (``"cuda"``, ``"auto"``) is checked first (one-line error)."""
        from ganzoo.devices import select_device

        self.model.to(select_device(device) if isinstance(device, str) else device)
        return self

    def labels_for(self, wanted: Sequence[str | int]) -> torch.Tensor:
        """Class indices for class names (any case) or indices (``"Sneaker"`` or ``7``), as ``--class`` reads them."""
        from ganzoo.noise import class_indices

        return torch.tensor(class_indices(wanted, self.classes, self.model.num_classes),
                            dtype=torch.long)

    @torch.no_grad()
    def sample(self, n: int = 64, *, seed: int | None = None,
               labels: Sequence[str | int] | torch.Tensor | None = None,
               truncation: float | None = None) -> torch.Tensor:
        """``n`` images in [-1, 1]; the same seed gives the same images on any machine's CPU.

        ``truncation=T`` keeps each latent value inside ``[-T, T]`` (BigGAN's truncation trick):
        lower T, more typical and less varied images. Refused for image-to-image models.
        Gaussian latents (and missing labels) are drawn with numpy (:func:`ganzoo.noise.draw_inputs`),
        as ``ganzoo pretrained NAME sample`` draws them on either backend: same seed, same images.
        """
        if is_translator(self.model):
            raise UsageError(f"{self.name or 'this model'} is image-to-image: it needs input images; use "
                             f"model.translate(images) or 'ganzoo translate {self.name or 'NAME'} INPUT -o OUT'")
        if n < 1:
            raise UsageError("the number of samples must be at least 1")
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        label_tensor = None
        if labels is not None:
            label_tensor = labels if isinstance(labels, torch.Tensor) else self.labels_for(labels)
            if label_tensor.numel() != n:
                label_tensor = label_tensor.repeat_interleave(-(-n // label_tensor.numel()))[:n]
        if getattr(self.model, "latent_distribution", None) == "normal" and getattr(self.model, "latent_dim", 0):
            from ganzoo.models import check_truncation
            from ganzoo.noise import draw_inputs

            bound = None if truncation is None else check_truncation(self.model, truncation)
            z, drawn = draw_inputs(n, int(self.model.latent_dim), seed=seed, num_classes=self.model.num_classes,
                                   labels=None if label_tensor is None else label_tensor.cpu().numpy(),
                                   truncation=bound)
            labels_in = None if drawn is None else torch.from_numpy(drawn)
            return self.model.sample(z=torch.from_numpy(z), labels=labels_in).float().cpu()
        return self.model.sample(n, labels=label_tensor, generator=generator, truncation=truncation).float().cpu()

    @torch.no_grad()
    def interpolate(self, seeds: Sequence[int] = (0, 1), *, steps: int = 16, rows: int = 1, mode: str = "slerp",
                    loop: bool = False, latents: torch.Tensor | None = None,
                    labels: Sequence[str | int] | torch.Tensor | None = None,
                    classes: tuple[str | int, str | int] | None = None,
                    truncation: float | None = None) -> torch.Tensor:
        """Frames of a walk through the latent space, ``[frames, rows, C, H, W]`` in [-1, 1].

        Spherical (``mode="slerp"``) or straight paths through the latents of the waypoint
        ``seeds`` (or saved ``latents``), ``steps`` frames a leg; ``labels`` fix each row's class
        and ``classes=("Sneaker", "Ankle boot")`` blends two classes at a fixed latent instead.
        The same seeds give the same frames; :func:`ganzoo.animation.write_walk` writes them.

        >>> frames = ganzoo.load_pretrained("dcgan-fashion").interpolate([0, 1, 2], rows=4)   # doctest: +SKIP
        """
        from ganzoo.latents import walk

        if is_translator(self.model):
            raise UsageError(f"{self.name or 'this model'} is image-to-image: it has no latent space to walk")
        label_tensor = None
        if labels is not None:
            label_tensor = labels if isinstance(labels, torch.Tensor) else self.labels_for(labels)
        pair = None
        if classes is not None:
            pair = (int(self.labels_for([classes[0]])[0]), int(self.labels_for([classes[1]])[0]))
        return walk(self.model, seeds=seeds, steps=steps, rows=rows, mode=mode, loop=loop, latents=latents,
                    labels=label_tensor, classes=pair, truncation=truncation)

    # -- ModelHubMixin integration -------------------------------------------------------------
    def _save_pretrained(self, save_directory: Path) -> None:
        from ganzoo.images import save_grid

        write_checkpoint(save_directory, self.model, self.config)
        if is_translator(self.model):
            self._samples_note = self._save_examples(Path(save_directory) / SAMPLES_NAME)
        elif self.model.num_classes:  # one row of 8 per class, in class order (the card names the rows)
            labels = torch.arange(self.model.num_classes).repeat_interleave(8)
            save_grid(self.sample(labels.numel(), seed=0, labels=labels), Path(save_directory) / SAMPLES_NAME, nrow=8)
        else:
            save_grid(self.sample(64, seed=0), Path(save_directory) / SAMPLES_NAME, nrow=8)
        with atomic_write(Path(save_directory) / "README.md", "w") as handle:
            handle.write(str(self.generate_model_card()))

    def _save_examples(self, path: Path) -> str | None:
        """Translation examples from the training dataset's test split; why not, when they cannot be made."""
        from ganzoo.data import build_dataset
        from ganzoo.errors import GanzooError
        from ganzoo.examples import TranslationExamples
        from ganzoo.images import save_grid

        dataset = self.examples_dataset
        if dataset is None:
            recorded = self.checkpoint.dataset
            if recorded is None or not recorded.name:
                return "the checkpoint does not record its dataset, so there are no test inputs to show"
            name, options = recorded.name, recorded.options or {}
            try:
                try:
                    dataset = build_dataset(name, "test", **options)
                except UsageError:  # a dataset without a test split
                    dataset = build_dataset(name, recorded.split or "train", **options)
            except GanzooError as exc:
                return f"its dataset '{name}' could not be read when this folder was written ({exc})"
        examples = TranslationExamples.from_dataset(self.model, dataset, 8 * len(self.directions))
        save_grid(examples.tiles(self.model), path, nrow=examples.nrow)
        return None

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
        config: dict[str, Any] | None = None,
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
        return build_card(self.config, name=self.name, load_as=getattr(self, "load_as", None),
                          samples_note=self._samples_note)


def load_pretrained(
    name: str | ModelName,
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
    if isinstance(device, str):  # a bad --device fails before anything is downloaded or built
        from ganzoo.devices import select_device

        device = select_device(device)
    resolved: Resolved = resolve(name, offline=offline, token=token, force_download=force_download)
    model, config = load_checkpoint(resolved.folder)
    pretrained = PretrainedGAN(config, model)
    pretrained.source = resolved.source
    pretrained.name = resolved.zoo.name if resolved.zoo else (name.text if isinstance(name, ModelName) else name)
    pretrained.folder = resolved.folder  # type: ignore[attr-defined]
    if device is not None:
        pretrained.to(device)
    return pretrained
