"""`ganzoo pretrained NAME interpolate` and `ganzoo interpolate NAME`: walks written as GIF, MP4 or PNG strip."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageSequence

from ganzoo.cli import build_cli


def run(*args: str):
    return CliRunner().invoke(build_cli(), list(args), catch_exceptions=False)


def gif_frames(path) -> list[np.ndarray]:
    with Image.open(path) as image:
        return [np.asarray(frame.convert("L"), dtype=np.float64) for frame in ImageSequence.Iterator(image)]


def steps_between(frames: list[np.ndarray]) -> np.ndarray:
    return np.array([np.abs(a - b).mean() for a, b in zip(frames, frames[1:])])


@pytest.fixture(scope="module")
def walks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("walks")
    for name, extra in (("walk.gif", ()), ("again.gif", ()), ("fine.gif", ("--steps", "31")),
                        ("other.gif", ("--seeds", "5,6"))):
        result = run("pretrained", "dcgan-fashion", "interpolate", "-o", str(folder / name), *extra)
        assert result.exit_code == 0, result.output
    return folder


def test_the_walk_is_an_animation_that_changes_smoothly(walks):
    frames = gif_frames(walks / "walk.gif")
    assert len(frames) == 16 and frames[0].shape == (32, 32)  # one 28x28 image with its 2-pixel border
    steps = steps_between(frames)
    whole = np.abs(frames[0] - frames[-1]).mean()
    assert whole > 20  # the two ends are different garments ...
    assert steps.min() > 0.1  # ... every frame moves ...
    assert steps.max() < 0.35 * whole  # ... and no frame jumps the way two unrelated images differ
    # Smooth, not merely small: twice the frames halve the largest step (a cut would not shrink).
    finer = steps_between(gif_frames(walks / "fine.gif"))
    assert finer.max() < 0.65 * steps.max()


def test_the_same_seeds_give_the_same_file(walks):
    assert (walks / "walk.gif").read_bytes() == (walks / "again.gif").read_bytes()
    assert (walks / "walk.gif").read_bytes() != (walks / "other.gif").read_bytes()


def test_rows_loop_and_the_png_strip(tmp_path):
    strip = tmp_path / "strip.png"
    result = run("pretrained", "dcgan-fashion", "interpolate", "--seeds", "0,1,2", "--rows", "3", "--steps", "5",
                 "--loop", "-o", str(strip))
    assert result.exit_code == 0, result.output
    assert "12 frames of 3 paths" in result.output
    with Image.open(strip) as image:  # one row per path, one column per frame, 30 pixels a tile
        assert image.size == (12 * 30 + 2, 3 * 30 + 2)


def test_saved_latents_walk_again_to_the_same_frames(tmp_path):
    first, again, latents = tmp_path / "a.gif", tmp_path / "b.gif", tmp_path / "z.safetensors"
    assert run("pretrained", "dcgan-fashion", "interpolate", "--seeds", "4,9", "--rows", "2", "-o", str(first),
               "--save-latents", str(latents)).exit_code == 0
    result = run("interpolate", "dcgan-fashion", "--latents", str(latents), "-o", str(again))
    assert result.exit_code == 0, result.output
    assert first.read_bytes() == again.read_bytes()


def test_a_class_walk_goes_from_one_class_to_the_other(tmp_path):
    import torch

    from ganzoo.eval.classes import predict_classes

    strip = tmp_path / "blend.png"
    result = run("pretrained", "cgan-fashion", "interpolate", "--from-class", "Trouser", "--to-class", "Bag",
                 "--rows", "8", "--steps", "9", "-o", str(strip))
    assert result.exit_code == 0, result.output
    pixels = np.asarray(Image.open(strip).convert("L"), dtype=np.float32)
    tiles = np.stack([[pixels[2 + r * 30:30 + r * 30, 2 + c * 30:30 + c * 30] for c in (0, 8)] for r in range(8)])
    images = torch.from_numpy(tiles).reshape(-1, 1, 28, 28) / 127.5 - 1
    predicted = predict_classes(images, classifier="fmnist-cnn").reshape(8, 2)
    assert (predicted[:, 0] == 1).float().mean() >= 0.75  # Trouser at the start of each row
    assert (predicted[:, 1] == 8).float().mean() >= 0.75  # Bag at its end


def test_mp4_is_written_when_the_video_extra_is_installed(tmp_path):
    iio = pytest.importorskip("imageio.v3", reason="the video extra (imageio, imageio-ffmpeg) is not installed")
    pytest.importorskip("imageio_ffmpeg")
    video = tmp_path / "walk.mp4"
    result = run("pretrained", "dcgan-fashion", "interpolate", "--steps", "10", "-o", str(video))
    assert result.exit_code == 0, result.output
    frames = iio.imread(video, plugin="FFMPEG")
    assert frames.shape[0] == 10 and frames.shape[1] >= 256  # scaled up for H.264, nearest neighbour


@pytest.mark.parametrize(("args", "message"), [
    (["pretrained", "dcgan-fashion", "interpolate", "-o", "walk.txt"], "end the name with .gif"),
    (["pretrained", "pix2pix-edges2fashion", "interpolate"], "no latent space to walk"),
    (["pretrained", "dcgan-fashion", "interpolate", "--from-class", "Bag", "--to-class", "Coat"],
     "not class-conditional"),
    (["pretrained", "cgan-fashion", "interpolate", "--from-class", "Bag"], "go together"),
    (["pretrained", "cgan-fashion", "interpolate", "--class", "Spaceship"], "unknown class"),
    (["pretrained", "dcgan-fashion", "interpolate", "--seeds", "0,x"], "whole numbers"),
    (["pretrained", "dcgan-fashion", "interpolate", "--seeds", "3"], "two waypoints"),
    (["pretrained", "dcgan-fashion", "interpolate", "--save-latents", "z.pt"], ".safetensors"),
    (["interpolate", "dcgan-fashion", "--checkpoint", "step_1"], "chooses within a training run"),
])
def test_bad_walks_are_one_line_errors(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(build_cli(), args)
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "walk.gif").exists()


def test_an_existing_walk_needs_overwrite(tmp_path):
    target = tmp_path / "walk.gif"
    target.write_bytes(b"mine")
    result = CliRunner().invoke(build_cli(), ["pretrained", "dcgan-fashion", "interpolate", "-o", str(target)])
    assert result.exit_code != 0 and "--overwrite" in result.output
    assert target.read_bytes() == b"mine"
    assert run("pretrained", "dcgan-fashion", "interpolate", "-o", str(target), "--overwrite").exit_code == 0
    assert target.read_bytes()[:6] == b"GIF89a"


def test_a_run_walks_with_its_dataset_class_names(tmp_path):
    out = tmp_path / "run"
    trained = run("train", "cgan", "--dataset", "fashion-mnist", "--data", "limit=128", "--set", "base_channels=8",
                  "--max-steps", "2", "--quiet", "--out", str(out))
    assert trained.exit_code == 0, trained.output
    result = run("interpolate", str(out), "--class", "sneaker", "--class", "3", "-o", str(tmp_path / "w.png"),
                 "--steps", "3")
    assert result.exit_code == 0, result.output
    assert "3 frames of 2 paths" in result.output
    unknown = CliRunner().invoke(build_cli(), ["interpolate", str(out), "--class", "Spaceship", "-o",
                                               str(tmp_path / "x.gif")])
    assert unknown.exit_code != 0 and "unknown class 'Spaceship'" in unknown.output and "Sneaker" in unknown.output


def test_a_walk_too_large_to_hold_is_refused_up_front_in_little_memory(tmp_path):
    """Before: --rows 64 --steps 500 --scale 16 (each inside its range) tried one 25.7 GB allocation."""
    from peak_memory import one_error_line, run_measured

    result = run_measured("interpolate", "dcgan-fashion", "--rows", "64", "--steps", "500", "--scale", "16",
                          "-o", tmp_path / "walk.gif", ceiling_gb=8)
    line = one_error_line(result, 2)
    assert "500 frames of 3872x3872 pixels" in line and "more than the 1 GiB a walk may take" in line
    assert result.peak_mb < 1800, result.peak_mb
    assert not (tmp_path / "walk.gif").exists()
