"""Unpaired datasets: two Fashion-MNIST classes as domains, and a folder laid out like CycleGAN's data."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from ganzoo.data import DatasetInfo, InMemoryImages, build_dataset
from ganzoo.errors import DataUnavailableError, GanzooError, UsageError
from ganzoo.train import TrainConfig, train
from ganzoo_datasets.unpaired import UnpairedImages

pytestmark = pytest.mark.usefixtures("one_thread")


# -- fashion-domains ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sneakers_and_boots():
    return build_dataset("fashion-domains", "test")


def test_two_classes_of_the_real_test_split(sneakers_and_boots):
    ds = sneakers_and_boots
    assert len(ds) == 1000  # 1,000 sneakers and 1,000 ankle boots in the test split
    info = ds.info
    assert isinstance(info, DatasetInfo) and info.domains == {"a": "Sneaker", "b": "Ankle boot"}
    assert (info.channels, info.size, info.license, info.split) == (1, 28, "MIT", "test")
    assert info.classes[7] == "Sneaker" and info.classes[9] == "Ankle boot"
    assert ds.paired is False
    item = ds[0]
    assert set(item) == {"source", "image", "label", "source_label"}
    assert item["source"].shape == item["image"].shape == (1, 28, 28)
    assert (item["source_label"], item["label"]) == (7, 9)  # Fashion-MNIST's indices, for its classifier
    assert float(item["image"].min()) >= -1.0 and float(item["image"].max()) <= 1.0


def test_get_batch_equals_the_items_and_covers_each_domain_once(sneakers_and_boots):
    ds = sneakers_and_boots
    index = torch.tensor([5, 0, 999, 17])
    batch = ds.get_batch(index)
    for row, i in enumerate(index.tolist()):
        item = ds[i]
        assert torch.equal(batch["source"][row], item["source"]) and torch.equal(batch["image"][row], item["image"])
        assert int(batch["label"][row]) == item["label"] and int(batch["source_label"][row]) == item["source_label"]
    a, b = ds.pair(torch.arange(len(ds)))
    assert sorted(a.tolist()) == sorted(b.tolist()) == list(range(1000))  # a permutation: each image once
    assert not torch.equal(a, b)  # B is not simply lined up with A
    with pytest.raises(IndexError):
        ds[1000]


def test_pairing_is_fixed_and_limit_applies_per_domain():
    first = build_dataset("fashion-domains", "test", limit=30)
    again = build_dataset("fashion-domains", "test", limit=30)
    assert len(first) == 30
    assert torch.equal(first.get_batch(torch.arange(30))["image"], again.get_batch(torch.arange(30))["image"])


def test_other_classes_by_name_or_index():
    ds = build_dataset("fashion-domains", "test", a="sandal", b=7, limit=8)
    assert ds.info.domains == {"a": "Sandal", "b": "Sneaker"}
    batch = ds.get_batch(torch.arange(8))
    assert set(batch["source_label"].tolist()) == {5} and set(batch["label"].tolist()) == {7}


@pytest.mark.parametrize(("options", "message"), [
    ({"a": "Sneaker", "b": "sneaker"}, "name the same class"),
    ({"a": "Boot"}, "has no class 'Boot'"),
    ({"a": "Sneaker,Bag"}, "names one Fashion-MNIST class"),
    ({"limit": 0}, "must be at least 1"),
])
def test_bad_fashion_domains_options(options, message):
    with pytest.raises(UsageError, match=message) as info:
        build_dataset("fashion-domains", "test", **options)
    assert "\n" not in str(info.value)


def test_unequal_domains_cycle_the_smaller_one():
    def domain(n, value):
        info = DatasetInfo(name="x", split="train", channels=1, size=2)
        return InMemoryImages(torch.full((n, 1, 2, 2), value, dtype=torch.uint8), torch.arange(n), info)

    info = DatasetInfo(name="x", split="train", channels=1, size=2, domains={"a": "A", "b": "B"})
    ds = UnpairedImages(domain(10, 0), domain(4, 255), info)
    assert len(ds) == 10
    batch = ds.get_batch(torch.arange(10))
    assert batch["source_label"].tolist() == list(range(10))
    assert sorted(set(batch["label"].tolist())) == [0, 1, 2, 3]
    assert float(batch["source"].max()) == -1.0 and float(batch["image"].min()) == 1.0


# -- unpaired-folder ------------------------------------------------------------------------------------
def make_domains(root, counts=(("trainA", 3), ("trainB", 5), ("testA", 2), ("testB", 2))):
    for folder, count in counts:
        (root / folder).mkdir(parents=True)
        for i in range(count):
            colour = (40 * i, 200, 10) if folder.endswith("A") else (250, 20 * i, 90)
            Image.new("RGB", (20 + i, 16), colour).save(root / folder / f"{i:02d}.png")
    return root


def test_folder_items_are_source_and_image(tmp_path):
    root = make_domains(tmp_path / "data")
    Image.new("RGBA", (16, 16), (0, 0, 0, 0)).save(root / "trainA" / "zz_transparent.png")  # 4 A images now
    ds = build_dataset("unpaired-folder", root=str(root), size=8, a="horse", b="zebra")
    assert len(ds) == 5 and ds.info.domains == {"a": "horse", "b": "zebra"} and ds.info.channels == 3
    item = ds[0]
    assert set(item) == {"source", "image"}
    assert item["source"].shape == item["image"].shape == (3, 8, 8)
    assert torch.allclose(ds[3]["source"], torch.ones(3, 8, 8))  # transparency composited onto white
    assert float(item["source"][1].mean()) > 0.5 and float(item["image"][0].mean()) > 0.9  # green A, red B
    test = build_dataset("unpaired-folder", "test", root=str(root), size=8, channels=1)
    assert len(test) == 2 and test[1]["image"].shape == (1, 8, 8)


def test_folder_errors_are_one_line(tmp_path):
    def error(**options):
        with pytest.raises(GanzooError) as info:
            build_dataset("unpaired-folder", **options)
        assert "\n" not in str(info.value)
        return info.value

    assert isinstance(error(), UsageError) and "needs root=" in str(error())
    assert isinstance(error(root=str(tmp_path / "nowhere")), DataUnavailableError)
    make_domains(tmp_path / "half", counts=(("trainA", 2),))
    assert "no trainB/ folder" in str(error(root=str(tmp_path / "half")))
    (tmp_path / "half" / "trainB").mkdir()
    assert "no images" in str(error(root=str(tmp_path / "half")))
    root = make_domains(tmp_path / "ok")
    assert "must be 1 or 3" in str(error(root=str(root), channels=2))
    assert "has no split 'val'" in str(error(root=str(root), split="val"))
    (root / "trainA" / "broken.png").write_bytes(b"not a picture")
    ds = build_dataset("unpaired-folder", root=str(root), size=8)
    with pytest.raises(UsageError, match="broken.png"):
        ds[ds.files_a.index(root / "trainA" / "broken.png")]


def test_cyclegan_trains_from_a_folder(tmp_path):
    root = make_domains(tmp_path / "data", counts=(("trainA", 4), ("trainB", 4), ("testA", 2), ("testB", 2)))
    cfg = TrainConfig.for_arch("cyclegan", "unpaired-folder", data_options={"root": str(root), "size": 16},
                               arch_options={"base_channels": 4, "n_blocks": 1, "d_channels": 4}, batch_size=4,
                               max_steps=2, precision="fp32", device="cpu", quiet=True, sample_count=2,
                               out=str(tmp_path / "run"))
    result = train(cfg)
    assert result.step == 2
    assert result.metrics and torch.isfinite(torch.tensor(result.metrics["g_loss"]))
