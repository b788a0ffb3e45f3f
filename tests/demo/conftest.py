"""Fixtures of the demo tests: real test-split garments to upload, and uploads that must be refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from demo_helpers import ANKLE_BOOT
from PIL import Image


@pytest.fixture(scope="session")
def sneaker_png(tmp_path_factory) -> Path:
    """A test-split sneaker that cyclegan-sneaker2boot turns into what the classifier calls an ankle boot.

    The first such of the first 50 (most are: the zoo test asks for 60 %); the point of the demo
    tests is that the page hands the upload to the model and the answer back unchanged.
    """
    import ganzoo
    from ganzoo.data import build_dataset
    from ganzoo.eval.classes import predict_classes

    images = build_dataset("fashion-mnist", "test", classes="Sneaker").get_batch(torch.arange(50))["image"]
    boots = ganzoo.load_pretrained("cyclegan-sneaker2boot").translate(images, direction="a2b")
    index = int((predict_classes(boots, classifier="fmnist-cnn") == ANKLE_BOOT).nonzero()[0])
    path = tmp_path_factory.mktemp("uploads") / "sneaker.png"
    Image.fromarray(((images[index, 0].numpy() + 1) * 127.5).round().astype(np.uint8), "L").save(path)
    return path


@pytest.fixture(scope="session")
def bad_uploads(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad-uploads")
    text = folder / "notes.png"
    text.write_text("these are not pixels")
    huge = folder / "huge.png"
    Image.new("L", (6000, 5000), 255).save(huge)  # 30 Mpx, a few KB on disk
    return {"text": text, "huge": huge}
