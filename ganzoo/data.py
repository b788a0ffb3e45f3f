"""Datasets: what every dataset plugin returns, where data lives, and building one by name.

A registered dataset factory ``build(split="train", **options)`` returns a
``torch.utils.data.Dataset`` whose items are ``{"image": float32 [C, H, W] in [-1, 1],
"label": int}`` (no ``"label"`` when the data has none) and which carries a :class:`DatasetInfo`
as ``dataset.info``. Datasets small enough to hold in memory subclass :class:`InMemoryImages`,
which also gives the training engine ``get_batch(indices)``: a whole batch in one indexing
operation instead of a DataLoader collating items one by one.

Files are looked for in a fixed order (:func:`search_roots`): an explicit ``root=`` option,
then ``$GANZOO_DATA_DIR/<name>``, then system folders the plugin knows (Debian's
``/usr/share/datasets``), then ganzoo's own download folder (:func:`data_home`).

    >>> from ganzoo.data import build_dataset
    >>> ds = build_dataset("fashion-mnist", "test", classes=["Sneaker"])   # doctest: +SKIP
    >>> ds.info.num_classes, ds[0]["image"].shape                          # doctest: +SKIP
    (1, torch.Size([1, 28, 28]))
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import os
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import Dataset

from ganzoo.errors import DataUnavailableError, UsageError
from ganzoo.plugins import get_registry
from ganzoo.registry import Spec

__all__ = [
    "ClassSelection",
    "DatasetInfo",
    "InMemoryImages",
    "build_dataset",
    "check_split",
    "data_home",
    "dataset_spec",
    "option_bool",
    "option_int",
    "resize_uint8",
    "resolve_classes",
    "run_download",
    "search_roots",
    "to_unit_range",
]

#: What the ``classes=`` option accepts: names or indices, a list of them, or "a,b" from a CLI.
ClassSelection = str | int | Sequence[str | int] | None


@dataclass(frozen=True)
class DatasetInfo:
    """Facts about a built dataset that models, checkpoints and sample grids need.

    Image-to-image datasets (items with a ``"source"`` image) also give ``source_channels``,
    the channels of those inputs, and ``domains``, human names of the input (``"a"``) and
    output (``"b"``) domains, like ``{"a": "edge map", "b": "garment"}``; the training engine
    passes both on to the model it builds. ``revision`` is the commit of a Hub data set
    (``hf:owner/name``), so a run records exactly which data it saw.
    """

    name: str
    split: str
    channels: int
    size: int | None = None
    classes: list[str] | None = None
    num_classes: int = field(default=0)
    license: str = "unknown"
    source: str = ""
    source_channels: int | None = None
    domains: dict[str, str] | None = None
    revision: str | None = None

    def __post_init__(self) -> None:
        if self.classes is not None:
            object.__setattr__(self, "classes", list(self.classes))
            if not self.num_classes:
                object.__setattr__(self, "num_classes", len(self.classes))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able view, for ``config.json`` of checkpoints."""
        return asdict(self)


# -- where data lives --------------------------------------------------------------------------
def data_home() -> Path:
    """Where ganzoo downloads datasets: ``$GANZOO_HOME/data``, else ``~/.cache/ganzoo/data``."""
    home = os.environ.get("GANZOO_HOME")
    if home:
        return Path(home).expanduser() / "data"
    cache = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(cache).expanduser() / "ganzoo" / "data"


def search_roots(
    name: str, root: str | os.PathLike[str] | None = None, system_dirs: Iterable[str | os.PathLike[str]] = ()
) -> list[Path]:
    """The folders to look in for dataset ``name``, in the documented order.

    An explicit ``root`` is the only place looked at, so a typo is an error rather than a
    silent fall-back to other data.

    >>> search_roots("mnist", root="~/data")      # doctest: +SKIP
    [PosixPath('/home/me/data')]
    """
    if root is not None:
        return [Path(root).expanduser()]
    roots: list[Path] = []
    env = os.environ.get("GANZOO_DATA_DIR")
    if env:
        roots.append(Path(env).expanduser() / name)
    roots.extend(Path(d) for d in system_dirs)
    roots.append(data_home() / name)
    return roots


def run_download(fetch: Callable[[], Any], *, what: str, looked: Sequence[Path], hint: str,
                 timeout: float = 60.0) -> None:
    """Call ``fetch()`` (a torchvision download, say); any failure becomes one actionable sentence.

    Sockets without a timeout of their own give up after ``timeout`` seconds of silence, so a
    network that drops packets ends in this error instead of a hang.

    >>> run_download(lambda: CIFAR10(root, download=True), what="CIFAR-10", looked=[root],
    ...              hint="put cifar-10-python.tar.gz in ROOT")   # doctest: +SKIP
    """
    previous = socket.getdefaulttimeout()
    if previous is None:
        socket.setdefaulttimeout(timeout)
    try:
        fetch()
    except Exception as exc:  # offline, proxy, disk full, bad checksum: all end in the same advice
        first_line = (str(exc).strip().splitlines() or [""])[0].rstrip(":")
        places = ", ".join(str(p) for p in looked)
        raise DataUnavailableError(
            f"{what} is not in {places} and downloading it failed ({type(exc).__name__}: {first_line}): {hint}"
        ) from exc
    finally:
        socket.setdefaulttimeout(previous)


# -- option checking ---------------------------------------------------------------------------
def check_split(dataset: str, split: str, splits: Sequence[str]) -> str:
    """``split`` if the dataset has it; otherwise a usage error listing the splits it has."""
    if split not in splits:
        raise UsageError(f"dataset '{dataset}' has no split '{split}'; choose one of: {', '.join(splits)}")
    return split


def option_int(dataset: str, option: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an int of at least ``minimum`` (strings from the CLI are accepted)."""
    try:
        number = int(value)
        if isinstance(value, float) and number != value:
            raise ValueError
    except (TypeError, ValueError):
        raise UsageError(f"option {option}={value!r} of dataset '{dataset}' must be an integer") from None
    if number < minimum:
        raise UsageError(f"option {option}={value!r} of dataset '{dataset}' must be at least {minimum}")
    return number


def option_bool(dataset: str, option: str, value: Any) -> bool:
    """``value`` as a bool; the strings a command line passes ("false", "0", "no") mean False."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise UsageError(f"option {option}={value!r} of dataset '{dataset}' must be true or false")


def resolve_classes(dataset: str, class_names: Sequence[str], wanted: ClassSelection) -> list[int] | None:
    """Turn a ``classes=`` option into sorted class indices; ``None`` keeps every class.

    Names match exactly, then ignoring case; integers (or digit strings) are indices.

    >>> resolve_classes("cifar10", CIFAR10_NAMES, "frog,cat")    # doctest: +SKIP
    [3, 6]
    """
    if wanted is None:
        return None
    if isinstance(wanted, str):
        items: list[str | int] = [part.strip() for part in wanted.split(",") if part.strip()]
        if len(items) != 1 and wanted in class_names:  # a name that itself contains a comma
            items = [wanted]
    elif isinstance(wanted, int):
        items = [wanted]
    else:
        items = list(wanted)
    if not items:
        raise UsageError(f"option classes= of dataset '{dataset}' is empty; name at least one class")
    lowered = {name.lower(): i for i, name in enumerate(class_names)}
    chosen: set[int] = set()
    for item in items:
        if isinstance(item, str) and item in class_names:
            chosen.add(list(class_names).index(item))
        elif isinstance(item, str) and item.lower() in lowered:
            chosen.add(lowered[item.lower()])
        elif isinstance(item, int) and not isinstance(item, bool) and 0 <= item < len(class_names):
            chosen.add(item)
        elif isinstance(item, str) and item.isdigit() and int(item) < len(class_names):
            chosen.add(int(item))
        else:
            names = ", ".join(repr(n) for n in class_names)
            raise UsageError(
                f"dataset '{dataset}' has no class {item!r}; its classes are {names} "
                f"(or indices 0-{len(class_names) - 1})"
            )
    return sorted(chosen)


# -- in-memory datasets ------------------------------------------------------------------------
def to_unit_range(images: Tensor) -> Tensor:
    """uint8 pixels in [0, 255] to float32 in [-1, 1] (0 -> -1 and 255 -> 1 exactly)."""
    return images.to(torch.float32).div_(127.5).sub_(1.0)


class InMemoryImages(Dataset[dict[str, Any]]):
    """A labelled (or unlabelled) image set held as one uint8 tensor.

    Reuse it in a dataset plugin whose data fits in memory: load ``images`` (uint8
    ``[N, C, H, W]``) and ``labels`` (int64 ``[N]`` or ``None``), then chain :meth:`select` and
    :meth:`resized` for the usual ``classes=``, ``limit=`` and ``size=`` options.

    >>> ds = InMemoryImages(images, labels, info).select([6], limit=100).resized(64)  # doctest: +SKIP
    >>> batch = ds.get_batch(torch.arange(16))                                          # doctest: +SKIP
    """

    def __init__(self, images: Tensor, labels: Tensor | None, info: DatasetInfo) -> None:
        if images.dtype != torch.uint8 or images.dim() != 4:
            raise ValueError(f"images must be uint8 [N, C, H, W], got {images.dtype} {list(images.shape)}")
        if labels is not None:
            labels = labels.to(torch.int64)
            if labels.shape != (images.shape[0],):
                raise ValueError(f"labels must be [N={images.shape[0]}], got {list(labels.shape)}")
        self.images = images
        self.labels = labels
        self.info = info

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index: int) -> dict[str, Any]:
        item: dict[str, Any] = {"image": to_unit_range(self.images[index])}
        if self.labels is not None:
            item["label"] = int(self.labels[index])
        return item

    def get_batch(self, indices: Tensor) -> dict[str, Tensor]:
        """The items at ``indices`` as one batch: ``image`` float [B, C, H, W], ``label`` int64 [B]."""
        index = torch.as_tensor(indices, dtype=torch.long).reshape(-1)
        batch = {"image": to_unit_range(self.images.index_select(0, index))}  # far faster than images[index]
        if self.labels is not None:
            batch["label"] = self.labels.index_select(0, index)
        return batch

    def select(self, classes: Sequence[int] | None = None, limit: int | None = None) -> InMemoryImages:
        """Keep only ``classes`` (relabelled 0..k-1 in class order), then the first ``limit`` items."""
        images, labels, info = self.images, self.labels, self.info
        if classes is not None:
            if labels is None or info.classes is None:
                raise UsageError(f"dataset '{info.name}' has no labels, so classes= cannot pick any")
            keep = sorted(set(classes))
            lookup = torch.full((max(info.num_classes, max(keep) + 1),), -1, dtype=torch.int64)
            lookup[keep] = torch.arange(len(keep))
            mask = lookup[labels] >= 0
            images, labels = images[mask], lookup[labels[mask]]
            info = dataclasses.replace(info, classes=[info.classes[i] for i in keep], num_classes=len(keep))
        if limit is not None:
            images = images[:limit]
            labels = None if labels is None else labels[:limit]
        return self._rebuilt(images, labels, info)

    def resized(self, size: int | None) -> InMemoryImages:
        """Square images of side ``size`` (shorter side scaled, then centre crop); no-op if equal."""
        if size is None or (self.images.shape[-2:] == (size, size)):
            return self
        images = resize_uint8(self.images, size)
        return self._rebuilt(images, self.labels, dataclasses.replace(self.info, size=size))

    def _rebuilt(self, images: Tensor, labels: Tensor | None, info: DatasetInfo) -> InMemoryImages:
        """A shallow copy with new tensors, so subclasses keep their type and extra attributes."""
        new = copy.copy(self)
        InMemoryImages.__init__(new, images, labels, info)
        return new

    def __repr__(self) -> str:
        info = self.info
        shape = "x".join(str(d) for d in self.images.shape[1:])
        return f"{type(self).__name__}({info.name!r}, split={info.split!r}, n={len(self)}, {shape})"


def resize_uint8(images: Tensor, size: int, chunk: int = 2048) -> Tensor:
    """Resize uint8 ``[N, C, H, W]`` to ``[N, C, size, size]``: scale the shorter side, crop the centre.

    Works in chunks so that 60,000 images never need a float copy of the whole set.
    """
    n, c, h, w = images.shape
    scale = size / min(h, w)
    new_h, new_w = max(size, round(h * scale)), max(size, round(w * scale))
    top, left = (new_h - size) // 2, (new_w - size) // 2
    out = torch.empty((n, c, size, size), dtype=torch.uint8)
    for start in range(0, n, chunk):
        part = images[start:start + chunk]
        if scale >= 1:  # upscaling: torch interpolates uint8 directly (and rounds) without a float copy
            part = F.interpolate(part, size=(new_h, new_w), mode="bilinear", align_corners=False)
        else:  # downscaling needs antialiasing, which works on floats
            part = F.interpolate(part.to(torch.float32), size=(new_h, new_w), mode="bilinear",
                                 align_corners=False, antialias=True).round_().clamp_(0, 255).to(torch.uint8)
        out[start:start + chunk] = part[:, :, top:top + size, left:left + size]
    return out


# -- building by name --------------------------------------------------------------------------
def dataset_spec(name: str) -> tuple[Spec, dict[str, Any]]:
    """The registry entry that builds ``name``, and the options the name itself carries.

    A dataset registered with ``metadata={"prefix": "hf:"}`` owns every name that starts with
    that prefix, so one entry serves open-ended names: ``hf:owner/name`` is built by entry
    ``hf`` with ``source="owner/name"``. Registered names win over prefixes.

    >>> dataset_spec("hf:uoft-cs/cifar10")[1]    # doctest: +SKIP
    {'source': 'uoft-cs/cifar10'}
    """
    registry = get_registry("datasets")
    if name not in registry:
        for spec in registry:
            prefix = spec.metadata.get("prefix")
            if isinstance(prefix, str) and prefix and name.startswith(prefix):
                return spec, {"source": name[len(prefix):]}
    return registry.get(name), {}


def build_dataset(name: str, split: str = "train", **options: Any) -> Dataset[Any]:
    """Build the registered dataset ``name``; bad splits, options and classes are usage errors.

    >>> build_dataset("cifar10", classes=["frog"], size=64)   # doctest: +SKIP
    """
    spec, carried = dataset_spec(name)
    options = {**carried, **options}
    splits = spec.metadata.get("splits")
    if splits and not spec.metadata.get("prefix"):  # open-ended names check their own splits
        check_split(name, split, list(splits))
    factory = spec.load()
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # a builtin or C callable: let the call itself complain
        signature = None
    if signature is not None:
        try:
            signature.bind(split, **options)
        except TypeError as exc:
            known = [p.name for p in signature.parameters.values()
                     if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "split"]
            listed = ", ".join(known) or "none"
            raise UsageError(
                f"bad options for dataset '{name}' ({exc}); its options are: {listed}; see 'ganzoo info {name}'"
            ) from None
    from ganzoo.plugins import plugin_code

    with plugin_code(factory, what=f"building dataset '{name}'"):
        try:
            dataset: Dataset[Any] = factory(split, **options)
        except TypeError as exc:
            if signature is not None:
                raise
            raise UsageError(f"bad options for dataset '{name}': {exc}; see 'ganzoo info {name}'") from exc
    info = getattr(dataset, "info", None)
    if isinstance(info, DatasetInfo):  # a factory's own info keeps the license and source it was registered with
        registered_license, registered_source = spec.metadata.get("license"), spec.metadata.get("source")
        filled = info
        if filled.license in ("", "unknown") and registered_license:
            filled = dataclasses.replace(filled, license=str(registered_license))
        if not filled.source and registered_source:
            filled = dataclasses.replace(filled, source=str(registered_source))
        if filled is not info:
            dataset.info = filled  # type: ignore[attr-defined]
    if getattr(dataset, "info", None) is None:  # a third-party factory that skipped it
        meta = spec.metadata
        classes = meta.get("classes")
        dataset.info = DatasetInfo(  # type: ignore[attr-defined]
            name=name, split=split, channels=int(meta.get("channels", 0)), size=meta.get("size"),
            classes=list(classes) if classes else None, license=str(meta.get("license", "unknown")),
            source=str(meta.get("source", "")),
        )
    return dataset
