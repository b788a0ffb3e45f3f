"""The built-in datasets: real Fashion-MNIST from Debian's package, small files written here.

Image folders are tested in ``test_datasets_image_folder.py``.

No test reaches the network: an autouse fixture makes every URL open and socket connection
fail, which is what torchvision meets on an offline machine.
"""

from __future__ import annotations

import ast
import gzip
import socket
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import FASHION_MNIST_DIR
from test_datasets_files import CIFAR_CLASSES, write_cifar_archive, write_cifar_folder, write_idx, write_mnist_split

from ganzoo.data import DatasetInfo, InMemoryImages, build_dataset, resolve_classes, search_roots
from ganzoo.errors import DataUnavailableError, UnknownNameError, UsageError
from ganzoo.plugins import get_registry

FASHION = Path(FASHION_MNIST_DIR)
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                   "Bag", "Ankle boot"]


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """Every download attempt fails at once, as on a machine without internet."""
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network disabled in tests")

    def refuse_socket(*args, **kwargs):
        raise OSError("network disabled in tests")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse_socket)
    monkeypatch.delenv("GANZOO_DATA_DIR", raising=False)


@pytest.fixture
def no_local_copies(monkeypatch, ganzoo_home):
    """Nothing in the system folders nor the download folder: only a download could help."""
    from ganzoo_datasets import mnist

    monkeypatch.setitem(mnist.SYSTEM_DIRS, "fashion-mnist", ())
    monkeypatch.setitem(mnist.SYSTEM_DIRS, "mnist", ())
    return ganzoo_home


@pytest.fixture(scope="module")
def fashion_train():
    return build_dataset("fashion-mnist", "train")


@pytest.fixture(scope="module")
def fashion_test():
    return build_dataset("fashion-mnist", "test")


# -- Fashion-MNIST from the Debian package -----------------------------------------------------
def test_fashion_mnist_train_is_the_published_set(fashion_train):
    ds = fashion_train
    assert len(ds) == 60_000
    assert ds.images.dtype == torch.uint8 and ds.images.shape == (60_000, 1, 28, 28)
    assert ds.labels.dtype == torch.int64 and ds.labels.shape == (60_000,)
    assert torch.bincount(ds.labels, minlength=10).tolist() == [6_000] * 10
    assert int(ds.labels[0]) == 9  # the first training image is an ankle boot
    assert ds.info.classes == FASHION_CLASSES and ds.info.num_classes == 10
    assert (ds.info.name, ds.info.split, ds.info.channels, ds.info.size) == ("fashion-mnist", "train", 1, 28)
    assert ds.info.license == "MIT"
    item = ds[0]
    assert item["image"].dtype == torch.float32 and item["image"].shape == (1, 28, 28)
    assert item["label"] == 9 and isinstance(item["label"], int)


def test_fashion_mnist_test_split_and_value_range(fashion_test):
    ds = fashion_test
    assert len(ds) == 10_000
    assert torch.bincount(ds.labels, minlength=10).tolist() == [1_000] * 10
    assert int(ds.labels.min()) >= 0 and int(ds.labels.max()) <= 9
    batch = ds.get_batch(torch.arange(2_000))["image"]
    assert batch.min().item() == -1.0 and batch.max().item() == 1.0


def test_get_batch_equals_stacked_items(fashion_test):
    indices = torch.tensor([0, 17, 9_999, 4_242, 17])
    batch = fashion_test.get_batch(indices)
    items = [fashion_test[int(i)] for i in indices]
    assert torch.equal(batch["image"], torch.stack([it["image"] for it in items]))
    assert batch["label"].dtype == torch.int64
    assert batch["label"].tolist() == [it["label"] for it in items]


def test_class_filtering_relabels_in_class_order(fashion_test):
    ds = build_dataset("fashion-mnist", "test", classes=["bag", "Sneaker"])
    assert len(ds) == 2_000
    assert ds.info.classes == ["Sneaker", "Bag"] and ds.info.num_classes == 2
    assert torch.bincount(ds.labels).tolist() == [1_000, 1_000]
    sneakers = fashion_test.images[fashion_test.labels == 7]
    assert torch.equal(ds.images[ds.labels == 0], sneakers)
    by_index = build_dataset("fashion-mnist", "test", classes="7,8")
    assert torch.equal(by_index.images, ds.images)


def test_limit_keeps_the_first_items_after_filtering(fashion_test):
    ds = build_dataset("fashion-mnist", "test", limit=10)
    assert len(ds) == 10 and torch.equal(ds.images, fashion_test.images[:10])
    bags = build_dataset("fashion-mnist", "test", classes=[8], limit=5)
    assert len(bags) == 5 and bags.labels.tolist() == [0] * 5
    assert torch.equal(bags.images, fashion_test.images[fashion_test.labels == 8][:5])


def test_size_resizes_in_memory():
    ds = build_dataset("fashion-mnist", "test", size=32, limit=64)
    assert ds.images.shape == (64, 1, 32, 32) and ds.info.size == 32
    image = ds[3]["image"]
    assert image.shape == (1, 32, 32) and image.min() >= -1.0 and image.max() <= 1.0


def test_root_with_torchvision_layout(tmp_path, fashion_test):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for stem in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (raw / stem).write_bytes(gzip.decompress((FASHION / f"{stem}.gz").read_bytes()))
    ds = build_dataset("fashion-mnist", "test", root=tmp_path, download=False)
    assert torch.equal(ds.images, fashion_test.images) and torch.equal(ds.labels, fashion_test.labels)


def test_ganzoo_data_dir_comes_before_system_folders(tmp_path, monkeypatch):
    folder = tmp_path / "data" / "fashion-mnist"
    images = np.arange(3 * 28 * 28, dtype=np.uint64).reshape(3, 28, 28).astype(np.uint8)
    write_mnist_split(folder, "test", images, np.array([1, 2, 3]), compress=True)
    monkeypatch.setenv("GANZOO_DATA_DIR", str(tmp_path / "data"))
    ds = build_dataset("fashion-mnist", "test", download=False)
    assert len(ds) == 3 and ds.labels.tolist() == [1, 2, 3]
    assert torch.equal(ds.images[:, 0], torch.from_numpy(images))


@pytest.mark.parametrize("damage", ["magic", "count", "truncated-gzip", "label-range", "mismatch"])
def test_corrupt_idx_files_are_a_clear_error(tmp_path, damage):
    images = np.zeros((4, 28, 28), dtype=np.uint8)
    labels = np.array([0, 1, 2, 3], dtype=np.uint8)
    write_mnist_split(tmp_path, "test", images, labels)
    label_file = tmp_path / "t10k-labels-idx1-ubyte"
    image_file = tmp_path / "t10k-images-idx3-ubyte"
    if damage == "magic":
        data = bytearray(label_file.read_bytes())
        data[0:4] = b"\x12\x34\x08\x01"
        label_file.write_bytes(bytes(data))
    elif damage == "count":
        image_file.write_bytes(image_file.read_bytes()[:-100])
    elif damage == "truncated-gzip":
        image_file.unlink()
        gz = write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images, compress=True)
        gz.write_bytes(gz.read_bytes()[:40])
    elif damage == "label-range":
        write_idx(label_file, np.array([0, 1, 2, 10], dtype=np.uint8))
    else:
        write_idx(label_file, labels[:3])
    with pytest.raises(DataUnavailableError) as raised:
        build_dataset("fashion-mnist", "test", root=tmp_path, download=False)
    assert str(tmp_path) in str(raised.value) and "\n" not in str(raised.value)


def test_missing_fashion_mnist_offline_says_apt_get(no_local_copies):
    with pytest.raises(DataUnavailableError) as raised:
        build_dataset("fashion-mnist", "train")
    message = str(raised.value)
    assert "apt-get install dataset-fashion-mnist" in message and "root=" in message
    assert "downloading it failed" in message and "\n" not in message
    # torchvision tried to download into ganzoo's data folder, and was refused by the fixture
    assert (no_local_copies / "ganzoo-home" / "data" / "fashion-mnist" / "FashionMNIST" / "raw").is_dir()


def test_download_false_never_calls_torchvision(no_local_copies, monkeypatch):
    from ganzoo_datasets import cifar, mnist

    def explode(*args, **kwargs):
        raise AssertionError("download attempted")

    monkeypatch.setattr(mnist, "_download", explode)
    monkeypatch.setattr(cifar, "_download", explode)
    with pytest.raises(DataUnavailableError, match="download=False.*apt-get"):
        build_dataset("fashion-mnist", "test", download=False)
    with pytest.raises(DataUnavailableError, match="download=False"):
        build_dataset("cifar10", "test", download="false")  # as a command line spells it
    with pytest.raises(UsageError, match="true or false"):
        build_dataset("mnist", "test", download="maybe")


def test_search_order_is_root_then_env_then_system_then_cache(tmp_path, monkeypatch, ganzoo_home):
    assert search_roots("x", root=tmp_path, system_dirs=["/sys-dir"]) == [tmp_path]
    monkeypatch.setenv("GANZOO_DATA_DIR", str(tmp_path / "env"))
    assert search_roots("x", system_dirs=["/sys-dir"]) == [
        tmp_path / "env" / "x", Path("/sys-dir"), ganzoo_home / "ganzoo-home" / "data" / "x"]


# -- MNIST ---------------------------------------------------------------------------------------
def test_mnist_reads_a_root_folder(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(6, 28, 28), dtype=np.uint8)
    write_mnist_split(tmp_path / "MNIST" / "raw", "train", images, np.array([5, 0, 4, 1, 9, 2]), compress=True)
    ds = build_dataset("mnist", "train", root=tmp_path, classes=["4", "5"])
    assert ds.info.classes == ["4", "5"] and ds.labels.tolist() == [1, 0]
    assert torch.equal(ds.images[:, 0], torch.from_numpy(images[[0, 2]]))


def test_missing_mnist_offline_is_a_clear_error(no_local_copies):
    with pytest.raises(DataUnavailableError) as raised:
        build_dataset("mnist", "test")
    message = str(raised.value)
    assert "MNIST" in message and "root=" in message and "GANZOO_DATA_DIR" in message
    assert "apt-get" not in message and "\n" not in message


# -- CIFAR-10 ------------------------------------------------------------------------------------
def test_cifar10_offline_says_where_to_put_the_files(ganzoo_home):
    with pytest.raises(DataUnavailableError) as raised:
        build_dataset("cifar10", "train")
    message = str(raised.value)
    assert "cifar-10-python.tar.gz" in message and "cifar-10-batches-py" in message
    assert "GANZOO_DATA_DIR" in message and "root=" in message and "\n" not in message


def test_cifar10_reads_pickled_batches(tmp_path):
    write_cifar_folder(tmp_path, per_batch=4)
    ds = build_dataset("cifar10", "train", root=tmp_path, download=False)
    assert len(ds) == 20 and ds.images.shape == (20, 3, 32, 32)
    assert ds.info.classes == CIFAR_CLASSES and ds.info.channels == 3 and ds.info.size == 32
    assert ds.labels[:8].tolist() == [0, 1, 2, 3, 1, 2, 3, 4]  # batches 1 and 2, labels from b
    assert ds.images[2, :, 0, 0].tolist() == [20, 100, 198]  # red, green, blue planes in order
    test = build_dataset("cifar10", "test", root=tmp_path / "cifar-10-batches-py", download=False)
    assert len(test) == 4 and test.labels.tolist() == [5, 6, 7, 8]
    batch = ds.get_batch(torch.tensor([3, 0]))
    assert torch.equal(batch["image"], torch.stack([ds[3]["image"], ds[0]["image"]]))


def test_cifar10_class_filter_and_resize(tmp_path):
    write_cifar_folder(tmp_path, per_batch=4)
    frogs = build_dataset("cifar10", "train", root=tmp_path, classes=["frog"], size=64)
    assert len(frogs) == 2 and frogs.info.classes == ["frog"] and frogs.labels.tolist() == [0, 0]
    assert frogs[0]["image"].shape == (3, 64, 64)


def test_cifar10_archive_in_ganzoo_data_dir_is_extracted(tmp_path, monkeypatch):
    write_cifar_archive(tmp_path / "data" / "cifar10", per_batch=2)
    monkeypatch.setenv("GANZOO_DATA_DIR", str(tmp_path / "data"))
    ds = build_dataset("cifar10", "test", download=False)
    assert len(ds) == 2 and (tmp_path / "data" / "cifar10" / "cifar-10-batches-py" / "test_batch").is_file()


def test_cifar10_refuses_pickles_that_are_not_plain_arrays(tmp_path):
    import collections
    import pickle

    folder = write_cifar_folder(tmp_path, per_batch=2)
    (folder / "test_batch").write_bytes(pickle.dumps(collections.OrderedDict(data=1)))
    with pytest.raises(DataUnavailableError, match="refusing to load collections.OrderedDict"):
        build_dataset("cifar10", "test", root=tmp_path, download=False)


# -- fake ----------------------------------------------------------------------------------------
def test_fake_is_deterministic_per_seed_split_and_index():
    a = build_dataset("fake", length=40)
    assert torch.equal(a.images, build_dataset("fake", length=40).images)
    assert torch.equal(build_dataset("fake", length=200).images[:40], a.images)
    assert not torch.equal(build_dataset("fake", length=40, seed=1).images, a.images)
    assert not torch.equal(build_dataset("fake", "test", length=40).images, a.images)
    assert a.labels.tolist() == [i % 10 for i in range(40)]
    assert a.info.classes == [str(k) for k in range(10)] and a.images.shape == (40, 1, 28, 28)


def test_fake_images_are_class_dependent_and_learnable():
    train = build_dataset("fake", length=500, size=16, channels=3, num_classes=5)
    test = build_dataset("fake", "test", length=100, size=16, channels=3, num_classes=5)
    x = train.get_batch(torch.arange(len(train)))
    centroids = torch.stack([x["image"][x["label"] == k].mean(0) for k in range(5)]).flatten(1)
    held_out = test.get_batch(torch.arange(len(test)))
    nearest = torch.cdist(held_out["image"].flatten(1), centroids).argmin(1)
    assert (nearest == held_out["label"]).float().mean() > 0.95
    assert held_out["image"].shape == (100, 3, 16, 16) and held_out["image"].abs().max() <= 1.0
    assert held_out["image"].std() > 0.1  # not a blank canvas


# -- build_dataset and the registry --------------------------------------------------------------
def test_build_dataset_usage_errors():
    with pytest.raises(UnknownNameError, match="did you mean 'fashion-mnist'"):
        build_dataset("fashion_mnist")
    with pytest.raises(UsageError, match="no split 'valid'; choose one of: train, test"):
        build_dataset("fake", "valid")
    with pytest.raises(UsageError, match="options are: size, channels.*'ganzoo info fake'"):
        build_dataset("fake", colour=True)
    with pytest.raises(UsageError, match="no class 'Boot'.*'Ankle boot'"):
        build_dataset("fashion-mnist", "test", classes=["Boot"])
    with pytest.raises(UsageError, match="size"):
        build_dataset("fake", size="big")
    with pytest.raises(UsageError, match="at least 1"):
        build_dataset("fashion-mnist", "test", limit=0)


def test_resolve_classes_accepts_names_indices_and_comma_lists():
    assert resolve_classes("c", CIFAR_CLASSES, None) is None
    assert resolve_classes("c", CIFAR_CLASSES, "frog") == [6]
    assert resolve_classes("c", CIFAR_CLASSES, "Frog, cat") == [3, 6]
    assert resolve_classes("c", CIFAR_CLASSES, [9, "ship", 9]) == [8, 9]
    assert resolve_classes("f", FASHION_CLASSES, "T-shirt/top") == [0]
    with pytest.raises(UsageError):
        resolve_classes("c", CIFAR_CLASSES, [10])


def test_in_memory_base_class_for_third_party_plugins():
    images = torch.arange(4 * 3 * 2 * 2, dtype=torch.uint8).reshape(4, 3, 2, 2)
    info = DatasetInfo(name="tiny", split="train", channels=3, size=2, classes=["a", "b"])
    ds = InMemoryImages(images, torch.tensor([1, 0, 1, 1]), info)
    assert info.num_classes == 2 and info.to_dict()["classes"] == ["a", "b"]
    picked = ds.select([1], limit=2)
    assert len(picked) == 2 and picked.info.classes == ["b"] and torch.equal(picked.images, images[[0, 2]])
    unlabelled = InMemoryImages(images, None, DatasetInfo(name="u", split="train", channels=3))
    assert "label" not in unlabelled[0] and set(unlabelled.get_batch(torch.tensor([0]))) == {"image"}
    with pytest.raises(ValueError):
        InMemoryImages(images.float(), None, info)


def test_every_registered_dataset_carries_its_metadata():
    for spec in get_registry("datasets"):
        meta = spec.metadata
        assert {"channels", "license", "splits", "source"} <= set(meta), spec.name
        assert spec.plugin == "datasets"
    assert get_registry("datasets").get("fashion-mnist").metadata["classes"] == FASHION_CLASSES
    assert get_registry("datasets").get("cifar10").metadata["classes"] == CIFAR_CLASSES


def test_hook_module_imports_no_torch():
    import ganzoo_datasets

    source = (Path(ganzoo_datasets.__file__).parent / "plugin.py").read_text()
    imported = {alias.name.split(".")[0] for node in ast.walk(ast.parse(source))
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])}
    assert imported == {"ganzoo"}


def test_debian_files_are_the_ones_read():
    """A guard for the Makefile/CI: the tests above use the packaged data, not a download."""
    assert sorted(p.name for p in FASHION.iterdir()) == sorted(
        f"{s}.gz" for s in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"))
