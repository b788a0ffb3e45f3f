"""Helpers of the demo tests: the models served, and reading the page's grids back at the models' pixels."""

from __future__ import annotations

import socket
import struct
import zlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganzoo.demo.service import DISPLAY_SCALE
from ganzoo.images import grid_columns

SNEAKER, TROUSER, ANKLE_BOOT = 7, 1, 9
#: The models every demo test serves: one of each kind the page has a tab for.
DEMO_MODELS = ["dcgan-fashion", "cgan-fashion", "cyclegan-sneaker2boot", "pix2pix-edges2fashion"]


def tiles(grid: Image.Image, count: int, size: int = 28, padding: int = 2) -> torch.Tensor:
    """The ``count`` images of a sample grid the page shows (enlarged, padded), as ``[N, 1, 28, 28]`` in [-1, 1]."""
    pixels = np.asarray(grid.convert("L"), dtype=np.float32)[::DISPLAY_SCALE, ::DISPLAY_SCALE]
    columns, step = grid_columns(count), size + padding
    out = [pixels[padding + (i // columns) * step:][:size, padding + (i % columns) * step:][:, :size]
           for i in range(count)]
    return torch.from_numpy(np.stack(out))[:, None] / 127.5 - 1


def shrink(image: Image.Image) -> torch.Tensor:
    """A translated image the page shows, back at the model's 28x28, ``[1, 1, 28, 28]`` in [-1, 1]."""
    pixels = np.asarray(image.convert("L"), dtype=np.float32)[::DISPLAY_SCALE, ::DISPLAY_SCALE]
    return torch.from_numpy(pixels.copy())[None, None] / 127.5 - 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def png_header(path: Path, width: int, height: int) -> Path:
    """A PNG that declares ``width`` x ``height`` grey pixels and holds almost none: what a
    decompression bomb looks like to a reader of headers, in a few bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path
