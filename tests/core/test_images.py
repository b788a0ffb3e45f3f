"""Sample grids, single images, progress GIFs and sample_to_files."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from ganzoo.errors import UsageError
from ganzoo.images import grid_image, make_gif, png_step, sample_to_files, save_grid, save_images, to_uint8
from ganzoo.models import build_model

pytestmark = pytest.mark.usefixtures("one_thread")


def test_pixel_values_map_exactly():
    values = to_uint8(torch.tensor([-1.0, 0.0, 1.0, 2.0, -3.0]))
    assert values.tolist() == [0, 128, 255, 255, 0]


def test_grid_of_grayscale_and_colour(tmp_path):
    gray = torch.linspace(-1, 1, 5 * 1 * 4 * 6).reshape(5, 1, 4, 6)
    path = save_grid(gray, tmp_path / "g.png", nrow=2, padding=1, step=12)
    with Image.open(path) as image:
        assert image.mode == "L" and image.size == (2 * 7 + 1, 3 * 5 + 1)
    assert png_step(path) == 12
    colour = torch.full((4, 3, 8, 8), -1.0)
    colour[:, 0] = 1.0  # pure red
    image = grid_image(colour, padding=0)
    assert image.mode == "RGB" and image.size == (16, 16) and image.getpixel((3, 3)) == (255, 0, 0)
    with pytest.raises(UsageError):
        grid_image(torch.zeros(2, 2, 4, 4))


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path, monkeypatch):
    save_grid(torch.zeros(1, 1, 4, 4), tmp_path / "keep.png")
    before = (tmp_path / "keep.png").read_bytes()

    def broken_save(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OSError):
        save_grid(torch.ones(1, 1, 4, 4), tmp_path / "keep.png")
    assert (tmp_path / "keep.png").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.png"]


def test_single_images_and_gif(tmp_path):
    paths = save_images(torch.rand(3, 3, 5, 5) * 2 - 1, tmp_path / "each", prefix="x", start=8)
    assert [p.name for p in paths] == ["x_0008.png", "x_0009.png", "x_0010.png"]
    frames = [save_grid(torch.full((1, 1, 4, 4), v), tmp_path / f"f{i}.png") for i, v in enumerate((-1.0, 0.0, 1.0))]
    gif = make_gif(frames, tmp_path / "p.gif", max_frames=2)
    with Image.open(gif) as image:
        assert image.n_frames == 2
    assert make_gif([], tmp_path / "none.gif") is None


def test_sample_to_files_is_seeded(tmp_path):
    torch.manual_seed(0)
    model = build_model("vanilla", hidden=[16, 32])
    a = sample_to_files(model, 5, seed=3, out=tmp_path / "a.png", save_dir=tmp_path / "each", batch_size=2)
    b = sample_to_files(model, 5, seed=3)
    assert a.shape == (5, 1, 28, 28) and torch.allclose(a, b, atol=1e-5)  # batch size only changes rounding
    assert not torch.equal(a, sample_to_files(model, 5, seed=4))
    assert (tmp_path / "a.png").exists() and len(list((tmp_path / "each").iterdir())) == 5
    with pytest.raises(UsageError):
        sample_to_files(model, 0)
