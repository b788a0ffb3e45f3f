"""Sampling in batches, streamed to the grid and --save-dir: the same pixels as one big batch, flat memory.

Style transfer's default working size is here too: like sampling, its memory must follow what
the user asked for, not the size of the input.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import ganzoo
from ganzoo.cli import build_cli
from ganzoo.errors import UsageError
from ganzoo.images import grid_image, sample_to_files, to_uint8


def invoke(*args):
    return CliRunner().invoke(build_cli(), [str(a) for a in args])


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image)


@pytest.mark.parametrize("n", [64, 300])
def test_the_pixels_are_those_of_one_big_batch(tmp_path, n):
    """n=300 crosses the 256-image batch boundary; the grid and every file match sampling all at once."""
    model = ganzoo.load_pretrained("dcgan-fashion")
    result = invoke("pretrained", "dcgan-fashion", "sample", "-n", n, "--seed", 5, "-o", tmp_path / "grid.png",
                    "--save-dir", tmp_path / "each", "--backend", "torch")  # ONNX's pixels: tests/cli/test_onnx_sampling.py
    assert result.exit_code == 0, result.output
    everything = model.sample(n, seed=5)  # what the command did before: one batch of n
    assert np.array_equal(pixels(tmp_path / "grid.png"), np.asarray(grid_image(everything)))
    files = sorted((tmp_path / "each").iterdir())
    assert [p.name for p in files] == [f"sample_{i:04d}.png" for i in range(n)]
    expected = to_uint8(everything)[:, 0].numpy()
    for index in sorted({0, min(255, n - 1), min(256, n - 1), n - 1}):
        assert np.array_equal(pixels(files[index]), expected[index]), files[index]


def test_class_rows_keep_their_pixels_across_batches(tmp_path):
    model = ganzoo.load_pretrained("cgan-fashion")
    result = invoke("pretrained", "cgan-fashion", "sample", "-n", 300, "--seed", 2, "-o", tmp_path / "grid.png",
                    "--backend", "torch")
    assert result.exit_code == 0, result.output
    labels = torch.arange(10).repeat_interleave(30)
    everything = model.sample(300, seed=2, labels=labels)
    assert np.array_equal(pixels(tmp_path / "grid.png"), np.asarray(grid_image(everything, nrow=30)))


def test_the_set_is_replaced_whole_and_names_keep_their_width(tmp_path):
    each = tmp_path / "each"
    assert invoke("pretrained", "dcgan-fashion", "sample", "-n", 40, "--save-dir", each).exit_code == 0
    result = invoke("pretrained", "dcgan-fashion", "sample", "-n", 12, "--save-dir", each, "--overwrite")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in each.iterdir()) == [f"sample_{i:04d}.png" for i in range(12)]


def test_library_sampling_streams_the_same_images(tmp_path):
    torch.manual_seed(0)
    model = ganzoo.create_model("dcgan", base_channels=4, latent_dim=8)
    kept = sample_to_files(model, 20, seed=3, batch_size=20)
    streamed = sample_to_files(model, 20, seed=3, out=tmp_path / "g.png", save_dir=tmp_path / "d", batch_size=7,
                               return_images=False)
    assert streamed is None
    assert np.array_equal(pixels(tmp_path / "g.png"), np.asarray(grid_image(kept)))
    assert sorted(p.name for p in (tmp_path / "d").iterdir())[-1] == "sample_0019.png"


def test_a_grid_too_large_is_refused_before_any_sampling():
    class Huge:
        image_shape = (3, 256, 256)
        num_classes = 0

        def sample_latent(self, *args, **kwargs):
            raise AssertionError("sampled before the grid size was checked")

    with pytest.raises(UsageError, match="--save-dir"):
        sample_to_files(Huge(), 5000, out="never.png")
    assert not Path("never.png").exists()


def peak_rss_mb(*args: str) -> float:
    """Peak resident memory of ``python -m ganzoo ARGS`` in a fresh process, in MB."""
    code = ("import resource, subprocess, sys; "
            "done = subprocess.run([sys.executable, '-m', 'ganzoo', *sys.argv[1:]], capture_output=True, text=True); "
            "assert done.returncode == 0, done.stderr; "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip()) / 1024


def test_memory_does_not_grow_with_the_number_of_samples(tmp_path):
    """Before streaming, 3000 more images cost about 200 MB more (one batch of n); now they cost none."""
    small = peak_rss_mb("pretrained", "dcgan-fashion", "sample", "-n", "300", "--save-dir", str(tmp_path / "a"),
                        "-o", str(tmp_path / "a.png"))
    large = peak_rss_mb("pretrained", "dcgan-fashion", "sample", "-n", "3300", "--save-dir", str(tmp_path / "b"),
                        "-o", str(tmp_path / "b.png"))
    assert len(list((tmp_path / "b").iterdir())) == 3300
    assert large - small < 50, (small, large)


def _picture(path: Path, side: int) -> None:
    y, x = np.mgrid[0:side, 0:side]
    array = np.stack([x * 255 // side, y * 255 // side, (x + y) * 127 // side], axis=-1).astype(np.uint8)
    Image.fromarray(array).save(path)


def _style_rss_mb(tmp_path: Path, side: int) -> tuple[float, str]:
    content, style, out = tmp_path / f"c{side}.png", tmp_path / "style.png", tmp_path / f"o{side}.png"
    _picture(content, side)
    if not style.exists():
        Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(style)
    # A ceiling on the address space turns a regression (tens of GB at 3000x3000) into a failed
    # allocation instead of a machine out of memory.
    code = ("import resource, subprocess, sys; "
            "limit = lambda: resource.setrlimit(resource.RLIMIT_AS, (16 << 30, 16 << 30)); "
            "done = subprocess.run([sys.executable, '-m', 'ganzoo', *sys.argv[1:]], capture_output=True, text=True, "
            "preexec_fn=limit); "
            "assert done.returncode == 0, done.stderr; "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(done.stderr)")
    result = subprocess.run([sys.executable, "-c", code, "style-transfer", str(content), str(style), "-o", str(out),
                             "--vgg-weights", "random", "--steps", "1", "--quiet"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    with Image.open(out) as image:
        assert image.size == (512, 512)
    rss, _, stderr = result.stdout.partition("\n")
    return int(rss) / 1024, stderr


@pytest.mark.skipif(not hasattr(__import__("resource"), "RLIMIT_AS"), reason="needs RLIMIT_AS")
def test_style_transfer_works_at_a_default_size_whatever_the_input(tmp_path):
    small, _ = _style_rss_mb(tmp_path, 600)
    large, note = _style_rss_mb(tmp_path, 3000)
    assert "3000x3000" in note and "working at 512x512" in note and "--size" in note, note
    # The 3000x3000 input costs its own bytes (27 MB as RGB) once, not VGG activations at its size.
    assert large - small < 150, (small, large)


def test_an_explicit_size_above_the_cap_is_refused():
    from ganzoo_style.inputs import working_size

    assert working_size(3000, 2000, None) == (512, 341)
    assert working_size(300, 200, None) == (300, 200)
    with pytest.raises(UsageError, match="at most 8192"):
        working_size(3000, 2000, 9000)
