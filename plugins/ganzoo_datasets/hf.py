"""Hugging Face Hub data sets through the ``datasets`` library: ``-d hf:owner/name[@revision][:split]``.

``hf:PATH`` reads a local folder in one of the Hub's layouts (parquet files, or an imagefolder
with ``metadata.csv``) the same way. The set is prepared once into the ``datasets`` cache as
Arrow files that are memory-mapped, and each image is decoded when its item is read, so a set
far larger than memory trains in bounded memory and a second run starts from the cache.

Why each step is here:

- a Hub name is resolved to its commit first (``HfApi.dataset_info``), and the prepared data
  must come from that commit: ``datasets`` silently falls back to any cached copy when the Hub
  cannot be asked, which would train on other data than the run records;
- offline (``HF_HUB_OFFLINE=1``, ``ganzoo train --offline`` or ``--data offline=true``) only the
  cache is read, and a set that is not there fails at once with the command that fetches it;
- images are decoded here, not by ``datasets``, so ganzoo's decompression-bomb limit
  (``GANZOO_MAX_IMAGE_PIXELS``) applies and an unreadable image is named by its row.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageOps
from torch.utils.data import Dataset

from ganzoo.plugin import (
    ClassSelection,
    DatasetInfo,
    DataUnavailableError,
    UsageError,
    option_bool,
    option_int,
    resolve_classes,
)
from ganzoo.plugin_blocks import max_image_pixels

PREFIX = "hf:"
INSTALL_HINT = "pip install 'ganzoo[hub-datasets]' (or pip install datasets)"
_REPO_RE = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$", re.ASCII)
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class HfName:
    """What an ``hf:`` data set name says: a Hub repo or a local folder, a revision and a split."""

    repo_id: str | None = None
    path: Path | None = None
    revision: str | None = None
    split: str | None = None

    @property
    def label(self) -> str:
        """The name without revision or split (``hf:owner/name``, ``hf:/abs/folder``), as runs record it."""
        return f"{PREFIX}{self.repo_id}" if self.repo_id else f"{PREFIX}{self.path}"


def parse_hf_name(text: str) -> HfName:
    """Split ``owner/name[@revision][:split]`` or ``PATH[:split]`` (the part after ``hf:``).

    >>> parse_hf_name("uoft-cs/cifar10@main:test")
    HfName(repo_id='uoft-cs/cifar10', path=None, revision='main', split='test')
    """
    body = text.strip().removeprefix(PREFIX)
    if not body:
        raise UsageError("empty data set name after 'hf:'; write hf:owner/name[@revision][:split] or hf:FOLDER")
    local = _local_folder(body)
    if local is not None:
        return local
    head, colon, split = body.partition(":")
    repo_id, at, revision = head.partition("@")
    if not _REPO_RE.match(repo_id) or "--" in repo_id or ".." in repo_id:
        raise UsageError(f"bad Hub data set name 'hf:{body}'; expected hf:owner/name[@revision][:split] (owner and "
                         f"name use ASCII letters, digits, '-', '_' and '.') or hf:FOLDER for a local folder")
    if at and not revision:
        raise UsageError(f"empty revision in 'hf:{body}'; drop the '@' or name a branch, tag or commit")
    if colon and not split:
        raise UsageError(f"empty split in 'hf:{body}'; drop the ':' or name a split such as train or test")
    return HfName(repo_id=repo_id, revision=revision or None, split=split or None)


def _local_folder(body: str) -> HfName | None:
    """A folder (optionally ``FOLDER:split``) when ``body`` names one or looks like a path."""
    looks_like_path = body.startswith((".", "/", "~"))
    whole = Path(body).expanduser()
    if whole.is_dir():
        return HfName(path=whole.resolve())
    head, colon, split = body.rpartition(":")
    if colon and head and Path(head).expanduser().is_dir() and "/" not in split:
        return HfName(path=Path(head).expanduser().resolve(), split=split or None)
    if looks_like_path:
        raise DataUnavailableError(f"no such folder: {whole}; give hf:FOLDER a folder of parquet files or an "
                                   f"imagefolder (images with metadata.csv)")
    return None


# -- reading the data set ----------------------------------------------------------------------
def _datasets_module() -> Any:
    try:
        import datasets
    except ImportError:
        raise UsageError(f"Hub data sets need the 'datasets' library: {INSTALL_HINT}") from None
    return datasets


@contextmanager
def _offline_mode(offline: bool) -> Iterator[None]:
    """huggingface_hub and datasets read HF_HUB_OFFLINE at import; set their flags for this call too.

    The datasets library's own log lines are quietened meanwhile; its progress bars stay."""
    import datasets.config
    import datasets.utils.logging

    verbosity = datasets.utils.logging.get_verbosity()
    datasets.utils.logging.set_verbosity_error()  # "Using the latest cached version ..." is ours to say
    if not offline:
        try:
            yield
        finally:
            datasets.utils.logging.set_verbosity(verbosity)
        return
    from huggingface_hub import constants

    saved = (constants.HF_HUB_OFFLINE, datasets.config.HF_HUB_OFFLINE, os.environ.get("HF_HUB_OFFLINE"))
    constants.HF_HUB_OFFLINE = datasets.config.HF_HUB_OFFLINE = True
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        yield
    finally:
        datasets.utils.logging.set_verbosity(verbosity)
        constants.HF_HUB_OFFLINE, datasets.config.HF_HUB_OFFLINE = saved[0], saved[1]
        if saved[2] is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = saved[2]


def is_offline(offline: Any = None) -> bool:
    """``offline=`` if given, else the environment's ``HF_HUB_OFFLINE``."""
    if offline is not None:
        return option_bool("hf", "offline", offline)
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _fetch_hint(name: HfName) -> str:
    rev = f"@{name.revision}" if name.revision else ""
    return f"ganzoo info {PREFIX}{name.repo_id}{rev}"


def resolve_commit(name: HfName) -> tuple[str, dict[str, Any]]:
    """The commit ``name``'s revision points at now, and the card's metadata; online only."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError

    assert name.repo_id is not None
    try:
        # "main" when none is named, as huggingface_hub's downloads default to (a mirror may not
        # answer the revision-less route)
        info = HfApi().dataset_info(name.repo_id, revision=name.revision or "main")
    except GatedRepoError:
        raise DataUnavailableError(f"Hub data set {name.repo_id} is gated: accept its terms on its Hub page, then log "
                                   f"in with 'hf auth login' (or set HF_TOKEN)") from None
    except RevisionNotFoundError:
        raise DataUnavailableError(f"Hub data set {name.repo_id} has no revision '{name.revision}'; check its "
                                   f"branches, tags and commits on the Hub") from None
    except RepositoryNotFoundError:
        if name.revision and _exists(name.repo_id):  # some servers answer a missing revision so
            raise DataUnavailableError(f"Hub data set {name.repo_id} has no revision '{name.revision}'; check "
                                       f"its branches, tags and commits on the Hub") from None
        raise DataUnavailableError(f"Hub data set {name.repo_id} does not exist or is private; check the name, or log "
                                   f"in with 'hf auth login' (or set HF_TOKEN) if it is yours") from None
    except OSError as exc:  # connection refused, timeouts, proxies: requests' errors are OSErrors
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        raise DataUnavailableError(f"cannot reach the Hub for data set {name.repo_id} ({type(exc).__name__}: "
                                   f"{first}); check the network or HF_ENDPOINT, or train offline "
                                   f"(--offline) from a cached copy") from None
    card_data = getattr(info, "card_data", None)
    card = dict(card_data.to_dict()) if card_data is not None else {}
    if not info.sha:
        raise DataUnavailableError(f"the Hub gave no commit for data set {name.repo_id}; try again later")
    return info.sha, card


def _exists(repo_id: str) -> bool:
    """Whether data set ``repo_id`` answers at its main branch (to tell a bad revision from a bad name)."""
    from huggingface_hub import HfApi

    try:
        HfApi().dataset_info(repo_id, revision="main")
    except Exception:
        return False
    return True


@dataclass
class Prepared:
    """A prepared split: the memory-mapped Arrow table, its commit and the splits the set has."""

    table: Any
    commit: str | None
    splits: list[str]
    card: dict[str, Any]


def prepare(name: HfName, split: str, *, offline: bool) -> Prepared:
    """Download (first time) and prepare ``name`` into the datasets cache; open ``split`` from it."""
    datasets = _datasets_module()
    from datasets.exceptions import DatasetNotFoundError

    commit: str | None = None
    card: dict[str, Any] = {}
    if name.repo_id and not offline:
        commit, card = resolve_commit(name)
    elif name.repo_id and name.revision and not _SHA_RE.match(name.revision):
        raise DataUnavailableError(f"offline, ganzoo cannot tell which commit '{name.revision}' of {name.repo_id} "
                                   f"names; give the full commit sha (runs record it in config.json), or go online")
    where = name.repo_id or str(name.path)
    if name.path is not None and (name.path / "README.md").is_file():
        card = _local_card(name.path / "README.md")
    try:
        with _offline_mode(offline), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            builder = datasets.load_dataset_builder(where, revision=commit or name.revision)
            if name.repo_id:
                found = str(getattr(builder, "hash", "") or "")
                wanted = commit or name.revision
                if wanted and found != wanted:  # datasets fell back to another cached commit
                    raise DataUnavailableError(
                        f"the cached copy of {name.repo_id} is commit {found[:12] or 'unknown'}, not "
                        f"{wanted[:12]}; run '{_fetch_hint(name)}' while online")
                commit = found or commit
            builder.download_and_prepare()
            splits = list(builder.info.splits or {})
            if splits and split not in splits:
                raise UsageError(f"data set {name.label} has no split '{split}'; choose one of: {', '.join(splits)} "
                                 f"(hf:NAME:SPLIT or --split)")
            try:
                table = builder.as_dataset(split=split)
            except Exception as exc:  # pyarrow on a truncated or damaged cached file, which it does not name
                files = sorted(Path(builder.cache_dir).glob(f"*-{split}*.arrow"))
                named = ", ".join(str(f) for f in files) or str(builder.cache_dir)
                raise DataUnavailableError(
                    f"the cached copy of data set {name.label} is damaged ({named}: {type(exc).__name__}: "
                    f"{_first_line(exc)}); delete {builder.cache_dir} and run again to prepare it afresh") from None
    except (DataUnavailableError, UsageError):
        raise
    except DatasetNotFoundError:
        raise DataUnavailableError(f"Hub data set {where} does not exist or cannot be accessed; check the name, "
                                   f"or log in with 'hf auth login'") from None
    except ConnectionError as exc:
        if offline and name.repo_id:
            raise DataUnavailableError(f"data set {name.repo_id} is not in the datasets cache and ganzoo is offline "
                                       f"(--offline or HF_HUB_OFFLINE=1); run '{_fetch_hint(name)}' while "
                                       f"online") from None
        raise DataUnavailableError(f"cannot reach the Hub for data set {where} ({exc}); check the network or "
                                   f"HF_ENDPOINT") from None
    except ValueError as exc:
        if "split" in str(exc).lower():
            raise UsageError(f"data set {name.label} has no split '{split}' ({exc})") from None
        raise DataUnavailableError(f"cannot read data set {where}: {_first_line(exc)}") from None
    except Exception as exc:  # pyarrow's errors on a truncated or corrupt cached file, and the like
        raise DataUnavailableError(_corrupt_message(where, exc)) from None
    return Prepared(table, commit, splits, card)


def _local_card(readme: Path) -> dict[str, Any]:
    """The YAML metadata of a local folder's README.md (its licence, say); ``{}`` when it has none."""
    from huggingface_hub import DatasetCard

    try:
        return dict(DatasetCard.load(readme).data.to_dict())
    except Exception:  # a README without valid front matter is still a README
        return {}


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _corrupt_message(where: str, exc: BaseException) -> str:
    text = _first_line(exc)
    files = re.findall(r"(/[^\s'\"]+\.(?:arrow|parquet|csv|json|jsonl|png|jpg|jpeg))", str(exc))
    named = f" ({files[0]})" if files else ""
    return (f"cannot read data set {where}{named}: {type(exc).__name__}: {text}; if a cached file is damaged, "
            f"delete it (or the data set's folder in the datasets cache, ~/.cache/huggingface/datasets) and run again")


# -- items -------------------------------------------------------------------------------------
def decode_image(value: Any, *, where: str) -> Image.Image:
    """A cell of an Image column (``{"bytes", "path"}``) as a Pillow image, under the pixel limit."""
    data = value.get("bytes") if isinstance(value, dict) else None
    path = value.get("path") if isinstance(value, dict) else None
    if data is None and not path:
        raise DataUnavailableError(f"{where} holds no image; fix or drop that row")
    limit = max_image_pixels()
    saved = Image.MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = None
            opened = Image.open(io.BytesIO(data) if data is not None else str(path))
            width, height = opened.size
            if limit is not None and width * height > limit:
                raise DataUnavailableError(
                    f"{where} is {width}x{height} = {width * height:,} pixels, more than the limit of {limit:,}; "
                    f"drop that image or raise the limit with GANZOO_MAX_IMAGE_PIXELS={width * height} (0: none)")
            Image.MAX_IMAGE_PIXELS = limit
            opened.load()
            return opened
    except DataUnavailableError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DataUnavailableError(f"cannot read {where} ({type(exc).__name__}: {_first_line(exc)}); "
                                   f"fix or drop that image") from None
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def to_tensor(image: Image.Image, size: int, channels: int) -> torch.Tensor:
    """Like the folder datasets: upright, alpha dropped, shorter side scaled, centre-cropped, in [-1, 1]."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = Image.fromarray((np.asarray(image, dtype=np.uint32) >> 8).clip(0, 255).astype(np.uint8))
    if image.mode in ("P", "LA", "PA", "RGBA", "La"):
        image = image.convert("RGBA")
    image = image.convert("L" if channels == 1 else "RGB")
    if image.size != (size, size):
        image = ImageOps.fit(image, (size, size), method=Image.Resampling.BICUBIC)
    tensor = torch.from_numpy(np.array(image, dtype=np.uint8))
    tensor = tensor.unsqueeze(0) if tensor.dim() == 2 else tensor.permute(2, 0, 1)
    return tensor.to(torch.float32).div_(127.5).sub_(1.0)


class HubImages(Dataset[dict[str, Any]]):
    """Rows of a memory-mapped Arrow table, decoded one image at a time."""

    def __init__(self, table: Any, image_column: str, label_column: str | None, rows: list[int] | None,
                 label_map: dict[int, int] | None, info: DatasetInfo) -> None:
        self.table = table
        self.image_column = image_column
        self.label_column = label_column
        self.rows = rows  # indices into ``table`` when classes= picked some, else every row
        self.label_map = label_map
        self.info = info

    def __len__(self) -> int:
        return len(self.rows) if self.rows is not None else len(self.table)

    def __getitem__(self, index: int) -> dict[str, Any]:
        if index < 0 or index >= len(self):
            raise IndexError(index)
        row = self.rows[index] if self.rows is not None else index
        record = self.table[int(row)]
        where = f"row {row} of {self.info.source} ({self.info.split} split, column '{self.image_column}')"
        image = decode_image(record[self.image_column], where=where)
        item: dict[str, Any] = {"image": to_tensor(image, self.info.size or 0, self.info.channels)}
        if self.label_column is not None:
            label = int(record[self.label_column])
            item["label"] = self.label_map[label] if self.label_map is not None else label
        return item

    def __repr__(self) -> str:
        return f"HubImages({self.info.source!r}, split={self.info.split!r}, n={len(self)})"


def find_columns(features: Any, image_column: str | None, label_column: str | None, where: str
                 ) -> tuple[str, str | None, list[str] | None]:
    """The image column, the label column and its class names, from the features or as named."""
    import datasets

    images = [k for k, v in features.items() if isinstance(v, datasets.Image)]
    labels = [k for k, v in features.items() if isinstance(v, datasets.ClassLabel)]
    described = ", ".join(f"{k} ({type(v).__name__})" for k, v in features.items())
    if image_column is None:
        if not images:
            raise UsageError(f"data set {where} has no Image column (its columns: {described}); name one with "
                             f"--data image_column=NAME")
        image_column = images[0]
    elif image_column not in features:
        raise UsageError(f"data set {where} has no column '{image_column}'; its columns: {described}")
    elif image_column not in images:
        raise UsageError(f"column '{image_column}' of data set {where} is a {type(features[image_column]).__name__}, "
                         f"not an Image; its columns: {described}")
    if label_column is None:
        label_column = labels[0] if labels else None
    elif label_column.lower() in ("none", ""):
        label_column = None
    elif label_column not in features:
        raise UsageError(f"data set {where} has no column '{label_column}'; its columns: {described} "
                         f"(--data label_column=none trains without labels)")
    elif label_column not in labels:
        raise UsageError(f"column '{label_column}' of data set {where} is a {type(features[label_column]).__name__}, "
                         f"not a ClassLabel; its columns: {described}")
    names = list(features[label_column].names) if label_column is not None else None
    return image_column, label_column, names


def hub_dataset(split: str = "train", *, source: str, revision: str | None = None,
                image_column: str | None = None, label_column: str | None = None, size: int | None = None,
                channels: int | None = None, classes: ClassSelection = None, limit: int | None = None,
                offline: Any = None) -> HubImages:
    """A Hub data set (``source`` is what follows ``hf:``), prepared once and decoded per item.

    ``size`` and ``channels`` default to those of the first image (square sizes; the shorter
    side otherwise); ``classes`` keeps some classes of the ClassLabel column, ``limit`` the
    first rows. The split in the name (``hf:owner/name:test``) wins over ``split`` unless
    ``split`` asks for something other than train (as evaluation asks for the test split).

    >>> hub_dataset(source="uoft-cs/cifar10", classes="frog")   # doctest: +SKIP
    """
    name = parse_hf_name(source)
    if revision is not None:
        if name.repo_id is None:
            raise UsageError(f"a local folder ({name.path}) has no revisions; drop revision=")
        if name.revision and name.revision != str(revision):
            raise UsageError(f"hf:{source} names revision {name.revision} but revision={revision} was given; "
                             f"give one")
        name = dataclasses.replace(name, revision=str(revision))
    if name.split and split == "train":
        split = name.split
    offline_now = is_offline(offline)
    prepared = prepare(name, split, offline=offline_now)
    table = prepared.table
    image_column, label_column, class_names = find_columns(table.features, image_column, label_column, name.label)
    table = table.cast_column(image_column, _datasets_module().Image(decode=False))
    rows: list[int] | None = None
    label_map: dict[int, int] | None = None
    picked = resolve_classes(name.label, class_names, classes) if class_names and classes is not None else None
    if classes is not None and class_names is None:
        raise UsageError(f"data set {name.label} has no ClassLabel column, so classes= cannot pick any")
    if picked is not None:
        assert class_names is not None and label_column is not None
        wanted = set(picked)
        labels = table.data.column(label_column).to_numpy(zero_copy_only=False)
        rows = [int(i) for i in np.flatnonzero(np.isin(labels, list(wanted)))]
        label_map = {old: new for new, old in enumerate(picked)}
        class_names = [class_names[i] for i in picked]
    if limit is not None:
        count = option_int(name.label, "limit", limit)
        rows = (rows if rows is not None else list(range(len(table))))[:count]
    if (rows is not None and not rows) or len(table) == 0:
        raise DataUnavailableError(f"data set {name.label} has no rows in split '{split}' for these options")
    first = rows[0] if rows is not None else 0
    where = f"row {first} of {name.label} ({split} split, column '{image_column}')"
    sample = decode_image(table[first][image_column], where=where)
    if channels is None:
        channels = 1 if sample.mode in ("1", "L", "I", "I;16", "I;16B", "I;16L", "F", "LA", "La") else 3
    channels = option_int(name.label, "channels", channels)
    if channels not in (1, 3):
        raise UsageError(f"option channels={channels} of data set {name.label} must be 1 or 3")
    size = option_int(name.label, "size", size if size is not None else min(sample.size))
    commit = prepared.commit
    source_text = f"{name.label}@{commit}" if commit else name.label
    info = DatasetInfo(name=name.label, split=split, channels=channels, size=size, classes=class_names,
                       license=str(prepared.card.get("license") or "see the data set's card"), source=source_text,
                       revision=commit)
    return HubImages(table, image_column, label_column, rows, label_map, info)


def describe(source: str, *, offline: Any = None) -> dict[str, Any]:
    """What ``ganzoo info hf:owner/name`` shows: commit, features, splits and sizes, licence.

    It prepares the set as training would, so it also fetches the set into the cache (the
    step an offline run asks for).

    >>> describe("uoft-cs/cifar10")["splits"]   # doctest: +SKIP
    {'train': {'rows': 50000, 'bytes': 113854600}, 'test': {'rows': 10000, 'bytes': 22772838}}
    """
    name = parse_hf_name(source)
    offline_now = is_offline(offline)
    datasets = _datasets_module()
    prepared = prepare(name, name.split or "train", offline=offline_now)
    features = prepared.table.features
    splits: dict[str, Any] = {}
    try:
        with _offline_mode(True), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            builder = datasets.load_dataset_builder(name.repo_id or str(name.path),
                                                    revision=prepared.commit or name.revision)
            for split_name, split_info in (builder.info.splits or {}).items():
                splits[split_name] = {"rows": int(split_info.num_examples), "bytes": int(split_info.num_bytes)}
            download = builder.info.download_size
    except Exception:  # the sizes are a courtesy: the prepared split above is what matters
        download = None
    columns: dict[str, str] = {}
    for key, feature in features.items():
        if isinstance(feature, datasets.ClassLabel):
            shown = ", ".join(feature.names[:12]) + (", ..." if len(feature.names) > 12 else "")
            columns[key] = f"ClassLabel ({len(feature.names)} classes: {shown})"
        elif isinstance(feature, datasets.Value):
            columns[key] = f"Value ({feature.dtype})"
        else:
            columns[key] = type(feature).__name__
    card = prepared.card
    return {
        "name": name.label,
        "repo_id": name.repo_id,
        "path": str(name.path) if name.path else None,
        "revision": prepared.commit,
        "license": card.get("license") or "not stated in the card",
        "features": columns,
        "splits": splits or {name.split or "train": {"rows": len(prepared.table)}},
        "download_bytes": download,
        "pretty_name": card.get("pretty_name"),
    }
