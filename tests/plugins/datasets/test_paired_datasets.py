"""Paired image-to-image datasets: edges2fashion's edge maps and the pix2pix folder format."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import real_data
from PIL import Image

from ganzoo.data import build_dataset
from ganzoo.errors import DataUnavailableError, UsageError
from ganzoo.train import TrainConfig, Trainer

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def edges():
    return real_data("edges2fashion", "test", limit=300)


# -- edges2fashion --------------------------------------------------------------------------------------
def test_items_pair_each_garment_with_its_edges(edges):
    garments = build_dataset("fashion-mnist", "test", limit=300)
    assert len(edges) == 300 and torch.equal(edges.images, garments.images)
    item = edges[7]
    assert set(item) == {"source", "image", "label", "source_label"}
    assert item["source"].shape == item["image"].shape == (1, 28, 28)
    assert item["label"] == item["source_label"] == int(garments.labels[7])
    assert torch.equal(item["image"], garments[7]["image"])
    batch = edges.get_batch(torch.tensor([3, 7]))
    assert torch.equal(batch["source"][1], item["source"]) and batch["label"].tolist() == batch["source_label"].tolist()
    info = edges.info
    assert (info.name, info.channels, info.size, info.source_channels) == ("edges2fashion", 1, 28, 1)
    assert info.license == "MIT"
    assert info.domains == {"a": "edge map", "b": "garment"} and info.num_classes == 10
    assert "canny" in info.source.lower() and edges.paired is True


def test_edges_are_deterministic_and_independent_of_the_subset(edges):
    again = build_dataset("edges2fashion", "test", limit=300)
    assert torch.equal(again.sources, edges.sources)
    first = build_dataset("edges2fashion", "test", limit=64)  # computed in another batch shape
    assert torch.equal(first.sources, edges.sources[:64])


def test_edges_match_kornias_canny_with_hysteresis(edges):
    import kornia

    from ganzoo_datasets.edges import CANNY

    pixels = edges.images[:64].float() / 255
    _, reference = kornia.filters.canny(pixels, **CANNY, hysteresis=True)
    assert torch.equal(edges.sources[:64] == 0, reference.bool())


def test_edges_are_outlines(edges):
    sources, garments = edges.sources, edges.images
    assert set(sources.unique().tolist()) == {0, 255}  # binary: black lines on white
    edge = sources == 0
    assert 0.05 < float(edge.float().mean()) < 0.3  # mostly background
    body = (garments > 40).float()
    grown = F.max_pool2d(body, 3, 1, 1) > 0
    shrunk = -F.max_pool2d(-body, 3, 1, 1) > 0
    outline = grown & ~shrunk  # within a pixel of the garment's border
    empty = ~(F.max_pool2d(body, 7, 1, 3) > 0)  # three pixels or more away from the garment
    assert float(edge[outline].float().mean()) > 0.3
    assert float(edge[empty].float().mean()) < 0.01
    assert float(edge[outline].float().mean()) > 30 * float(edge[empty].float().mean())


def test_class_selection(edges):
    sneakers = build_dataset("edges2fashion", "test", classes=["Sneaker"], limit=20)
    assert sneakers.info.classes == ["Sneaker"] and len(sneakers) == 20
    assert set(sneakers.labels.tolist()) == {0} and set(sneakers.source_labels.tolist()) == {0}
    with pytest.raises(UsageError, match="no split"):
        build_dataset("edges2fashion", "val")


# -- paired-folder --------------------------------------------------------------------------------------
def _pair(path, height: int, left: tuple[int, int, int], right: tuple[int, int, int], width: int | None = None):
    pixels = np.zeros((height, width or 2 * height, 3), dtype=np.uint8)
    half = (width or 2 * height) // 2
    pixels[:, :half] = left
    pixels[:, half:] = right
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def _colour(image: torch.Tensor) -> list[int]:
    return [round((v + 1) * 127.5) for v in image[:, 0, 0].tolist()]


@pytest.fixture
def facades(tmp_path):
    """A tiny dataset in the pix2pix layout: red|blue pairs for training, green|white for testing."""
    root = tmp_path / "facades"
    for i in range(4):
        _pair(root / "train" / f"{i}.jpg" if i % 2 else root / "train" / f"{i}.png", 24, (255, 0, 0), (0, 0, 255))
    _pair(root / "test" / "1.png", 20, (0, 255, 0), (255, 255, 255))
    (root / "val").mkdir()
    (root / "train" / "README.txt").write_text("not an image, and not named like one")
    return root


def test_paired_folder_splits_a_and_b(facades):
    ds = build_dataset("paired-folder", "train", root=facades, size=16)
    assert len(ds) == 4 and ds.paired is True
    item = ds[0]
    assert set(item) == {"source", "image"}
    assert item["source"].shape == item["image"].shape == (3, 16, 16)
    assert _colour(item["source"]) == [255, 0, 0] and _colour(item["image"]) == [0, 0, 255]
    assert ds.info.domains == {"a": "A", "b": "B"} and ds.info.source_channels == 3

    reverse = build_dataset("paired-folder", "train", root=facades, size=16, direction="BtoA",
                            domains="labels,photo")
    assert _colour(reverse[0]["source"]) == [0, 0, 255] and _colour(reverse[0]["image"]) == [255, 0, 0]
    assert reverse.info.domains == {"a": "photo", "b": "labels"}


def test_paired_folder_sizes_and_gray(facades):
    test = build_dataset("paired-folder", "test", root=facades, size=20, channels=1)
    item = test[0]
    assert item["source"].shape == (1, 20, 20) and test.info.channels == test.info.source_channels == 1
    green = round(0.299 * 0 + 0.587 * 255 + 0.114 * 0)  # ITU-R 601 luma, as Pillow converts
    assert abs(_colour(item["source"])[0] - green) <= 1 and _colour(item["image"]) == [255]
    big = build_dataset("paired-folder", "test", root=facades, size=64)
    assert big[0]["image"].shape == (3, 64, 64)


@pytest.mark.parametrize(("options", "error", "words"), [
    ({"split": "val"}, DataUnavailableError, "no images"),
    ({"root": "missing"}, DataUnavailableError, "not a folder"),
    ({"direction": "sideways"}, UsageError, "AtoB"),
    ({"channels": 2}, UsageError, "1 or 3"),
    ({"domains": "just-one"}, UsageError, "left and right"),
    ({"split": "extra"}, UsageError, "train, val, test"),
])
def test_paired_folder_option_errors(facades, options, error, words):
    options = dict(options)
    split = options.pop("split", "train")
    root = facades / options.pop("root") if "root" in options else facades
    with pytest.raises(error, match=words) as caught:
        build_dataset("paired-folder", split, root=root, **options)
    assert "\n" not in str(caught.value)


def test_paired_folder_missing_split_and_root(tmp_path):
    (tmp_path / "maps" / "train").mkdir(parents=True)
    with pytest.raises(DataUnavailableError, match="no split folder .*test.*train") as caught:
        build_dataset("paired-folder", "test", root=tmp_path / "maps")
    assert "\n" not in str(caught.value)
    with pytest.raises(UsageError, match="needs root="):
        build_dataset("paired-folder")


def test_paired_folder_bad_files(tmp_path):
    root = tmp_path / "data"
    _pair(root / "train" / "a.png", 10, (0, 0, 0), (255, 255, 255), width=25)  # not 2:1
    with pytest.raises(UsageError, match="25x10.*twice their height"):
        build_dataset("paired-folder", root=root, size=8)  # the first file is checked when building
    (root / "train" / "a.png").unlink()
    _pair(root / "train" / "a.png", 10, (0, 0, 0), (255, 255, 255))
    (root / "train" / "b.png").write_bytes(b"this is not a picture")
    ds = build_dataset("paired-folder", root=root, size=8)
    with pytest.raises(UsageError, match="b.png: not an image") as caught:
        ds[1]
    assert "\n" not in str(caught.value)


def test_pix2pix_trains_on_a_paired_folder(facades, tmp_path):
    """The engine fills the model's input channels, size and domains from the dataset."""
    config = TrainConfig("pix2pix", "paired-folder", data_options={"root": str(facades), "size": 16,
                                                                   "domains": "labels,photo"},
                         arch_options={"base_channels": 2}, batch_size=2, max_steps=2, precision="fp32",
                         device="cpu", out=str(tmp_path / "run"), quiet=True, log_every=1, seed=0)
    result = Trainer(config).fit()
    assert result.step == 2
    kwargs = json.loads((tmp_path / "run" / "config.json").read_text())["architecture"]["kwargs"]
    assert (kwargs["image_size"], kwargs["in_channels"], kwargs["channels"]) == (16, 3, 3)
    assert kwargs["domains"] == {"a": "labels", "b": "photo"}
