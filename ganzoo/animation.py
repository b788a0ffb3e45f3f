"""A walk's frames on disk: an animated GIF, an MP4 video or a PNG strip, each written atomically.

Frames come from :func:`ganzoo.latents.walk` as ``[frames, rows, C, H, W]`` in [-1, 1]. Each
frame of an animation is one grid with a row per path (``nrow`` images per grid row, default all
paths side by side when there are few); the PNG strip lays the same frames out as a table, one
row per path and one column per frame, so a walk can be read on paper.

GIF and PNG need Pillow only. MP4 goes through imageio and its ffmpeg plugin (``pip install
'ganzoo[video]'``): H.264 wants even sizes and a few pixels per tile, so frames are scaled up by
a whole factor (nearest neighbour, no blur) to at least 256 pixels high.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ganzoo.errors import UsageError
from ganzoo.io import atomic_path

if TYPE_CHECKING:
    import torch
    from PIL import Image

#: Suffix -> kind of output.
FORMATS = {".gif": "gif", ".mp4": "mp4", ".png": "strip"}
VIDEO_HINT = "writing .mp4 needs imageio with its ffmpeg plugin: pip install 'ganzoo[video]' (or write a .gif)"


def output_kind(path: "str | os.PathLike[str]") -> str:
    """``gif``, ``mp4`` or ``strip`` for ``path``'s suffix; a one-line error for any other."""
    kind = FORMATS.get(Path(path).suffix.lower())
    if kind is None:
        raise UsageError(f"cannot tell what to write to {path}: end the name with .gif (animation), .mp4 (video) "
                         "or .png (a strip of frames, one row per path)")
    if kind == "mp4":
        check_video_support()
    return kind


def check_video_support() -> None:
    """A one-line error naming the extra to install when imageio or its ffmpeg plugin is missing."""
    try:
        import imageio.v3  # noqa: F401
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        raise UsageError(VIDEO_HINT) from None


def _scaled(images: "torch.Tensor", scale: int) -> "torch.Tensor":
    """``images`` ``[N, C, H, W]`` with each pixel drawn as a ``scale`` x ``scale`` square."""
    if scale == 1:
        return images
    import torch

    return torch.nn.functional.interpolate(images, scale_factor=scale, mode="nearest")


def frame_images(frames: "torch.Tensor", *, nrow: int | None = None, scale: int = 1) -> list["Image.Image"]:
    """One PIL grid per frame of ``[frames, rows, C, H, W]``, scaled one frame at a time."""
    from ganzoo.images import grid_image

    rows = frames.shape[1]
    per_row = nrow or (rows if rows <= 8 else None)
    return [grid_image(_scaled(frame, scale), nrow=per_row) for frame in frames]


def strip_image(frames: "torch.Tensor", *, scale: int = 1) -> "Image.Image":
    """The walk as one table: row ``r`` is path ``r``, column ``t`` is frame ``t``."""
    from ganzoo.images import _Grid

    count, rows = frames.shape[:2]
    table = frames.transpose(0, 1).reshape(count * rows, *frames.shape[2:])
    channels, height, width = table.shape[1:]
    grid = _Grid(count * rows, channels, height * scale, width * scale, nrow=count)
    for start in range(0, table.shape[0], count):  # one path at a time: no float copy of the whole table
        grid.paste(_scaled(table[start:start + count], scale), start)
    return grid.image


def write_walk(frames: "torch.Tensor", path: "str | os.PathLike[str]", *, fps: float = 12.0,
               nrow: int | None = None, scale: int = 1) -> Path:
    """Write ``frames`` to ``path`` as the suffix says (:data:`FORMATS`); returns the path.

    ``scale`` draws each pixel as a ``scale`` x ``scale`` square (nearest neighbour), for
    28-pixel garments that a page would otherwise show as specks.
    """
    if not 0.5 <= fps <= 60:
        raise UsageError(f"--fps must be between 0.5 and 60, got {fps:g}")
    if not 1 <= scale <= 16:
        raise UsageError(f"--scale must be between 1 and 16, got {scale}")
    target = Path(path)
    kind = output_kind(target)
    if kind == "strip":
        from ganzoo.images import _save_png

        return _save_png(strip_image(frames, scale=scale), target)
    images = frame_images(frames, nrow=nrow, scale=scale)
    with atomic_path(target) as tmp:
        if kind == "gif":
            # GIF stores delays in hundredths of a second; loop=0 repeats forever.
            images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                           duration=max(20, round(1000 / fps / 10) * 10), loop=0, optimize=False, disposal=1)
        else:
            _write_mp4(images, Path(tmp), fps)
    return target


def _write_mp4(images: list["Image.Image"], path: Path, fps: float) -> None:
    import imageio.v3 as iio
    import numpy as np
    from PIL import Image

    width, height = images[0].size
    scale = max(1, -(-256 // height))
    even = (width * scale + (width * scale) % 2, height * scale + (height * scale) % 2)
    video = np.stack([np.asarray(image.convert("RGB").resize(even, Image.Resampling.NEAREST)) for image in images])
    iio.imwrite(path, video, extension=".mp4", plugin="FFMPEG", fps=fps, codec="libx264", macro_block_size=2,
                output_params=["-pix_fmt", "yuv420p"])
