"""Which plugins are installed, in what order they load, and which ``GANZOO_LOAD_PLUGINS`` allows.

Plugins are modules named by entry points in the ``ganzoo`` group. The built-in families are
entry points of the ``ganzoo`` distribution itself and come first, so they win name clashes;
third-party plugins follow, sorted by distribution and entry-point name. Nothing here imports a
plugin: both the loader and ``ganzoo plugins --check`` start from this list.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from importlib import metadata as importlib_metadata
from typing import Any

from ganzoo.plugins.info import PluginInfo

ENTRY_POINT_GROUP = "ganzoo"
BUILTIN_DISTRIBUTION = "ganzoo"


def _normalise(name: str) -> str:
    """PEP 503 form, so ``ganzoo_plugin_example`` and ``ganzoo-plugin-example`` both match."""
    return re.sub(r"[-_.]+", "-", name).lower()


#: Distribution names by ``id(dist)`` (with the distribution, so that a reused id never matches): every
#: call would otherwise parse the distribution's METADATA file again (77 times per command, ~40 ms).
_DIST_NAMES: dict[int, tuple[Any, str]] = {}


def _dist_name(ep: importlib_metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return ""
    cached = _DIST_NAMES.get(id(dist))
    if cached is None or cached[0] is not dist:
        cached = _DIST_NAMES[id(dist)] = (dist, dist.metadata["Name"])
    return cached[1]


def _entry_points() -> list[importlib_metadata.EntryPoint]:
    """The ``ganzoo`` entry points in load order: built-ins, then the rest by distribution and name."""
    eps = list(importlib_metadata.entry_points(group=ENTRY_POINT_GROUP))
    builtins = [ep for ep in eps if _dist_name(ep) == BUILTIN_DISTRIBUTION]
    others = sorted(
        (ep for ep in eps if _dist_name(ep) != BUILTIN_DISTRIBUTION), key=lambda ep: (_dist_name(ep), ep.name)
    )
    return builtins + others


def _allowed(ep: importlib_metadata.EntryPoint) -> bool:
    """Whether ``GANZOO_LOAD_PLUGINS`` lets this entry point load (built-ins always do)."""
    if _dist_name(ep) == BUILTIN_DISTRIBUTION:
        return True
    allow = os.environ.get("GANZOO_LOAD_PLUGINS")
    if allow is None:
        return True
    allowed = {_normalise(p.strip()) for p in allow.split(",") if p.strip()}
    return bool({_normalise(ep.name), _normalise(_dist_name(ep))} & allowed)


def _third_party_loaded(eps: Iterable[importlib_metadata.EntryPoint]) -> list[str]:
    """Entry-point names of the third-party plugins that ``GANZOO_LOAD_PLUGINS`` lets load."""
    names: list[str] = []
    for ep in eps:
        if _dist_name(ep) != BUILTIN_DISTRIBUTION and _allowed(ep) and ep.name not in names:
            names.append(ep.name)
    return names


def allow_list_without(names: Iterable[str], loaded: Iterable[str] | None = None) -> str:
    """The ``GANZOO_LOAD_PLUGINS=...`` setting that loads what loads now (``loaded``), less ``names``."""
    drop = {_normalise(name) for name in names}
    loaded = _third_party_loaded(_entry_points()) if loaded is None else loaded
    keep = [name for name in loaded if _normalise(name) not in drop]
    return f"GANZOO_LOAD_PLUGINS={','.join(keep)}" if keep else 'GANZOO_LOAD_PLUGINS=""'


def _info_for(ep: importlib_metadata.EntryPoint) -> PluginInfo:
    dist = getattr(ep, "dist", None)
    return PluginInfo(
        name=ep.name,
        module=ep.value,
        distribution=_dist_name(ep) or None,
        version=dist.version if dist is not None else None,
        builtin=_dist_name(ep) == BUILTIN_DISTRIBUTION,
    )
