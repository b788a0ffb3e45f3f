"""The image-folder dataset: recursive discovery, classes from subfolders, Pillow conversions."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from PIL import Image
from test_datasets_files import halves_image, save_jpeg_with_orientation

from ganzoo.data import build_dataset
from ganzoo.errors import DataUnavailableError, UsageError


def _rgb_at(image: torch.Tensor, row: int, col: int) -> list[int]:
    return [round((v + 1) * 127.5) for v in image[:, row, col].tolist()]


def test_image_folder_with_class_subfolders(tmp_path):
    red, blue, green = (255, 0, 0), (0, 0, 255), (0, 255, 0)
    (tmp_path / "cats").mkdir()
    Image.new("RGB", (20, 20), red).save(tmp_path / "cats" / "a.png")
    rgba = Image.new("RGBA", (30, 30), (0, 0, 255, 0))
    rgba.save(tmp_path / "cats" / "b.PNG")
    (tmp_path / "dogs" / "puppies").mkdir(parents=True)
    Image.new("L", (10, 40), 200).save(tmp_path / "dogs" / "puppies" / "c.bmp")
    # wide image: green | red | green, so only the centre crop is red
    wide = np.zeros((30, 60, 3), dtype=np.uint8)
    wide[:, :, 1] = 255
    wide[:, 15:45] = red
    Image.fromarray(wide).save(tmp_path / "dogs" / "d.webp", lossless=True)
    (tmp_path / "dogs" / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden").mkdir()
    Image.new("RGB", (8, 8), green).save(tmp_path / ".hidden" / "x.png")

    ds = build_dataset("image-folder", root=tmp_path, size=16)
    assert ds.info.classes == ["cats", "dogs"] and len(ds) == 4
    assert [p.name for p in ds.files] == ["a.png", "b.PNG", "d.webp", "c.bmp"]
    assert [ds[i]["label"] for i in range(4)] == [0, 0, 1, 1]
    assert _rgb_at(ds[0]["image"], 8, 8) == [255, 0, 0]
    assert ds[1]["image"].shape == (3, 16, 16) and _rgb_at(ds[1]["image"], 3, 3) == list(blue)  # alpha dropped
    assert ds[3]["image"].shape == (3, 16, 16) and _rgb_at(ds[3]["image"], 0, 0) == [200, 200, 200]
    wide_item = ds[2]["image"]
    for col in (0, 8, 15):  # the green thirds are cropped away (the resampling filter may bleed a little)
        r, g, b = _rgb_at(wide_item, 8, col)
        assert r > 220 and g < 40 and b < 10, (col, r, g, b)
    gray = build_dataset("image-folder", root=tmp_path, size=16, channels=1)
    assert gray[0]["image"].shape == (1, 16, 16) and gray.info.channels == 1


def test_image_folder_honours_exif_orientation(tmp_path):
    # stored 40 wide x 20 high, red left and blue right; orientation 6 shows it rotated 90 degrees
    # clockwise, so a viewer sees red on top and blue below
    save_jpeg_with_orientation(halves_image(40, 20, (255, 0, 0), (0, 0, 255)), tmp_path / "photo.jpg", 6)
    ds = build_dataset("image-folder", root=tmp_path, size=20)
    assert len(ds) == 1 and "label" not in ds[0] and ds.info.classes is None
    image = ds[0]["image"]
    top, bottom = _rgb_at(image, 2, 10), _rgb_at(image, 17, 10)
    assert top[0] > 200 and top[2] < 60 and bottom[2] > 200 and bottom[0] < 60


def test_image_folder_loose_files_beside_classes_are_ignored_with_a_warning(tmp_path):
    (tmp_path / "a").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "a" / "1.gif")
    Image.new("RGB", (8, 8)).save(tmp_path / "loose.jpeg")
    with pytest.warns(UserWarning, match="ignoring 1 image"):
        ds = build_dataset("image-folder", root=tmp_path, size=8)
    assert len(ds) == 1 and ds.info.classes == ["a"]


def test_image_folder_errors(tmp_path):
    with pytest.raises(UsageError, match="needs root="):
        build_dataset("image-folder")
    with pytest.raises(DataUnavailableError, match="not a folder"):
        build_dataset("image-folder", root=tmp_path / "missing")
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(DataUnavailableError, match="no images"):
        build_dataset("image-folder", root=tmp_path / "empty")
    with pytest.raises(UsageError, match="1 or 3"):
        build_dataset("image-folder", root=tmp_path, channels=4)
    (tmp_path / "bad.png").write_bytes(b"not a png at all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = build_dataset("image-folder", root=tmp_path)
    with pytest.raises(DataUnavailableError, match="cannot read image .*bad.png"):
        ds[0]
