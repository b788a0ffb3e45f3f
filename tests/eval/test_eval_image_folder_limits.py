"""``ganzoo eval FOLDER`` reads its images under ganzoo's pixel limit, as every other image input does (issue 22).

Before, the folder reader opened files with Pillow's own limit: ``GANZOO_MAX_IMAGE_PIXELS`` was
ignored, Pillow's DecompressionBombWarning came out as a "ganzoo: note", and Pillow's error
(above twice its limit, 179 Mpx) stopped images the variable allowed. Pillow's limit is lowered
here so that the images stay small: the code paths are the ones a 180 Mpx photo takes.
"""

from __future__ import annotations

import warnings

import pytest
from PIL import Image

from ganzoo.errors import UsageError
from ganzoo.eval.sources import folder_source


def _folder(tmp_path, size):
    folder = tmp_path / "images"
    folder.mkdir()
    Image.new("L", size, 128).save(folder / "big.png")
    return folder


def _read(folder):
    source = folder_source(folder, size=8, channels=1)
    return next(source.batches(1, 1, seed=0))


@pytest.fixture
def pillow_limit(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000_000)  # Pillow's 89 Mpx, scaled down
    return 1_000_000


def test_pillow_warning_is_not_shown(tmp_path, pillow_limit):
    folder = _folder(tmp_path, (1500, 1000))  # between Pillow's limit and twice it: it used to warn
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        images = _read(folder)
    assert images.shape == (1, 1, 8, 8)


def test_the_variable_raises_the_limit_above_pillows(tmp_path, pillow_limit, monkeypatch):
    folder = _folder(tmp_path, (2500, 1000))  # over twice Pillow's limit: its DecompressionBombError before
    monkeypatch.setenv("GANZOO_MAX_IMAGE_PIXELS", "3000000")
    assert _read(folder).shape == (1, 1, 8, 8)


def test_the_variable_lowers_the_limit_with_ganzoos_message(tmp_path, monkeypatch):
    folder = _folder(tmp_path, (2000, 1000))
    monkeypatch.setenv("GANZOO_MAX_IMAGE_PIXELS", "1000000")
    with pytest.raises(UsageError) as info:
        _read(folder)
    message = str(info.value)
    assert message.startswith(f"{folder / 'big.png'} is 2000x1000 = 2,000,000 pixels, more than the limit of "
                              f"1,000,000 pixels")
    assert "GANZOO_MAX_IMAGE_PIXELS=2000000" in message
