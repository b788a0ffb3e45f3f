"""Images on disk: sample grids, single images and progress GIFs, every file written atomically.

Images come in as float tensors in [-1, 1] (what ``model.sample`` returns), ``[N, C, H, W]``
with 1 or 3 channels. Grids record the training step in a PNG text chunk, so a progress GIF can
put frames in training order whatever their file names.

    >>> images = model.sample(64, generator=torch.Generator().manual_seed(0))   # doctest: +SKIP
    >>> save_grid(images, "grid.png", nrow=8)                                    # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.errors import UsageError
from ganzoo.io import atomic_path

if TYPE_CHECKING:
    import numpy as np
    import torch
    from PIL import Image

    from ganzoo.models import GAN

STEP_KEY = "ganzoo:step"


def to_uint8(images: "torch.Tensor") -> "torch.Tensor":
    """[-1, 1] floats to uint8 [0, 255], on the CPU."""
    import torch

    return ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def _uint8_nhwc(images: "torch.Tensor | np.ndarray") -> "np.ndarray":
    """``[N, C, H, W]`` floats in [-1, 1] (a tensor, or a numpy array) as uint8 ``[N, H, W, C]`` pixels.

    numpy arrays (what ONNX Runtime returns) are converted without importing torch, with the same
    float32 arithmetic and round-half-to-even as :func:`to_uint8`, so equal floats give equal PNGs.
    """
    import numpy as np

    if isinstance(images, np.ndarray):
        scaled = (np.clip(images.astype(np.float32, copy=False), -1, 1) + np.float32(1)) * np.float32(127.5)
        pixels: np.ndarray = np.round(scaled).astype(np.uint8).transpose(0, 2, 3, 1)
        return pixels
    converted: np.ndarray = to_uint8(images).permute(0, 2, 3, 1).numpy()
    return converted


#: The most pixels a sample grid may have (a 100000-image grid of 28x28 tiles is 90 Mpx); more is --save-dir's job.
MAX_GRID_PIXELS = 256 * 1024 * 1024


def grid_columns(count: int) -> int:
    """Images per row of a grid of ``count`` when none is asked for: as square as possible."""
    return max(1, math.ceil(math.sqrt(count)))


class _Grid:
    """A grid's canvas, allocated once at its final size (uint8), filled batch by batch.

    Sampling streams into it, so a large grid costs its own pixels and no float copy of them.
    """

    def __init__(self, count: int, channels: int, height: int, width: int, *, nrow: int | None = None,
                 padding: int = 2) -> None:
        from PIL import Image

        if channels not in (1, 3):
            raise UsageError(f"expected images [N, 1 or 3, H, W], got {[count, channels, height, width]}")
        self.nrow = min(count, nrow or grid_columns(count))
        rows = math.ceil(count / self.nrow)
        size = (self.nrow * (width + padding) + padding, rows * (height + padding) + padding)
        if size[0] * size[1] > MAX_GRID_PIXELS:
            raise UsageError(f"a grid of {count} images would be {size[0]}x{size[1]} pixels, more than the "
                             f"{MAX_GRID_PIXELS // 2**20} Mpx a grid may have; write one file per image with "
                             f"--save-dir (and no -o), or ask for fewer images")
        self.mode = "L" if channels == 1 else "RGB"
        self.tile = (height, width, padding)
        self.image = Image.new(self.mode, size)

    def paste(self, images: "torch.Tensor | np.ndarray", start: int) -> None:
        """Put ``images`` ([-1, 1] floats) at positions ``start``, ``start + 1`` ..."""
        from PIL import Image

        height, width, padding = self.tile
        pixels = _uint8_nhwc(images)
        for offset in range(pixels.shape[0]):
            tile = Image.fromarray(pixels[offset, :, :, 0] if self.mode == "L" else pixels[offset], self.mode)
            row, col = divmod(start + offset, self.nrow)
            self.image.paste(tile, (padding + col * (width + padding), padding + row * (height + padding)))


def grid_image(images: "torch.Tensor", *, nrow: int | None = None, padding: int = 2) -> "Image.Image":
    """One PIL image of ``images`` in rows of ``nrow`` (default: as square as possible).

    Tiles are pasted with Pillow rather than ``torchvision.utils.make_grid``: importing
    torchvision costs about a second, a third of the budget of ``ganzoo pretrained ... sample``.
    """
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise UsageError(f"expected images [N, 1 or 3, H, W], got {list(images.shape)}")
    grid = _Grid(*images.shape, nrow=nrow, padding=padding)
    grid.paste(images, 0)
    return grid.image


def _save_png(image: "Image.Image", path: str | os.PathLike[str], step: int | None = None) -> Path:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    if step is not None:
        info.add_text(STEP_KEY, str(step))
    target = Path(path)
    with atomic_path(target) as tmp:
        image.save(tmp, format="PNG", pnginfo=info)
    return target


def save_grid(images: "torch.Tensor", path: str | os.PathLike[str], *, nrow: int | None = None,
              padding: int = 2, step: int | None = None) -> Path:
    """Write ``images`` as one grid, atomically: PNG (``step`` recorded in it) unless the suffix names another
    format."""
    return _save_grid_image(grid_image(images, nrow=nrow, padding=padding), path, step)


def _save_grid_image(image: "Image.Image", path: str | os.PathLike[str], step: int | None = None) -> Path:
    """A grid as PNG (with its step) or, for the suffix of another format Pillow writes, in that format."""
    from PIL import Image

    target = Path(path)
    if target.suffix.lower() == ".png":  # no Image.init(): it imports every format plugin
        return _save_png(image, target, step)
    Image.init()
    fmt = Image.registered_extensions().get(target.suffix.lower())
    if fmt not in Image.SAVE or fmt == "PNG":
        return _save_png(image, target, step)
    with atomic_path(target) as tmp:
        image.save(tmp, format=fmt)
    return target


def save_images(images: "torch.Tensor | np.ndarray", directory: str | os.PathLike[str], *, prefix: str = "sample",
                start: int = 0, total: int | None = None) -> list[Path]:
    """Write one PNG per image (``sample_0000.png`` ...), atomically; returns the paths.

    ``total`` (the size of the whole set, when written batch by batch) fixes the number of
    digits, so every batch's names sort together.
    """
    from PIL import Image

    pixels = _uint8_nhwc(images)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str((total if total is not None else start + len(pixels)) - 1)))
    paths = []
    for offset, image in enumerate(pixels):
        array = image[:, :, 0] if image.shape[2] == 1 else image
        pil = Image.fromarray(array.copy())  # uint8 HxW -> "L", HxWx3 -> "RGB"
        paths.append(_save_png(pil, directory / f"{prefix}_{start + offset:0{width}d}.png"))
    return paths


def png_step(path: str | os.PathLike[str]) -> int | None:
    """The training step stored in a grid written by :func:`save_grid`, if any."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            value = getattr(image, "text", {}).get(STEP_KEY)
    except OSError:
        return None
    return int(value) if value and value.isdigit() else None


def make_gif(frames: Sequence[str | os.PathLike[str]], path: str | os.PathLike[str], *,
             duration_ms: int = 250, max_frames: int = 200) -> Path | None:
    """Animate PNG ``frames`` (in the given order) into a looping GIF; ``None`` if no frames.

    More than ``max_frames`` frames are thinned evenly, keeping the first and the last.
    """
    from PIL import Image

    frames = list(frames)
    if not frames:
        return None
    if len(frames) > max_frames:
        picks = sorted({round(i * (len(frames) - 1) / (max_frames - 1)) for i in range(max_frames)})
        frames = [frames[i] for i in picks]
    images = []
    for frame in frames:
        with Image.open(frame) as image:
            images.append(image.convert("RGB").quantize(colors=256) if image.mode == "RGB" else image.convert("L"))
    target = Path(path)
    with atomic_path(target) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=duration_ms,
                       loop=0, optimize=False)
    return target


def sample_to_files(model: "GAN", n: int = 64, *, seed: int | None = 0,
                    out: str | os.PathLike[str] | None = None, save_dir: str | os.PathLike[str] | None = None,
                    nrow: int | None = None, labels: "torch.Tensor | Sequence[int] | None" = None,
                    batch_size: int = 256, return_images: bool = True,
                    truncation: float | None = None,
                    latents: "torch.Tensor | np.ndarray | None" = None) -> "torch.Tensor | None":
    """Sample ``n`` images with a seeded generator; write a grid to ``out`` and/or PNGs to ``save_dir``.

    ``labels`` (class-conditional models) are cycled to ``n``. The images are made ``batch_size``
    at a time and each batch goes straight into the grid's uint8 canvas and ``save_dir``, so with
    ``return_images=False`` memory does not grow with ``n`` beyond the latents (``n x
    latent_dim`` floats) and the grid's own pixels. Returns the images in [-1, 1] otherwise.
    ``seed=None`` draws from torch's global generator; ``truncation=T`` keeps latents in ``[-T, T]``.
    ``latents`` (``[n, latent_dim]``, e.g. from :func:`ganzoo.noise.draw_inputs`) replace the
    drawn ones (``seed`` and ``truncation`` then only matter for labels).

    >>> sample_to_files(model, 16, seed=1, out="grid.png")   # doctest: +SKIP
    """
    import torch

    if n < 1:
        raise UsageError(f"the number of samples must be at least 1, got {n}")
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    label_tensor = None
    if labels is not None:
        label_tensor = torch.as_tensor(list(labels) if not isinstance(labels, torch.Tensor) else labels,
                                       dtype=torch.long).reshape(-1)
        if label_tensor.numel() == 0:
            raise UsageError("labels must not be empty")
        label_tensor = label_tensor.repeat(math.ceil(n / label_tensor.numel()))[:n]
    shape = tuple(getattr(model, "image_shape", None) or ())
    grid = _Grid(n, *shape, nrow=nrow) if out is not None and len(shape) == 3 and all(shape) else None
    # All noise (and labels) first, in the order model.sample(n) draws them: the images depend
    # neither on batch_size nor on streaming.
    if latents is not None:
        z = torch.as_tensor(latents, dtype=torch.float32)
        if z.shape[0] != n:
            raise UsageError(f"expected {n} latents, got {z.shape[0]}")
    elif truncation is None:
        z = model.sample_latent(n, generator=generator, device="cpu")
    else:
        z = model.sample_latent(n, generator=generator, device="cpu", truncation=truncation)
    num_classes: int = getattr(model, "num_classes", 0)
    if label_tensor is None and num_classes:
        label_tensor = torch.randint(0, num_classes, (n,), generator=generator)

    def batches() -> "Iterator[tuple[int, torch.Tensor]]":
        for start in range(0, n, batch_size):
            chunk_labels = None if label_tensor is None else label_tensor[start:start + batch_size]
            yield start, model.sample(z=z[start:start + batch_size], labels=chunk_labels).float().cpu()

    chunks = _write_batches(batches(), n, out=out, save_dir=save_dir, nrow=nrow, grid=grid, keep=return_images)
    return torch.cat(chunks) if return_images else None


def generated_to_files(generate: "Callable[[np.ndarray, np.ndarray | None], np.ndarray]", z: "np.ndarray",
                       labels: "np.ndarray | None" = None, *, out: str | os.PathLike[str] | None = None,
                       save_dir: str | os.PathLike[str] | None = None, nrow: int | None = None,
                       batch_size: int = 256) -> None:
    """:func:`sample_to_files` for a generator that is not a torch module (ONNX Runtime): numpy in, numpy out.

    ``generate(z, labels)`` turns a batch of latents (and labels) into images ``[N, C, H, W]``
    in [-1, 1]. Grids and files are laid out and converted exactly as :func:`sample_to_files`
    does, and torch is never imported.
    """
    n = int(z.shape[0])
    batches = ((start, generate(z[start:start + batch_size],
                                None if labels is None else labels[start:start + batch_size]))
               for start in range(0, n, batch_size))
    _write_batches(batches, n, out=out, save_dir=save_dir, nrow=nrow, grid=None, keep=False)


def _write_batches(batches: "Iterable[tuple[int, Any]]", n: int, *, out: str | os.PathLike[str] | None,
                   save_dir: str | os.PathLike[str] | None, nrow: int | None, grid: _Grid | None,
                   keep: bool) -> list[Any]:
    """Stream ``(start, images)`` batches into the grid's canvas and ``save_dir``; write the grid at the end.

    The one writer behind both sampling paths (torch and ONNX Runtime), so they lay out and convert
    pixels alike. Returns the batches when ``keep``, else nothing is held.
    """
    kept = []
    for start, images in batches:
        if out is not None:
            if grid is None:
                grid = _Grid(n, *images.shape[1:], nrow=nrow)
            grid.paste(images, start)
        if save_dir is not None:
            save_images(images, save_dir, start=start, total=n)
        if keep:
            kept.append(images)
        del images
    if grid is not None and out is not None:
        from ganzoo.outputs import writing

        with writing(out):
            _save_grid_image(grid.image, out)
    return kept


#: Images with more pixels than this (about 14000x14000) are refused from their header, before
#: they are decoded: decoded as RGB such an image is 600 MB, as a float tensor 2.4 GB. It replaces
#: Pillow's own decompression-bomb limit, whose warning ganzoo never prints. Raise or lift it with
#: the environment variable ``GANZOO_MAX_IMAGE_PIXELS`` (``0`` = no limit), or set this from Python.
MAX_IMAGE_PIXELS = 200_000_000
MAX_PIXELS_ENV = "GANZOO_MAX_IMAGE_PIXELS"
#: An image may be at most this many times wider than high, or higher than wide. Commands resize
#: keeping the aspect ratio, so a 1x150,000,000 strip (150 Mpx, 291 KB) would grow to hundreds of
#: gigabytes at any working size, or shrink to 0 pixels a side. Lifted with the pixel limit (``0``).
MAX_ASPECT_RATIO = 64
_PILLOW_LIMIT_LOCK = threading.Lock()


def max_image_pixels() -> int | None:
    """The pixel limit in force: ``GANZOO_MAX_IMAGE_PIXELS`` if set, else :data:`MAX_IMAGE_PIXELS`; ``None`` = none."""
    text = os.environ.get(MAX_PIXELS_ENV, "").strip().replace("_", "").replace(",", "")
    if not text:
        return MAX_IMAGE_PIXELS or None
    if not text.isdigit():
        raise UsageError(f"{MAX_PIXELS_ENV}={os.environ[MAX_PIXELS_ENV]!r} is not a whole number; set it to a pixel "
                         f"count such as 200000000, or 0 for no limit")
    return int(text) or None


def _too_large_message(path: Path, size: tuple[int, int] | None, limit: int, detail: str = "") -> str:
    pixels = size[0] * size[1] if size else 0
    what = f"is {size[0]}x{size[1]} = {pixels:,} pixels" if size else f"holds a frame larger than it says ({detail})"
    raise_to = f"{MAX_PIXELS_ENV}={pixels or 2 * limit}"
    return (f"{path} {what}, more than the limit of {limit:,} pixels; use a smaller image, or raise the limit "
            f"with the environment variable {raise_to} (0 for no limit)")


def check_aspect_ratio(path: str | os.PathLike[str], size: tuple[int, int]) -> None:
    """Refuse an image far longer than wide (:data:`MAX_ASPECT_RATIO`), from its header size."""
    width, height = size
    if min(width, height) < 1 or max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        ratio = max(width, height) / max(1, min(width, height))
        raise UsageError(f"{path} is {width}x{height} pixels, {ratio:,.0f} times longer one way than the other, "
                         f"more than the {MAX_ASPECT_RATIO}:1 an image may have; crop it, or lift the image "
                         f"limits with the environment variable {MAX_PIXELS_ENV}=0")


@contextlib.contextmanager
def _pillow_limit() -> Iterator[None]:
    """Pillow's own decompression-bomb limit off (ganzoo checks the size itself, to name it in its
    message) and its warning turned into an error, so it is never printed; restored afterwards."""
    from PIL import Image

    with _PILLOW_LIMIT_LOCK, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def open_image(path: str | os.PathLike[str], *, channels: int | None = 3) -> "Image.Image":
    """An image file as a Pillow image with ``channels`` (1 = "L", 3 = "RGB"), upright.

    Any format Pillow reads; the EXIF orientation of phone photos is applied, and transparency
    is composited onto white (what viewers show) rather than kept as a fourth channel. A missing
    file, one that is not an image, or one larger than :func:`max_image_pixels` (checked from its
    header, before decoding) is a one-line :class:`UsageError`. ``channels=None`` keeps the mode
    the file decodes to, for readers that convert it their own way (the image-folder data set).

    >>> open_image("photo.jpg", channels=1).mode   # doctest: +SKIP
    'L'
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if channels not in (1, 3, None):
        raise UsageError(f"images have 1 or 3 channels, not {channels}")
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such image file")
    limit = max_image_pixels()
    try:
        with _pillow_limit(), Image.open(path) as opened:
            if limit is not None and opened.size[0] * opened.size[1] > limit:
                raise UsageError(_too_large_message(path, opened.size, limit))
            if limit is not None:
                check_aspect_ratio(path, opened.size)
            Image.MAX_IMAGE_PIXELS = limit  # frames and tiles decoded below are held to it too
            opened.load()
            upright = ImageOps.exif_transpose(opened) if opened.getexif().get(_ORIENTATION, 1) != 1 else opened
            if channels is None:
                return upright.copy() if upright is opened else upright  # outlives ``opened``
            return _in_channels(upright, channels)  # a new image: closing ``opened`` frees its pixels
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UsageError(_too_large_message(path, None, limit or 0, str(exc))) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        reason = "not an image Pillow can read" if isinstance(exc, UnidentifiedImageError) else str(exc)
        raise UsageError(f"{path}: {reason}; give a PNG, JPEG, WebP, BMP, GIF or TIFF image") from None


_ORIENTATION = 0x0112  # the EXIF tag


def _in_channels(image: "Image.Image", channels: int) -> "Image.Image":
    """``image`` as "L" or "RGB" (always a new image), transparency composited onto white."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return image.convert("L" if channels == 1 else "RGB")


def image_to_tensor(image: "Image.Image") -> "torch.Tensor":
    """A Pillow "L" or "RGB" image as a float tensor ``[C, H, W]`` in [-1, 1]."""
    import numpy as np
    import torch

    array = np.asarray(image, dtype=np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    return torch.from_numpy(array.copy()).permute(2, 0, 1).float().div(127.5).sub(1.0)


def tensor_to_image(image: "torch.Tensor") -> "Image.Image":
    """One image ``[C, H, W]`` in [-1, 1] (C = 1 or 3) as a Pillow image."""
    from PIL import Image

    if image.dim() != 3 or image.shape[0] not in (1, 3):
        raise UsageError(f"expected one image [1 or 3, H, W], got {list(image.shape)}")
    pixels = to_uint8(image).permute(1, 2, 0).numpy()
    return Image.fromarray(pixels[:, :, 0], "L") if image.shape[0] == 1 else Image.fromarray(pixels, "RGB")


def read_image(path: str | os.PathLike[str], *, channels: int = 3) -> "torch.Tensor":
    """An image file as ``[C, H, W]`` in [-1, 1] (see :func:`open_image`)."""
    return image_to_tensor(open_image(path, channels=channels))


def write_image(image: "torch.Tensor", path: str | os.PathLike[str]) -> Path:
    """Write one image ``[C, H, W]`` in [-1, 1] atomically; the format follows the suffix."""
    from ganzoo.outputs import image_format

    target = Path(path)
    fmt = image_format(target)  # an unknown or read-only format fails before any work
    picture = tensor_to_image(image)
    try:
        with atomic_path(target) as tmp:
            picture.save(tmp, format=fmt)
    except (KeyError, ValueError) as exc:
        raise UsageError(f"cannot write {target}: {exc}; use .png, .jpg or .webp") from None
    return target


def _format_for(path: Path) -> str:
    from PIL import Image

    Image.init()
    fmt = Image.EXTENSION.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(f"cannot tell the image format of {path}; end the name with .png, .jpg or .webp")
    return fmt
