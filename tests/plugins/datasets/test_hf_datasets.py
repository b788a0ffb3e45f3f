"""The ``hf:`` data source on local folders in the Hub's layouts: parsing, reading, options, bad input.

The Hub itself (through a local server) is covered by tests/hub/test_hub_datasets.py; here the
same code reads parquet files and an imagefolder from disk, with the datasets cache in tmp_path.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from hf_sets import CIFAR10_NAMES, cifar_schema_set, imagefolder_set, pixels

from ganzoo.data import build_dataset, dataset_spec
from ganzoo.errors import DataUnavailableError, UsageError

pytest.importorskip("datasets", reason="the hub-datasets extra (datasets) is part of the test extra")

from ganzoo_datasets.hf import HfName, parse_hf_name  # noqa: E402


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private datasets cache, so runs never share or touch the user's."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-home" / "datasets"))
    import datasets.config

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-home" / "datasets")
    return tmp_path / "hf-home" / "datasets"


@pytest.fixture
def cifar_dir(tmp_path):
    return cifar_schema_set(tmp_path / "tiny-cifar")


@pytest.mark.parametrize(("text", "expected"), [
    ("uoft-cs/cifar10", HfName(repo_id="uoft-cs/cifar10")),
    ("hf:uoft-cs/cifar10@main", HfName(repo_id="uoft-cs/cifar10", revision="main")),
    ("huggan/smithsonian_butterflies_subset:train", HfName(repo_id="huggan/smithsonian_butterflies_subset", split="train")),
    ("a.b/c_d-e@v1.0:test", HfName(repo_id="a.b/c_d-e", revision="v1.0", split="test")),
])
def test_parse_hub_names(text, expected):
    assert parse_hf_name(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty data set name after 'hf:'"),
    ("cifar10", "bad Hub data set name 'hf:cifar10'; expected hf:owner/name[@revision][:split]"),
    ("a/b/c", "bad Hub data set name"),
    ("own er/x", "bad Hub data set name"),
    ("a--b/c", "bad Hub data set name"),
    ("owner/name@", "empty revision in 'hf:owner/name@'"),
    ("owner/name:", "empty split in 'hf:owner/name:'"),
])
def test_bad_names_are_one_line_usage_errors(text, message):
    with pytest.raises(UsageError) as info:
        parse_hf_name(text)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_local_folder_names(tmp_path):
    (tmp_path / "set").mkdir()
    assert parse_hf_name(str(tmp_path / "set")) == HfName(path=(tmp_path / "set").resolve())
    assert parse_hf_name(f"{tmp_path / 'set'}:test") == HfName(path=(tmp_path / "set").resolve(), split="test")
    with pytest.raises(DataUnavailableError, match="no such folder: .*missing; give hf:FOLDER"):
        parse_hf_name(str(tmp_path / "missing"))


def test_the_prefix_routes_to_the_hf_entry():
    spec, carried = dataset_spec("hf:uoft-cs/cifar10@main:test")
    assert spec.name == "hf" and carried == {"source": "uoft-cs/cifar10@main:test"}
    assert dataset_spec("cifar10") == (dataset_spec("cifar10")[0], {})


def test_cifar_schema_parquet_reads_images_and_class_names(cache, cifar_dir):
    ds = build_dataset(f"hf:{cifar_dir}")
    info = ds.info
    assert (info.name, info.split, info.channels, info.size, info.classes) == (
        f"hf:{cifar_dir.resolve()}", "train", 3, 32, CIFAR10_NAMES)
    assert info.license == "mit"  # from the folder's card
    assert len(ds) == 20
    item = ds[13]
    assert item["label"] == 3 and item["image"].shape == (3, 32, 32)
    expected = torch.from_numpy(pixels(13)).permute(2, 0, 1).float() / 127.5 - 1
    assert torch.allclose(item["image"], expected)  # the very pixels written, in [-1, 1]
    assert list(cache.rglob("*.arrow"))  # prepared once into the datasets cache (memory-mapped)

    test = build_dataset(f"hf:{cifar_dir}:test")
    assert test.info.split == "test" and len(test) == 10
    assert build_dataset(f"hf:{cifar_dir}", "test").info.split == "test"  # evaluation's ask for the test split


def test_options_size_channels_classes_limit(cache, cifar_dir):
    ds = build_dataset(f"hf:{cifar_dir}", size=16, channels=1, classes="frog,cat", limit=3)
    assert ds.info.classes == ["cat", "frog"] and ds.info.channels == 1 and ds.info.size == 16
    assert len(ds) == 3
    assert [ds[i]["label"] for i in range(3)] == [0, 1, 0]  # rows 3, 6, 13: cat, frog, cat relabelled
    assert ds[0]["image"].shape == (1, 16, 16)
    unlabelled = build_dataset(f"hf:{cifar_dir}", label_column="none")
    assert unlabelled.info.classes is None and "label" not in unlabelled[0]


def test_imagefolder_with_metadata(cache, tmp_path):
    folder = imagefolder_set(tmp_path / "pets")
    ds = build_dataset(f"hf:{folder}")
    assert len(ds) == 12 and ds.info.size == 24 and ds.info.channels == 3
    image = ds[0]["image"]
    assert image.shape == (3, 24, 24) and image.std() > 0


@pytest.mark.parametrize(("options", "message"), [
    ({"image_column": "picture"}, "has no column 'picture'; its columns: img (Image), label (ClassLabel)"),
    ({"image_column": "label"}, "column 'label' of data set hf:{dir} is a ClassLabel, not an Image"),
    ({"label_column": "img"}, "column 'img' of data set hf:{dir} is a Image, not a ClassLabel"),
    ({"classes": "unicorn"}, "has no class 'unicorn'; its classes are 'airplane'"),
    ({"channels": 4}, "option channels=4 of data set hf:{dir} must be 1 or 3"),
    ({"size": 0}, "option size=0 of dataset 'hf:{dir}' must be at least 1"),
    ({"colour": "red"}, "bad options for dataset 'hf:{dir}'"),
])
def test_bad_options_are_one_line_usage_errors(cache, cifar_dir, options, message):
    with pytest.raises(UsageError) as info:
        build_dataset(f"hf:{cifar_dir}", **options)
    text = str(info.value)
    assert message.format(dir=cifar_dir.resolve()) in text and "\n" not in text


def test_wrong_split_lists_the_splits(cache, cifar_dir):
    with pytest.raises(UsageError, match=r"has no split 'validation'; choose one of: train, test"):
        build_dataset(f"hf:{cifar_dir}:validation")


def test_no_image_column_says_how_to_name_one(cache, tmp_path):
    import datasets

    folder = tmp_path / "numbers"
    folder.mkdir()
    datasets.Dataset.from_dict({"x": [1, 2, 3]}).to_parquet(str(folder / "train.parquet"))
    with pytest.raises(UsageError, match=r"has no Image column \(its columns: x \(Value\)\); name one with "
                                         r"--data image_column=NAME"):
        build_dataset(f"hf:{folder}")


def test_unreadable_image_is_named_by_row(cache, tmp_path):
    folder = cifar_schema_set(tmp_path / "broken", broken_row=4)
    ds = build_dataset(f"hf:{folder}")
    assert ds[3]["image"].shape == (3, 32, 32)  # the rows around it still read
    with pytest.raises(DataUnavailableError) as info:
        ds[4]
    text = str(info.value)
    assert text.startswith("cannot read row 4 of hf:") and "column 'img'" in text and "fix or drop that image" in text


def test_oversized_image_hits_the_pixel_limit(cache, cifar_dir, monkeypatch):
    monkeypatch.setenv("GANZOO_MAX_IMAGE_PIXELS", "1000")
    with pytest.raises(DataUnavailableError) as info:
        build_dataset(f"hf:{cifar_dir}")
    assert "is 32x32 = 1,024 pixels, more than the limit of 1,000" in str(info.value)
    assert "GANZOO_MAX_IMAGE_PIXELS=1024" in str(info.value)


def test_corrupt_cached_file_is_named(cache, cifar_dir):
    build_dataset(f"hf:{cifar_dir}")
    arrow = sorted(cache.rglob("*-train.arrow"))
    assert arrow
    arrow[0].write_bytes(arrow[0].read_bytes()[:100])  # truncated, as a full disk or a killed copy leaves it
    with pytest.raises(DataUnavailableError) as info:
        build_dataset(f"hf:{cifar_dir}")
    text = str(info.value)
    assert text.startswith(f"the cached copy of data set hf:{cifar_dir.resolve()} is damaged ({arrow[0]}: ")
    assert "delete " in text and "run again to prepare it afresh" in text and "\n" not in text


def test_without_the_datasets_library_says_what_to_install(cifar_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "datasets", None)
    with pytest.raises(UsageError, match=r"Hub data sets need the 'datasets' library: pip install 'ganzoo\[hub-datasets\]'"):
        build_dataset(f"hf:{cifar_dir}")


def test_items_decode_lazily(cache, cifar_dir):
    ds = build_dataset(f"hf:{cifar_dir}")
    assert not hasattr(ds, "images")  # nothing decoded up front: a row is read when asked for
    assert np.asarray(ds.table.data.column("label")).shape == (20,)  # the table itself is Arrow, not tensors


def test_eval_references_name_hub_sets_and_their_splits():
    from ganzoo.eval.names import ReferenceSpec, parse_reference

    assert parse_reference("hf:uoft-cs/cifar10") == ReferenceSpec("hf:uoft-cs/cifar10", "test")
    assert parse_reference("hf:uoft-cs/cifar10@main:train") == ReferenceSpec("hf:uoft-cs/cifar10@main", "train")
    assert parse_reference("hf:uoft-cs/cifar10:test").baseline() == ReferenceSpec("hf:uoft-cs/cifar10", "train")
    assert parse_reference("cifar10:test") == ReferenceSpec("cifar10", "test")  # registered names as before
