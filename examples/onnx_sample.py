"""Sample a grid from a ganzoo generator exported to ONNX, with onnxruntime, numpy and Pillow only (no torch).

    ganzoo onnx dcgan-fashion -o dcgan-fashion.onnx          # once, where ganzoo is installed
    python examples/onnx_sample.py dcgan-fashion.onnx -o grid.png -n 64 --seed 0

The grid is laid out as ganzoo lays out its own (tiles in rows of ceil(sqrt(n)), 2 black pixels
between them), and pixels are ``round((x + 1) * 127.5)``, so for the same latents
(``--latents z.npy``) it matches ``ganzoo pretrained NAME sample`` to the pixel. Latents are
drawn as ganzoo draws them (numpy's PCG64, float32), so for an unconditional model ``--seed S``
gives the garments of ``ganzoo pretrained NAME sample --seed S``.
A class-conditional file gets labels 0, 1, 2 ... in turn (``--label 7`` for one class).
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np
import onnxruntime
from PIL import Image


def load(path: str) -> tuple[onnxruntime.InferenceSession, dict[str, str]]:
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session, dict(session.get_modelmeta().custom_metadata_map)


def generate(session: onnxruntime.InferenceSession, latents: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
    """Images in [-1, 1], ``[N, C, H, W]``, 256 at a time."""
    names = {i.name for i in session.get_inputs()}
    out = []
    for start in range(0, len(latents), 256):
        feed = {"latent": latents[start:start + 256].astype(np.float32)}
        if "label" in names:
            feed["label"] = labels[start:start + 256].astype(np.int64)
        out.append(session.run(None, feed)[0])
    return np.concatenate(out)


def grid(images: np.ndarray, padding: int = 2) -> Image.Image:
    """One picture of the images in rows of ceil(sqrt(n)), as ganzoo draws its grids."""
    count, channels, height, width = images.shape
    columns = max(1, math.ceil(math.sqrt(count)))
    rows = math.ceil(count / columns)
    pixels = np.round((np.clip(images, -1, 1) + 1) * 127.5).astype(np.uint8).transpose(0, 2, 3, 1)
    canvas = np.zeros((rows * (height + padding) + padding, columns * (width + padding) + padding, channels),
                      np.uint8)
    for index, tile in enumerate(pixels):
        row, col = divmod(index, columns)
        top, left = padding + row * (height + padding), padding + col * (width + padding)
        canvas[top:top + height, left:left + width] = tile
    return Image.fromarray(canvas[:, :, 0], "L") if channels == 1 else Image.fromarray(canvas, "RGB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="an .onnx file written by 'ganzoo onnx'")
    parser.add_argument("-o", "--output", default="grid.png")
    parser.add_argument("-n", "--num", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latents", help="a .npy file of latents [N, latent_dim] to use instead of --seed")
    parser.add_argument("--label", type=int, default=None, help="one class for every image (class-conditional)")
    args = parser.parse_args()

    session, meta = load(args.model)
    if meta.get("ganzoo.task") == "image-to-image":
        parser.error("this file translates images; feed it an 'image' input instead of sampling")
    latent_dim = int(meta["ganzoo.latent_dim"])
    if args.latents:
        latents = np.load(args.latents)
    else:
        # float32 draws of PCG64, as ganzoo.noise.draw_inputs makes them: ganzoo's own latents for this seed
        latents = np.random.Generator(np.random.PCG64(args.seed)).standard_normal((args.num, latent_dim),
                                                                                 dtype=np.float32)
    labels = None
    if "label" in {i.name for i in session.get_inputs()}:
        labels = np.full(len(latents), args.label) if args.label is not None else np.arange(len(latents)) % len(
            json.loads(meta.get("ganzoo.classes", "null")) or range(10))
    grid(generate(session, latents, labels)).save(args.output)
    print(f"wrote {args.output} ({len(latents)} images from {meta.get('ganzoo.name', args.model)})")


if __name__ == "__main__":
    main()
