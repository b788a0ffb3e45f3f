"""Images on disk: sample grids, single images and progress GIFs, every file written atomically.

Images come in as float tensors in [-1, 1] (what ``model.sample`` returns), ``[N, C, H, W]``
with 1 or 3 channels. Grids record the training step in a PNG text chunk, so a progress GIF can
put frames in training order whatever their file names.

    >>> images = model.sample(64, generator=torch.Generator().manual_seed(0))   # doctest: +SKIP
    >>> save_grid(images, "grid.png", nrow=8)                                    # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from ganzoo.errors import UsageError
from ganzoo.io import atomic_path

if TYPE_CHECKING:
    import torch
    from PIL import Image

STEP_KEY = "ganzoo:step"


def to_uint8(images: "torch.Tensor") -> "torch.Tensor":
    """[-1, 1] floats to uint8 [0, 255], on the CPU."""
    import torch

    return ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def grid_image(images: "torch.Tensor", *, nrow: int | None = None, padding: int = 2) -> "Image.Image":
    """One PIL image of ``images`` in rows of ``nrow`` (default: as square as possible).

    Tiles are pasted with Pillow rather than ``torchvision.utils.make_grid``: importing
    torchvision costs about a second, a third of the budget of ``ganzoo pretrained ... sample``.
    """
    from PIL import Image

    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise UsageError(f"expected images [N, 1 or 3, H, W], got {list(images.shape)}")
    count, channels, height, width = images.shape
    nrow = min(count, nrow or max(1, math.ceil(math.sqrt(count))))
    rows = math.ceil(count / nrow)
    mode = "L" if channels == 1 else "RGB"
    canvas = Image.new(mode, (nrow * (width + padding) + padding, rows * (height + padding) + padding))
    pixels = to_uint8(images).permute(0, 2, 3, 1).numpy()
    for index in range(count):
        tile = Image.fromarray(pixels[index, :, :, 0] if channels == 1 else pixels[index], mode)
        row, col = divmod(index, nrow)
        canvas.paste(tile, (padding + col * (width + padding), padding + row * (height + padding)))
    return canvas


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
    """Write ``images`` as one PNG grid, atomically; ``step`` is recorded in the file."""
    return _save_png(grid_image(images, nrow=nrow, padding=padding), path, step)


def save_images(images: "torch.Tensor", directory: str | os.PathLike[str], *, prefix: str = "sample",
                start: int = 0) -> list[Path]:
    """Write one PNG per image (``sample_0000.png`` ...), atomically; returns the paths."""
    from PIL import Image

    pixels = to_uint8(images)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    width = max(4, len(str(start + len(pixels) - 1)))
    paths = []
    for offset, image in enumerate(pixels):
        array = image[0] if image.shape[0] == 1 else image.permute(1, 2, 0)
        pil = Image.fromarray(array.contiguous().numpy())  # uint8 HxW -> "L", HxWx3 -> "RGB"
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


def sample_to_files(model: "torch.nn.Module", n: int = 64, *, seed: int = 0, out: str | os.PathLike[str] | None = None,
                    save_dir: str | os.PathLike[str] | None = None, nrow: int | None = None,
                    labels: "torch.Tensor | Sequence[int] | None" = None, batch_size: int = 256) -> "torch.Tensor":
    """Sample ``n`` images with a seeded generator; write a grid to ``out`` and/or PNGs to ``save_dir``.

    ``labels`` (class-conditional models) are cycled to ``n``. Returns the images in [-1, 1].

    >>> sample_to_files(model, 16, seed=1, out="grid.png")   # doctest: +SKIP
    """
    import torch

    if n < 1:
        raise UsageError(f"the number of samples must be at least 1, got {n}")
    generator = torch.Generator().manual_seed(seed)
    label_tensor = None
    if labels is not None:
        label_tensor = torch.as_tensor(list(labels) if not isinstance(labels, torch.Tensor) else labels,
                                       dtype=torch.long).reshape(-1)
        if label_tensor.numel() == 0:
            raise UsageError("labels must not be empty")
        label_tensor = label_tensor.repeat(math.ceil(n / label_tensor.numel()))[:n]
    # All noise (and labels) first, so the images do not depend on batch_size.
    z = model.sample_latent(n, generator=generator, device="cpu")
    if label_tensor is None and getattr(model, "num_classes", 0):
        label_tensor = torch.randint(0, model.num_classes, (n,), generator=generator)
    chunks = []
    for start in range(0, n, batch_size):
        chunk_labels = None if label_tensor is None else label_tensor[start:start + batch_size]
        chunks.append(model.sample(z=z[start:start + batch_size], labels=chunk_labels).float().cpu())
    images = torch.cat(chunks)
    if out is not None:
        save_grid(images, out, nrow=nrow)
    if save_dir is not None:
        save_images(images, save_dir)
    return images


def open_image(path: str | os.PathLike[str], *, channels: int = 3) -> "Image.Image":
    """An image file as a Pillow image with ``channels`` (1 = "L", 3 = "RGB"), upright.

    Any format Pillow reads; the EXIF orientation of phone photos is applied, and transparency
    is composited onto white (what viewers show) rather than kept as a fourth channel. A missing
    file or one that is not an image is a one-line :class:`UsageError`.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if channels not in (1, 3):
        raise UsageError(f"images have 1 or 3 channels, not {channels}")
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such image file")
    try:
        with Image.open(path) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        reason = "not an image Pillow can read" if isinstance(exc, UnidentifiedImageError) else str(exc)
        raise UsageError(f"{path}: {reason}; give a PNG, JPEG, WebP, BMP, GIF or TIFF image") from None
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
    target = Path(path)
    picture = tensor_to_image(image)
    fmt = _format_for(target)
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
