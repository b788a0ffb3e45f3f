"""The demo's work without a browser: sampling, walks, translation, style and upload checks (no gradio)."""

from __future__ import annotations

import numpy as np
import pytest
from demo_helpers import ANKLE_BOOT, DEMO_MODELS, SNEAKER, TROUSER, png_header, shrink, tiles
from PIL import Image, ImageSequence

from ganzoo.demo.service import DemoService
from ganzoo.errors import UsageError
from ganzoo.eval.classes import predict_classes


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    demo = DemoService(DEMO_MODELS, work_dir=tmp_path_factory.mktemp("demo"))
    yield demo
    demo.close()


def test_it_lists_each_model_under_its_tab(service):
    assert service.names("unconditional", "class-conditional") == ["dcgan-fashion", "cgan-fashion"]
    assert service.names("image-to-image") == ["cyclegan-sneaker2boot", "pix2pix-edges2fashion"]
    assert "FID[fmnist-cnn]" in service.model("dcgan-fashion").facts
    assert service.model("cgan-fashion").classes[SNEAKER] == "Sneaker"


def test_same_seed_same_grid_other_seed_other_grid(service):
    one = np.asarray(service.sample("dcgan-fashion", seed=1, count=9))
    assert np.array_equal(one, np.asarray(service.sample("dcgan-fashion", seed=1, count=9)))
    assert not np.array_equal(one, np.asarray(service.sample("dcgan-fashion", seed=2, count=9)))


def test_the_class_picker_changes_what_the_classifier_sees(service):
    for name, index in (("Sneaker", SNEAKER), ("Trouser", TROUSER)):
        grid = service.sample("cgan-fashion", seed=0, count=16, class_name=name)
        seen = predict_classes(tiles(grid, 16), classifier="fmnist-cnn")
        assert (seen == index).float().mean() >= 0.8, (name, seen.tolist())


def test_truncation_is_off_at_zero_and_bounded_otherwise(service):
    plain = np.asarray(service.sample("dcgan-fashion", seed=3, count=4, truncation=0))
    assert np.array_equal(plain, np.asarray(service.sample("dcgan-fashion", seed=3, count=4)))
    assert not np.array_equal(plain, np.asarray(service.sample("dcgan-fashion", seed=3, count=4, truncation=0.5)))


def test_a_walk_is_a_looping_gif(service):
    path = service.walk("dcgan-fashion", seed_from=0, seed_to=1, steps=6, rows=2)
    with Image.open(path) as gif:
        frames = [np.asarray(f.convert("L"), dtype=float) for f in ImageSequence.Iterator(gif)]
        assert gif.info["loop"] == 0
    assert len(frames) == 2 * 5  # there and back, the start not repeated
    assert np.abs(frames[0] - frames[5]).mean() > 5


def test_an_uploaded_sneaker_comes_back_an_ankle_boot(service, sneaker_png):
    boot = service.translate("cyclegan-sneaker2boot", sneaker_png, "a2b (Sneaker -> Ankle boot)")
    assert boot.size == (28 * 4, 28 * 4)
    assert int(predict_classes(shrink(boot), classifier="fmnist-cnn")[0]) == ANKLE_BOOT
    drawn = Image.open(sneaker_png).convert("RGBA")  # what a sketch pad hands over
    assert service.translate("cyclegan-sneaker2boot", {"composite": drawn}, "a2b").size == boot.size


@pytest.mark.parametrize(("upload", "message"), [("text", "not an image"), ("huge", "6000x5000 pixels")])
def test_bad_uploads_are_one_line_errors_and_the_next_request_works(service, bad_uploads, sneaker_png, upload,
                                                                     message):
    with pytest.raises(UsageError, match=message):
        service.translate("cyclegan-sneaker2boot", bad_uploads[upload])
    assert service.translate("cyclegan-sneaker2boot", sneaker_png).size == (112, 112)


@pytest.mark.parametrize(("call", "message"), [
    (lambda s: s.sample("nope"), "no model 'nope'"),
    (lambda s: s.sample("cyclegan-sneaker2boot"), "image-to-image tab"),
    (lambda s: s.translate("dcgan-fashion", None), "makes images from noise"),
    (lambda s: s.translate("cyclegan-sneaker2boot", None), "no image yet"),
    (lambda s: s.sample("dcgan-fashion", count=1000), "between 1 and 64"),
    (lambda s: s.sample("cgan-fashion", class_name="Spaceship"), "unknown class"),
])
def test_visitor_mistakes_are_usage_errors(service, call, message):
    with pytest.raises(UsageError, match=message):
        call(service)


def test_style_transfer_says_when_its_weights_are_random(service, sneaker_png, bad_uploads, monkeypatch,
                                                          tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "no-weights"))  # no ImageNet file here
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    seen = []
    out = service.stylise(sneaker_png, sneaker_png, steps=3, progress=lambda step, total: seen.append((step, total)))
    assert out.mode == "RGB" and out.size == (28, 28)
    assert seen and seen[-1][1] == 3
    assert "RANDOM VGG19 weights" in service.style_note()
    with pytest.raises(UsageError, match="not an image"):
        service.stylise(bad_uploads["text"], sneaker_png, steps=1)


# Before (issue 22): "huge.png is not an image this demo can read" (Pillow's own limit tripped first).
def test_an_oversized_upload_is_called_too_large_with_the_limit(service, tmp_path):
    huge = png_header(tmp_path / "huge.png", 30000, 30000)
    with pytest.raises(UsageError) as info:
        service.translate("cyclegan-sneaker2boot", huge)
    assert str(info.value) == ("huge.png is 30000x30000 pixels; this demo takes images up to 4096 pixels a side "
                               "and 16 Mpx: shrink it first")


# Before (issue 22): the message began with the server's temporary path of the upload.
def test_refusals_name_the_upload_not_the_servers_path(service, tmp_path):
    upload = tmp_path / "uploads" / "strip.png"  # within the demo's size limit, but 400:1
    upload.parent.mkdir()
    Image.new("L", (4000, 10), 0).save(upload)
    with pytest.raises(UsageError) as info:
        service.translate("cyclegan-sneaker2boot", upload)
    message = str(info.value)
    assert message.startswith("strip.png is 4000x10 pixels") and str(tmp_path) not in message, message
