"""What the web demo does, without the web: load the models once, then sample, walk, translate, restyle.

Every function here takes and returns plain values (ints, strings, Pillow images, file paths),
so the Gradio app (:mod:`ganzoo.demo.app`) only lays out widgets and wires them to these
methods, and the tests can call them without a browser. Mistakes a visitor can make (a
non-image upload, a 20,000-pixel photo, a class the model does not know) are
:class:`~ganzoo.errors.UsageError`; the app shows their one line and goes on serving.

    >>> demo = DemoService(["dcgan-fashion", "cgan-fashion"])           # doctest: +SKIP
    >>> demo.sample("cgan-fashion", seed=1, count=16, class_name="Sneaker").size
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.errors import GanzooError, UsageError

if TYPE_CHECKING:
    from PIL import Image

#: Each image of the page is drawn this many times larger than the model's pixels (nearest
#: neighbour), so that a 28x28 garment can be seen; the tests divide it back out.
DISPLAY_SCALE = 4
#: The most images one sampling request may ask for, and the most frames of one walk.
MAX_COUNT = 64
MAX_WALK_STEPS = 64
#: Uploads larger than this are refused with a message (the app also caps the upload's bytes).
MAX_UPLOAD_SIDE = 4096
MAX_UPLOAD_PIXELS = 16_000_000
#: Style transfer in the demo: output size and step bounds (a CPU does about 5 steps/s at 256 px).
STYLE_SIZE = 256
MAX_STYLE_STEPS = 300
TASKS_THAT_SAMPLE = ("unconditional", "class-conditional")


@dataclass
class DemoModel:
    """A loaded model and the facts the page shows beside it."""

    name: str
    task: str
    pretrained: Any
    classes: list[str] = field(default_factory=list)
    directions: tuple[str, ...] = ()
    direction_labels: dict[str, str] = field(default_factory=dict)
    facts: str = ""

    @property
    def truncatable(self) -> bool:
        return getattr(self.pretrained.model, "latent_distribution", None) == "normal"


def zoo_names() -> list[str]:
    """Every sampling and image-to-image model of the zoo, in registry order."""
    from ganzoo.plugins import get_registry

    return [spec.name for spec in get_registry("pretrained")
            if spec.metadata.get("task") in (*TASKS_THAT_SAMPLE, "image-to-image")]


class DemoService:
    """The models of one demo, loaded at start, and what the page can ask of them.

    ``names`` are anything ``ganzoo pretrained`` takes (zoo names, checkpoint folders,
    ``hf:owner/repo``); default: the whole zoo. Requests run one at a time per model (a lock
    each), since a model's modules are not safe to share between threads mid-forward.
    """

    def __init__(self, names: Sequence[str] | None = None, *, device: str | None = None, offline: bool = False,
                 style: bool = True, work_dir: str | os.PathLike[str] | None = None,
                 titles: Sequence[str] | None = None) -> None:
        from ganzoo.hub.pretrained import load_pretrained

        self.models: dict[str, DemoModel] = {}
        chosen = list(names) if names else zoo_names()
        if titles is not None and len(titles) != len(chosen):
            raise UsageError(f"{len(titles)} titles for {len(chosen)} models")
        for index, name in enumerate(chosen):
            pretrained = load_pretrained(name, device=device, offline=offline)
            title = titles[index] if titles is not None else _title(name, pretrained)
            if title in self.models:
                raise UsageError(f"two models of this demo are called {title}; give each once")
            self.models[title] = _describe(title, pretrained)
        self.style = style
        self._locks = {name: threading.Lock() for name in [*self.models, "neural-style"]}
        self._style_model: Any = None
        self._style_note = ""
        self._own_dir = work_dir is None
        self.work_dir = Path(work_dir) if work_dir is not None else Path(tempfile.mkdtemp(prefix="ganzoo-demo-"))
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._counter = 0

    def close(self) -> None:
        """Remove the walk animations written for the page (when the service made their folder)."""
        if self._own_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    # -- what the page lists ----------------------------------------------------------------------
    def names(self, *tasks: str) -> list[str]:
        return [m.name for m in self.models.values() if not tasks or m.task in tasks]

    def model(self, name: str) -> DemoModel:
        if name not in self.models:
            raise UsageError(f"no model {name!r} in this demo; choose one of {', '.join(self.models) or 'none'}")
        return self.models[name]

    # -- sampling -------------------------------------------------------------------------------
    def sample(self, name: str, *, seed: int = 0, count: int = 16, class_name: str | None = None,
               truncation: float | None = None) -> "Image.Image":
        """A grid of ``count`` new images (all of ``class_name``, or every class in turn), scaled for display."""
        import torch

        from ganzoo.images import grid_image

        entry = self._sampler(name)
        count = _bounded(count, 1, MAX_COUNT, "the number of images")
        labels = None
        if entry.pretrained.model.num_classes:
            if class_name and class_name != ANY_CLASS:
                labels = entry.pretrained.labels_for([class_name]).repeat(count)
            else:
                labels = torch.arange(count) % entry.pretrained.model.num_classes
        truncation = self._truncation(entry, truncation)
        with self._locks[name]:
            images = entry.pretrained.sample(count, seed=_seed(seed), labels=labels, truncation=truncation)
        return _enlarge(grid_image(images))  # rows of ganzoo.images.grid_columns(count)

    def walk(self, name: str, *, seed_from: int = 0, seed_to: int = 1, steps: int = 24, mode: str = "slerp",
             rows: int = 4, class_name: str | None = None, truncation: float | None = None) -> Path:
        """An animated GIF walking from seed ``seed_from`` to ``seed_to`` and back, ``rows`` paths side by side."""
        from ganzoo.animation import write_walk
        from ganzoo.latents import walk

        entry = self._sampler(name)
        steps = _bounded(steps, 2, MAX_WALK_STEPS, "the steps")
        rows = _bounded(rows, 1, 8, "the paths")
        labels = None
        if entry.pretrained.model.num_classes and class_name and class_name != ANY_CLASS:
            labels = entry.pretrained.labels_for([class_name]).repeat(rows)
        truncation = self._truncation(entry, truncation)
        with self._locks[name]:
            frames = walk(entry.pretrained.model, seeds=(_seed(seed_from), _seed(seed_to)), steps=steps, rows=rows,
                          mode=mode, loop=True, labels=labels, truncation=truncation)
        self._counter += 1
        return write_walk(frames, self.work_dir / f"walk-{self._counter:05d}.gif", fps=12, scale=DISPLAY_SCALE)

    # -- image to image -------------------------------------------------------------------------
    def translate(self, name: str, image: "str | os.PathLike[str] | Image.Image | None",
                  direction: str | None = None) -> "Image.Image":
        """The uploaded (or drawn) ``image`` translated by ``name``, at the model's resolution, scaled for display."""
        from ganzoo.images import image_to_tensor, tensor_to_image
        from ganzoo.translation import check_direction

        entry = self.model(name)
        if entry.task != "image-to-image":
            raise UsageError(f"{name} makes images from noise; pick an image-to-image model to translate with")
        direction = check_direction(entry.pretrained.model, direction_key(entry, direction))
        channels, height, width = entry.pretrained.model.input_shape_for(direction)
        picture = load_upload(image, channels=channels)
        inputs = image_to_tensor(_fit(picture, (width, height)))
        with self._locks[name]:
            out = entry.pretrained.translate(inputs[None], direction)[0]
        return _enlarge(tensor_to_image(out))

    # -- neural style ---------------------------------------------------------------------------
    def style_note(self) -> str:
        """What the page says about the VGG19 weights (known once the network is built)."""
        self._style()
        return self._style_note

    def stylise(self, content: Any, style: Any, *, steps: int = 60,
                progress: Callable[[int, int], None] | None = None) -> "Image.Image":
        """``content`` repainted in the manner of ``style`` (at most :data:`STYLE_SIZE` pixels a side)."""
        from ganzoo.images import tensor_to_image

        if not self.style:
            raise UsageError("style transfer is off in this demo")
        steps = _bounded(steps, 1, MAX_STYLE_STEPS, "the steps")
        content_image, style_image = load_upload(content, channels=3), load_upload(style, channels=3)
        model = self._style()

        def callback(step: int, _logs: dict[str, float], _image: Any) -> None:
            if progress is not None:
                progress(step, steps)

        with self._locks["neural-style"]:
            out = model.transfer(content_image, style_image, size=min(STYLE_SIZE, max(content_image.size)),
                                 steps=steps, optimizer="adam", callback=callback)
        return tensor_to_image(out)

    # -- helpers --------------------------------------------------------------------------------
    def _sampler(self, name: str) -> DemoModel:
        entry = self.model(name)
        if entry.task not in TASKS_THAT_SAMPLE:
            raise UsageError(f"{name} is {entry.task}: it needs an input image; use the image-to-image tab")
        return entry

    @staticmethod
    def _truncation(entry: DemoModel, truncation: float | None) -> float | None:
        if truncation is None or truncation <= 0:  # the slider's 0 means "off"
            return None
        if not entry.truncatable:
            raise UsageError(f"{entry.name} has no Gaussian latents to truncate; set truncation to 0 (off)")
        return float(truncation)

    def _style(self) -> Any:
        if self._style_model is None:
            from ganzoo.models import build_model

            try:
                self._style_model = build_model("neural-style", weights="imagenet", download=False)
                self._style_note = f"VGG19 with ImageNet weights ({self._style_model.weights_source})."
            except GanzooError as exc:
                self._style_model = build_model("neural-style", weights="random")
                self._style_note = ("Running with RANDOM VGG19 weights, because the ImageNet weights are absent: "
                                    f"expect textures, not paintings. {exc}")
        return self._style_model


ANY_CLASS = "every class"


def direction_key(entry: DemoModel, direction: str | None) -> str | None:
    """A direction from its key (``a2b``) or the label the page shows (``a2b (Sneaker -> Ankle boot)``)."""
    if direction is None:
        return None
    for key, label in entry.direction_labels.items():
        if direction in (key, label):
            return key
    return direction


def load_upload(image: Any, *, channels: int) -> "Image.Image":
    """An uploaded image (a path, or a Pillow image from a sketch pad) as "L" or "RGB", size-checked."""
    from PIL import Image

    from ganzoo.images import _in_channels, open_image

    if image is None:
        raise UsageError("no image yet: upload one (PNG, JPEG, WebP ...) or draw one")
    if isinstance(image, dict):  # a sketch pad's value: its layers flattened into "composite"
        image = image.get("composite")
        if image is None:
            raise UsageError("the sketch pad is empty: draw something first")
    if isinstance(image, Image.Image):
        picture = image
    else:
        path = Path(os.fspath(image))
        _check_size(_header_size(path), path.name)  # from the header, before any pixel is decoded
        try:
            picture = open_image(path, channels=channels)
        except UsageError as exc:  # named by the file's own name: the server's folders are not the visitor's
            raise UsageError(str(exc).replace(str(path), path.name)) from None
    _check_size(picture.size, "the image")
    if picture.mode == "RGBA":  # a drawing: transparent strokes on nothing, seen on white
        background = Image.new("RGBA", picture.size, "white")
        picture = Image.alpha_composite(background, picture)
    return _in_channels(picture, channels)


def _header_size(path: Path) -> tuple[int, int]:
    """The size an upload's header declares; Pillow's own size limit is off, so that :func:`_check_size`
    names the demo's limit instead of calling a 30000x30000 image "not an image"."""
    from PIL import Image, UnidentifiedImageError

    from ganzoo.images import _pillow_limit

    try:
        with _pillow_limit(), Image.open(path) as opened:
            return opened.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombWarning):
        raise UsageError(f"{path.name} is not an image this demo can read; upload a PNG, JPEG, WebP, BMP or "
                         "GIF") from None


def _check_size(size: tuple[int, int], what: str) -> None:
    width, height = size
    if width > MAX_UPLOAD_SIDE or height > MAX_UPLOAD_SIDE or width * height > MAX_UPLOAD_PIXELS:
        raise UsageError(f"{what} is {width}x{height} pixels; this demo takes images up to {MAX_UPLOAD_SIDE} "
                         f"pixels a side and {MAX_UPLOAD_PIXELS // 1_000_000} Mpx: shrink it first")


def _fit(picture: "Image.Image", size: tuple[int, int]) -> "Image.Image":
    """Centre-crop to the model's aspect ratio, then resize (antialiased) to its input size."""
    from PIL import ImageOps

    return ImageOps.fit(picture, size)


def _enlarge(picture: "Image.Image") -> "Image.Image":
    from PIL import Image

    return picture.resize((picture.width * DISPLAY_SCALE, picture.height * DISPLAY_SCALE), Image.Resampling.NEAREST)


def _bounded(value: Any, low: int, high: int, what: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise UsageError(f"{what} must be a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise UsageError(f"{what} must be between {low} and {high}, got {number}")
    return number


def _seed(value: Any) -> int:
    return _bounded(value if value is not None else 0, 0, 2**31 - 1, "the seed")


def _title(name: str, pretrained: Any) -> str:
    """How the page calls a model: its zoo or Hub name, or a checkpoint folder's own name."""
    given = str(pretrained.name or name)
    if Path(given).exists():
        return Path(given).resolve().name
    return given


def _describe(name: str, pretrained: Any) -> DemoModel:
    """The page's facts about one model, from its card: task, data, metrics, size."""
    from ganzoo.translation import describe_direction

    checkpoint = pretrained.checkpoint
    task = pretrained.task
    folder = getattr(pretrained, "folder", None)
    size = sum(p.stat().st_size for p in Path(folder).iterdir() if p.is_file()) if folder else 0
    lines = [f"**{name}**: {checkpoint.architecture.name} ({task})"]
    if checkpoint.dataset_name:
        lines.append(f"- trained on {checkpoint.dataset_name}"
                     + (f", {checkpoint.training.get('steps')} steps" if checkpoint.training.get("steps") else ""))
    for metric in (checkpoint.metrics or [])[:6]:
        value = metric.get("value")
        lines.append(f"- {metric.get('name')}: {value:.3g}" if isinstance(value, float) else
                     f"- {metric.get('name')}: {value}")
    if size:
        lines.append(f"- {size / 2**20:.1f} MB on disk")
    directions: tuple[str, ...] = ()
    labels: dict[str, str] = {}
    if task == "image-to-image":
        directions = tuple(pretrained.directions)
        labels = {d: describe_direction(d, pretrained.domains) for d in directions}
    return DemoModel(name=name, task=task, pretrained=pretrained, classes=list(pretrained.classes or []),
                     directions=directions, direction_labels=labels, facts="\n".join(lines))
