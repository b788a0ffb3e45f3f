"""The demo driven in a real headless browser (Debian's chromium through Playwright) on 127.0.0.1.

``ganzoo demo`` runs as a subprocess, as a user starts it; the page is used as a visitor uses it:
pick a model, type a seed, click, upload. Set ``GANZOO_DEMO_SCREENSHOTS=DIR`` to keep the
screenshots the docs show (``scripts/demo_screenshots.sh``).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from demo_helpers import ANKLE_BOOT, DEMO_MODELS, SNEAKER, TROUSER, free_port, shrink, tiles
from PIL import Image

from ganzoo.eval.classes import predict_classes

pytest.importorskip("gradio", reason="the demo extra is not installed (make test installs it)")
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is part of the test extra")
CHROMIUM = os.environ.get("GANZOO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium: make test installs Debian's when root")
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("demo-server") / "server.log"
    ganzoo = Path(sys.executable).with_name("ganzoo")
    with open(log, "w") as out:
        process = subprocess.Popen([str(ganzoo), "demo", *DEMO_MODELS, "--port", str(port), "--no-style"],
                                   stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"ganzoo demo did not start: {log.read_text()[-2000:]}")
            time.sleep(0.5)
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def page(server):
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(TIMEOUT_MS)
        hosts: set[str] = set()
        page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
        page.goto(server)
        page.wait_for_selector("#sample-button")
        page.hosts = hosts  # type: ignore[attr-defined]
        yield page
        browser.close()


def screenshot(page, name: str) -> None:
    folder = os.environ.get("GANZOO_DEMO_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"demo-{name}.png"))


def choose(page, element: str, value: str) -> None:
    """Pick ``value`` in a gradio dropdown: open it, click the option."""
    page.locator(f"#{element} input").click()
    page.get_by_role("option", name=value, exact=True).click()
    page.wait_for_function("([id, v]) => document.querySelector(`#${id} input`).value === v", arg=[element, value])


def shown(page, element: str) -> str:
    """The address of the image ``element`` shows now ("" for none)."""
    return page.evaluate("id => { const img = document.querySelector(`#${id} img`); return img ? img.src : ''; }",
                         element)


def click_for_image(page, button: str, element: str) -> Image.Image:
    """Click ``button`` and wait for ``element`` to show a new image (each answer has its own address)."""
    before = shown(page, element)
    page.click(f"#{button}")
    page.wait_for_function("([id, old]) => { const img = document.querySelector(`#${id} img`); "
                           "return img && img.src && img.src !== old; }", arg=[element, before])
    return Image.open(io.BytesIO(page.request.get(shown(page, element)).body()))


def sample(page, seed: int) -> Image.Image:
    page.locator("#sample-seed input").fill(str(seed))
    return click_for_image(page, "sample-button", "sample-output")


def test_the_page_loads_and_asks_nothing_of_the_internet(page, server):
    assert page.title() == "ganzoo demo"
    for tab in ("Sample", "Interpolate", "Image to image"):
        assert page.get_by_role("tab", name=tab).is_visible()
    assert "dcgan-fashion" in page.locator("#sample-facts").inner_text()
    assert page.hosts == {server.split("/")[2]}  # no CDN, no fonts, no analytics


def test_seeds_on_the_page(page):
    one, two, again = sample(page, 1), sample(page, 2), sample(page, 1)
    screenshot(page, "sample")
    assert not np.array_equal(np.asarray(one), np.asarray(two))
    assert np.array_equal(np.asarray(one), np.asarray(again))


def test_the_class_picker_of_cgan_fashion(page):
    choose(page, "sample-model", "cgan-fashion")
    page.wait_for_selector("#sample-class input")
    for name, index in (("Sneaker", SNEAKER), ("Trouser", TROUSER)):
        choose(page, "sample-class", name)
        grid = sample(page, 0)
        seen = predict_classes(tiles(grid, 16), classifier="fmnist-cnn")
        assert (seen == index).float().mean() >= 0.8, (name, seen.tolist())
    screenshot(page, "classes")


def upload(page, path: Path) -> None:
    """Upload ``path`` as the input image; the page clears the previous output when it arrives."""
    page.locator("#translate-input input[type=file]").set_input_files(str(path))
    page.wait_for_function("() => !document.querySelector('#translate-output img')")


def test_an_uploaded_sneaker_comes_back_an_ankle_boot(page, sneaker_png):
    page.get_by_role("tab", name="Image to image").click()
    upload(page, sneaker_png)
    boot = click_for_image(page, "translate-button", "translate-output")
    screenshot(page, "translate")
    assert int(predict_classes(shrink(boot), classifier="fmnist-cnn")[0]) == ANKLE_BOOT


@pytest.mark.parametrize(("bad", "message"), [("huge", "6000x5000 pixels"), ("text", "not an image")])
def test_a_bad_upload_shows_an_error_and_the_next_request_works(page, sneaker_png, bad_uploads, bad, message):
    page.get_by_role("tab", name="Image to image").click()
    upload(page, bad_uploads[bad])
    page.click("#translate-button")
    page.get_by_text(message).first.wait_for()
    upload(page, sneaker_png)
    boot = click_for_image(page, "translate-button", "translate-output")
    assert int(predict_classes(shrink(boot), classifier="fmnist-cnn")[0]) == ANKLE_BOOT


def test_the_walk_tab_plays_an_animation(page):
    page.get_by_role("tab", name="Interpolate").click()
    walk = click_for_image(page, "walk-button", "walk-output")
    assert walk.format == "GIF" and walk.n_frames == 2 * 23
    screenshot(page, "walk")
