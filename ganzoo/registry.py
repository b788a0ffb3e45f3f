"""Registries: named, lazily imported entries for every kind of thing plugins provide.

A registry is data plus a few small functions. Entries are :class:`Spec` records whose
``target`` (``"package.module:attr"``) is imported only by :meth:`Spec.load`, so listing the
zoo never imports torch. Plugins fill the registries through the hooks in
:mod:`ganzoo.hookspecs`; :func:`get_registry` loads the plugins on first use.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ganzoo.errors import PluginError, UnknownNameError, UsageError

#: Registry kinds (plural, as typed on the command line) and their singular nouns.
KINDS: dict[str, str] = {
    "architectures": "architecture",
    "losses": "loss",
    "regularisers": "regulariser",
    "datasets": "dataset",
    "metrics": "metric",
    "features": "feature extractor",
    "pretrained": "pretrained model",
}

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_TARGET_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


@dataclass(frozen=True)
class Spec:
    """One registry entry: what it is called, who registered it and where its code lives."""

    kind: str
    name: str
    target: str
    summary: str
    plugin: str
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    def load(self) -> Any:
        """Import and return the target object (a factory, class or function)."""
        module_name, _, attr = self.target.partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except Exception as exc:  # any import-time failure belongs to the plugin
            raise PluginError(
                f"plugin '{self.plugin}' registered {KINDS[self.kind]} '{self.name}' as "
                f"'{self.target}', which cannot be loaded ({type(exc).__name__}: {exc}); "
                f"reinstall or update that plugin"
            ) from exc
        return obj

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able view, used by ``ganzoo list --json`` and ``ganzoo info --json``."""
        return {
            "kind": self.kind,
            "name": self.name,
            "summary": self.summary,
            "plugin": self.plugin,
            "tags": list(self.tags),
            "target": self.target,
            "metadata": _jsonable(dict(self.metadata)),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def make_spec(
    kind: str,
    name: str,
    target: str,
    *,
    summary: str,
    plugin: str,
    tags: Iterable[str] = (),
    metadata: Mapping[str, Any] | None = None,
) -> Spec:
    """Validate what a plugin passed to ``register`` and build the :class:`Spec`."""
    if kind not in KINDS:
        raise UsageError(f"unknown registry kind '{kind}'; expected one of {', '.join(KINDS)}")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise UsageError(
            f"invalid {KINDS[kind]} name {name!r}: use lower-case letters, digits, '.', '_' or '-'"
        )
    if not isinstance(target, str) or not _TARGET_RE.match(target):
        raise UsageError(f"invalid target {target!r} for '{name}': expected 'package.module:attr'")
    if not isinstance(summary, str) or not summary.strip():
        raise UsageError(f"'{name}' needs a one-line summary")
    if isinstance(tags, str):  # register(..., tags="mlp") means one tag, not three letters
        tags = (tags,)
    tags = tuple(tags)
    if not all(isinstance(tag, str) and tag for tag in tags):
        raise UsageError(f"tags of '{name}' must be non-empty strings, got {list(tags)!r}")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise UsageError(f"metadata of '{name}' must be a mapping, got {type(metadata).__name__}")
    return Spec(
        kind=kind,
        name=name,
        target=target,
        summary=summary.strip().splitlines()[0],
        plugin=plugin,
        tags=tags,
        metadata=dict(metadata or {}),
    )


class Registry:
    """The entries of one kind, keyed by name; the first registration of a name wins.

    An entry may declare other names in ``metadata["aliases"]`` (``gp`` for
    ``gradient-penalty``): :meth:`get` and ``in`` accept them, listings show only real names.
    A real name always wins over an alias, and the first entry to claim an alias keeps it.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.noun = KINDS[kind]
        self._specs: dict[str, Spec] = {}
        self._aliases: dict[str, str] = {}
        #: Said after every unknown-name message when it returns text (the plugin loader sets it
        #: to name installed plugins that ``GANZOO_LOAD_PLUGINS`` skips).
        self.note: Callable[[], str | None] | None = None

    def add(self, spec: Spec) -> Spec | None:
        """Add ``spec``; return the entry already holding its name (a clash), else ``None``."""
        existing = self._specs.get(spec.name)
        if existing is not None:
            return existing
        self._specs[spec.name] = spec
        aliases = spec.metadata.get("aliases", ())
        aliases = (aliases,) if isinstance(aliases, str) else aliases if isinstance(aliases, (list, tuple)) else ()
        for alias in aliases:
            if isinstance(alias, str) and _NAME_RE.match(alias) and alias != spec.name:
                self._aliases.setdefault(alias, spec.name)
        return None

    def remove(self, name: str) -> None:
        """Drop ``name`` and its aliases if present (tests and rollbacks; plugins never call it)."""
        self._specs.pop(name, None)
        self._aliases = {alias: target for alias, target in self._aliases.items() if target != name}

    def resolve(self, name: str) -> str:
        """The real name behind ``name`` (itself, or what an alias points at); unknown names pass through."""
        if name in self._specs:
            return name
        return self._aliases.get(name, name)

    def get(self, name: str) -> Spec:
        """The entry called ``name`` (or aliased so); an unknown name raises with close matches."""
        try:
            return self._specs[self.resolve(name)]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        """``unknown architecture 'vanila'; did you mean 'vanilla'?`` -- or where to look."""
        close = difflib.get_close_matches(name, list(self._specs), n=3, cutoff=0.6)
        if close:
            hint = "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
        else:
            hint = f"run 'ganzoo list {self.kind}' to see what is available"
        note = self.note() if self.note is not None else None
        return f"unknown {self.noun} '{name}'; {hint}" + (f"; {note}" if note else "")

    def specs(self, pattern: str | None = None, tags: Iterable[str] = ()) -> list[Spec]:
        """Entries whose name matches the glob ``pattern`` and that carry every tag in ``tags``."""
        wanted = {tags} if isinstance(tags, str) else set(tags)
        found = [
            spec
            for name, spec in self._specs.items()
            if (pattern is None or fnmatch.fnmatchcase(name, pattern))
            and wanted.issubset(spec.tags)
        ]
        return sorted(found, key=lambda s: _natural_key(s.name))

    def names(self, pattern: str | None = None, tags: Iterable[str] = ()) -> list[str]:
        """The names of :meth:`specs`, naturally sorted (``gan2`` before ``gan10``)."""
        return [spec.name for spec in self.specs(pattern, tags)]

    def __contains__(self, name: object) -> bool:
        return name in self._specs or name in self._aliases

    def __iter__(self) -> Iterator[Spec]:
        return iter(self.specs())

    def __len__(self) -> int:
        return len(self._specs)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self)} entries)"


def _natural_key(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]
