"""Make the pictures of docs/style-transfer.md (from the repository root; about 2.5 CPU-minutes).

The content is a Fashion-MNIST garment, upscaled and tinted; the styles are drawn here. There
are no ImageNet VGG19 weights on the machine that made them, so every result uses
``--vgg-weights random``: an untrained VGG19, which gives weaker results than the real weights.

    OMP_NUM_THREADS=1 .venv/bin/python docs/images/style/make_pictures.py
"""

from __future__ import annotations

import math
import random
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
SIZE = 112
GANZOO = [sys.executable, "-m", "ganzoo"]


def content() -> Image.Image:
    """A dress from Fashion-MNIST's test split, 4x larger, navy on cream."""
    from ganzoo.data import build_dataset

    data = build_dataset("fashion-mnist", "test")
    index = next(i for i in range(len(data)) if data[i]["label"] == 3)  # the first dress
    gray = ((data[index]["image"][0] + 1) * 127.5).byte().numpy()
    mask = Image.fromarray(gray, "L").resize((SIZE, SIZE), Image.BICUBIC)
    cream = Image.new("RGB", (SIZE, SIZE), (244, 236, 214))
    navy = Image.new("RGB", (SIZE, SIZE), (30, 52, 110))
    return Image.composite(navy, cream, mask)


def waves() -> Image.Image:
    """Diagonal orange, teal and purple waves."""
    image = Image.new("RGB", (SIZE, SIZE))
    pixels = image.load()
    for y in range(SIZE):
        for x in range(SIZE):
            t = (x + 0.6 * y) / 7.0 + 1.5 * math.sin(y / 9.0)
            r = 0.5 + 0.5 * math.sin(t)
            pixels[x, y] = (int(40 + 210 * r), int(90 + 90 * math.sin(t + 2.0) ** 2), int(200 - 150 * r))
    return image


def dots() -> Image.Image:
    """Random coloured dots on black."""
    rng = random.Random(0)
    image = Image.new("RGB", (SIZE, SIZE), (12, 12, 20))
    draw = ImageDraw.Draw(image)
    palette = [(237, 201, 72), (214, 69, 65), (74, 170, 216), (240, 240, 240)]
    for _ in range(70):
        x, y, r = rng.uniform(0, SIZE), rng.uniform(0, SIZE), rng.uniform(3, 8)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.choice(palette))
    return image


def run(*args: str) -> None:
    command = [*GANZOO, "style-transfer", *args, "--vgg-weights", "random", "--quiet", "--device", "cpu"]
    print(" ".join(command[2:]), flush=True)
    subprocess.run(command, check=True)


def main() -> None:
    content().save(HERE / "content.png", optimize=True)
    waves().save(HERE / "style-waves.png", optimize=True)
    dots().save(HERE / "style-dots.png", optimize=True)
    c, w, d = (str(HERE / name) for name in ("content.png", "style-waves.png", "style-dots.png"))
    steps = ["--steps", "200"]
    run(c, w, "-o", str(HERE / "out-waves.png"), *steps)
    run(c, w, "-o", str(HERE / "out-waves-color.png"), "--preserve-color", *steps)
    run(c, w, d, "--style-blend", "0.5,0.5", "-o", str(HERE / "out-blend.png"), *steps)
    for path in HERE.glob("out-*.png"):  # recompress: the docs stay small
        with Image.open(path) as image:
            image.save(path, optimize=True)


if __name__ == "__main__":
    main()
