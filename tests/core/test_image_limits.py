"""Decompression bombs: one documented pixel limit, a one-line error, no Pillow warning, little memory.

The test images are written by hand (PNG signature, IHDR, one zlib-streamed IDAT of identical
rows, IEND): a 20000x20000 one-bit PNG is about 60 KB on disk and costs the test almost nothing.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest

from ganzoo.errors import UsageError
from ganzoo.images import MAX_IMAGE_PIXELS, MAX_PIXELS_ENV, max_image_pixels, open_image, read_image


def write_png(path: Path, width: int, height: int, *, bit_depth: int = 1) -> Path:
    """A grayscale PNG of one colour (white), streamed row by row, so no image is ever in memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + b"\xff" * ((width * bit_depth + 7) // 8)  # filter type 0, then the pixels
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)  # grayscale, no interlace
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


#: Run in a child: open the image the way every ganzoo command does, report peak memory growth.
CHILD = textwrap.dedent(
    """
    import json, resource, sys
    import torch  # noqa: F401  - the baseline includes what a command has loaded anyway
    from ganzoo.errors import GanzooError
    from ganzoo.images import open_image

    def peak_mb():
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return kb / 1024 if sys.platform != "darwin" else kb / 2**20

    before = peak_mb()
    try:
        outcome = "loaded %dx%d" % open_image(sys.argv[1], channels=1).size
    except GanzooError as exc:
        outcome = "error: " + str(exc)
    print(json.dumps({"outcome": outcome, "growth_mb": peak_mb() - before}))
    """
)


def run_child(image: Path) -> tuple[dict, str]:
    result = subprocess.run([sys.executable, "-c", CHILD, str(image)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def test_an_image_over_the_limit_is_one_line_error_decoding_nothing(tmp_path):
    # Before: Pillow's DecompressionBombError, which the CLI showed as "internal error".
    big = write_png(tmp_path / "big.png", 20000, 20000)
    assert big.stat().st_size < 1_000_000 and MAX_IMAGE_PIXELS < 20000 * 20000
    report, stderr = run_child(big)
    message = report["outcome"]
    assert message.startswith("error: ") and "\n" not in message
    assert "20000x20000 = 400,000,000 pixels" in message and f"limit of {MAX_IMAGE_PIXELS:,} pixels" in message
    assert f"{MAX_PIXELS_ENV}=400000000" in message
    assert "DecompressionBomb" not in stderr and "Warning" not in stderr, stderr
    assert report["growth_mb"] < 50, report  # the header was read; no pixel was decoded


def test_an_image_under_the_limit_but_over_pillows_loads_without_pillows_warning(tmp_path):
    # Before: 12000x12000 printed Pillow's raw DecompressionBombWarning (144 Mpx > Pillow's 89 Mpx).
    big = write_png(tmp_path / "big.png", 12000, 12000)
    assert MAX_IMAGE_PIXELS >= 12000 * 12000
    report, stderr = run_child(big)
    assert report["outcome"] == "loaded 12000x12000", report
    assert "DecompressionBomb" not in stderr and "Warning" not in stderr, stderr
    assert report["growth_mb"] < 2.5 * 144, report  # the pixels, 1 byte each, twice while converted to "L"


def test_the_limit_can_be_raised_and_lifted(tmp_path, monkeypatch):
    image = write_png(tmp_path / "wide.png", 400, 300)
    monkeypatch.setenv(MAX_PIXELS_ENV, "100000")
    with pytest.raises(UsageError, match=r"400x300 = 120,000 pixels, more than the limit of 100,000 .*"
                                         rf"{MAX_PIXELS_ENV}=120000"):
        open_image(image)
    monkeypatch.setenv(MAX_PIXELS_ENV, "120_000")
    assert open_image(image).size == (400, 300)
    monkeypatch.setenv(MAX_PIXELS_ENV, "0")
    assert max_image_pixels() is None and open_image(image, channels=1).size == (400, 300)
    monkeypatch.setenv(MAX_PIXELS_ENV, "lots")
    with pytest.raises(UsageError, match=f"{MAX_PIXELS_ENV}='lots' is not a whole number"):
        open_image(image)
    monkeypatch.delenv(MAX_PIXELS_ENV)
    assert max_image_pixels() == MAX_IMAGE_PIXELS


def test_ganzoos_limit_replaces_pillows_and_no_warning_is_printed(tmp_path, monkeypatch, recwarn):
    # Pillow warns above its own MAX_IMAGE_PIXELS and raises above twice that; an image within
    # ganzoo's limit must load with neither, and Pillow's setting is left as it was for others.
    from PIL import Image

    image = write_png(tmp_path / "wide.png", 400, 300)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow's threshold, scaled down to stay cheap
    assert read_image(image, channels=1).shape == (1, 300, 400)
    assert Image.MAX_IMAGE_PIXELS == 1000
    assert not [w for w in recwarn if "DecompressionBomb" in type(w.message).__name__]


def test_translate_refuses_a_bomb_in_one_line(tmp_path):
    # The CLI end to end: one line, exit 2, no "internal error", no traceback, no Pillow warning.
    # Before: "ganzoo: internal error: DecompressionBombError: Image size (400000000 pixels) ...".
    big = write_png(tmp_path / "big.png", 20000, 20000)
    result = subprocess.run([sys.executable, "-m", "ganzoo", "translate", "pix2pix-edges2fashion", str(big),
                             "-o", str(tmp_path / "out.png")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganzoo: error: ") and "20000x20000" in lines[0], result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out.png").exists()


# -- issue 22: sides and aspect ratio, not only total pixels; translation batches resized first -----------


def test_an_image_far_longer_than_wide_is_refused_from_its_header(tmp_path, monkeypatch):
    from ganzoo.images import MAX_ASPECT_RATIO

    strip = write_png(tmp_path / "strip.png", 1, 2000)
    with pytest.raises(UsageError, match=rf"1x2000 pixels, 2,000 times longer .* the {MAX_ASPECT_RATIO}:1"):
        open_image(strip)
    assert open_image(write_png(tmp_path / "long.png", 10, 10 * MAX_ASPECT_RATIO), channels=1).size == (10, 640)
    monkeypatch.setenv(MAX_PIXELS_ENV, "0")  # lifting the limits lifts this one too
    assert open_image(strip, channels=1).size == (1, 2000)


@pytest.mark.parametrize("command", ["style", "content", "translate"])
def test_a_thin_strip_under_the_pixel_limit_is_one_line_in_little_memory(tmp_path, command):
    """Before: a 291 KB 1x150,000,000 PNG (150 Mpx, under the limit) tried 460.8 GB as the style image
    (9.6 GB reached, then "internal error"), 16.8 GB in translate, and "working at 0x512" as content."""
    from peak_memory import one_error_line, run_measured

    strip = write_png(tmp_path / "strip.png", 1, 150_000_000)
    plain = write_png(tmp_path / "plain.png", 28, 28)
    assert strip.stat().st_size < 400_000 and MAX_IMAGE_PIXELS > 150_000_000
    args = {"style": ["style-transfer", plain, strip, "--vgg-weights", "random", "--steps", "1"],
            "content": ["style-transfer", strip, plain, "--vgg-weights", "random", "--steps", "1"],
            "translate": ["translate", "pix2pix-edges2fashion", strip]}[command]
    result = run_measured(*args, "-o", tmp_path / "out.png", ceiling_gb=8)
    assert "1x150000000 pixels" in one_error_line(result, 2)
    assert result.peak_mb < 1800, result.peak_mb  # what loading the command costs; no pixel was decoded
    assert not (tmp_path / "out.png").exists()


def test_translate_folder_holds_one_full_size_image_at_a_time(tmp_path):
    """Before: the batch of originals stayed at full size (three 8000x8000 inputs: 2.4 GB peak; one
    14000x14000 PNG: 4.0 GB); now each is resized when read and the outputs written one at a time."""
    from peak_memory import run_measured

    one, three = tmp_path / "one", tmp_path / "three"
    one.mkdir()
    three.mkdir()
    write_png(one / "a.png", 8000, 8000)
    for name in "abc":
        write_png(three / f"{name}.png", 8000, 8000)
    single = run_measured("translate", "pix2pix-edges2fashion", one, "-o", tmp_path / "out1")
    batch = run_measured("translate", "pix2pix-edges2fashion", three, "-o", tmp_path / "out3")
    assert single.returncode == 0 and batch.returncode == 0, batch.stderr
    assert len(list((tmp_path / "out3").iterdir())) == 3
    # One 8000x8000 float image is 256 MB; three held at once cost about 750 MB more than one.
    assert batch.peak_mb - single.peak_mb < 150, (single.peak_mb, batch.peak_mb)
