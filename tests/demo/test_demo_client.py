"""The running demo's endpoints through gradio_client, as another program (or a Space's visitor) calls them."""

from __future__ import annotations

import numpy as np
import pytest
from demo_helpers import ANKLE_BOOT, DEMO_MODELS, SNEAKER, free_port, shrink, tiles
from PIL import Image

from ganzoo.eval.classes import predict_classes

pytest.importorskip("gradio", reason="the demo extra is not installed (make test installs it)")
gradio_client = pytest.importorskip("gradio_client")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from ganzoo.demo.app import build_app, launch
    from ganzoo.demo.service import DemoService

    service = DemoService(DEMO_MODELS, work_dir=tmp_path_factory.mktemp("demo"))
    app = build_app(service)
    port = free_port()
    launch(app, port=port, block=False, quiet=True)
    try:
        yield gradio_client.Client(f"http://127.0.0.1:{port}/", verbose=False)
    finally:
        app.close()
        service.close()


def sample(client, name, seed, count=9, klass="every class"):
    return Image.open(client.predict(name, seed, count, klass, 0, api_name="/sample"))


def test_every_tab_has_its_endpoint(client):
    endpoints = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert {"/sample", "/walk", "/translate", "/translate_drawing", "/stylise", "/facts"} <= endpoints


def test_seeds_through_the_api(client):
    one = np.asarray(sample(client, "dcgan-fashion", 1))
    assert np.array_equal(one, np.asarray(sample(client, "dcgan-fashion", 1)))
    assert not np.array_equal(one, np.asarray(sample(client, "dcgan-fashion", 2)))


def test_classes_through_the_api(client):
    seen = predict_classes(tiles(sample(client, "cgan-fashion", 0, 16, "Sneaker"), 16), classifier="fmnist-cnn")
    assert (seen == SNEAKER).float().mean() >= 0.8


def test_translation_and_bad_uploads_through_the_api(client, sneaker_png, bad_uploads):
    upload = gradio_client.handle_file(str(sneaker_png))
    boot = Image.open(client.predict("cyclegan-sneaker2boot", upload, None, api_name="/translate"))
    assert int(predict_classes(shrink(boot), classifier="fmnist-cnn")[0]) == ANKLE_BOOT
    for bad, message in (("text", "not an image"), ("huge", "6000x5000 pixels")):
        with pytest.raises(gradio_client.exceptions.AppError, match=message):
            client.predict("cyclegan-sneaker2boot", gradio_client.handle_file(str(bad_uploads[bad])), None,
                           api_name="/translate")
        again = Image.open(client.predict("cyclegan-sneaker2boot", upload, None, api_name="/translate"))
        assert np.array_equal(np.asarray(again), np.asarray(boot))  # the server still answers, the same


def test_a_walk_through_the_api(client):
    path = client.predict("cgan-fashion", 0, 1, 4, "slerp", "Bag", 0, api_name="/walk")
    with Image.open(path) as gif:
        assert gif.n_frames == 2 * 3 and gif.info["loop"] == 0


# Before (issue 22): gradio printed a traceback on the server's console for each call it refused.
def test_a_refused_call_is_one_line_on_the_console(client, bad_uploads, capfd):
    capfd.readouterr()
    calls = [(("cyclegan-sneaker2boot", gradio_client.handle_file(str(bad_uploads["text"])), None), "/translate",
              "not an image"),
             (("no-such-model", 1, 9, "every class", 0), "/sample", "no-such-model")]
    for args, api_name, words in calls:
        with pytest.raises(gradio_client.exceptions.AppError, match=words):
            client.predict(*args, api_name=api_name)
    console = capfd.readouterr().err
    assert "Traceback" not in console, console
    refused = [line for line in console.splitlines() if line.startswith("ganzoo demo: refused a request: ")]
    assert len(refused) == 2 and "not an image" in refused[0] and "no-such-model" in refused[1], console
