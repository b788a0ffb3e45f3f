"""Finding, loading and isolating plugins: the filled registries, and the loader's public face.

Plugins are modules named by entry points in the ``ganzoo`` group; the built-ins load first and
win name clashes, and a plugin that fails is recorded, reported in one line and rolled back while
the rest of ganzoo keeps working. The loader is a package of one-job modules, each importing only
the ones above it in this list:

* :mod:`~ganzoo.plugins.info` -- ``PluginInfo``, the record ``ganzoo plugins`` shows;
* :mod:`~ganzoo.plugins.discovery` -- the entry points, their order, the allow-list;
* :mod:`~ganzoo.plugins.isolation` -- guarding the CLI while a plugin's code runs in this process;
* :mod:`~ganzoo.plugins.manager` -- ``PluginManager`` and the process's one instance;
* :mod:`~ganzoo.plugins.blame` -- naming the plugin behind an exception raised in its code;
* :mod:`~ganzoo.plugins.checks` -- ``ganzoo plugins --check``, one subprocess per plugin
  (imported on first use of its names, so other commands never load it).

Switches (environment variables):

* ``GANZOO_LOAD_PLUGINS`` -- comma-separated allow-list of third-party plugins (entry-point or
  distribution names). Set but empty: built-ins only. Unset: everything installed.
* ``GANZOO_STRICT_PLUGINS=1`` -- re-raise plugin failures instead of isolating them.
* ``GANZOO_TRACE_PLUGINS=1`` -- print every hook call and registration to stderr.
* ``GANZOO_PLUGIN_SLOW_SECONDS`` -- seconds before a plugin still loading is named on stderr
  (default 3; 0 turns the notice off).

    >>> from ganzoo.plugins import get_registry
    >>> get_registry("architectures").names("dc*")   # doctest: +SKIP
    ['dcgan']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ganzoo.errors import UsageError
from ganzoo.hookspecs import hookimpl
from ganzoo.plugins.blame import blame, owner_of, plugin_code
from ganzoo.plugins.discovery import BUILTIN_DISTRIBUTION, ENTRY_POINT_GROUP, _normalise, allow_list_without
from ganzoo.plugins.info import PluginInfo
from ganzoo.plugins.isolation import CHECK_COMMAND, DEFAULT_SLOW_SECONDS
from ganzoo.plugins.manager import PluginManager, get_manager, reset_manager
from ganzoo.registry import KINDS, Registry, Spec

if TYPE_CHECKING:
    from ganzoo.plugins.checks import DEFAULT_CHECK_TIMEOUT, CheckResult, check_plugins

__all__ = [
    "BUILTIN_DISTRIBUTION", "CHECK_COMMAND", "DEFAULT_CHECK_TIMEOUT", "DEFAULT_SLOW_SECONDS", "ENTRY_POINT_GROUP",
    "CheckResult", "PluginInfo", "PluginManager", "_normalise", "allow_list_without", "blame", "check_plugins",
    "find_everywhere", "get_manager", "get_registry", "hookimpl", "lookup", "owner_of", "plugin_code",
    "reset_manager",
]

#: Names of :mod:`ganzoo.plugins.checks`, imported when first asked for.
_CHECK_NAMES = frozenset({"CheckResult", "DEFAULT_CHECK_TIMEOUT", "check_plugins"})


def __getattr__(name: str) -> Any:
    """The check scheduler's names, on first use: only ``ganzoo plugins --check`` needs that module."""
    if name in _CHECK_NAMES:
        from ganzoo.plugins import checks

        return getattr(checks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_registry(kind: str) -> Registry:
    """The registry of ``kind`` (``"architectures"``, ``"losses"`` ...), plugins loaded."""
    if kind not in KINDS:
        raise UsageError(f"unknown registry kind '{kind}'; expected one of {', '.join(KINDS)}")
    return get_manager().registries[kind]


def lookup(kind: str, name: str) -> Spec:
    """Shorthand for ``get_registry(kind).get(name)``."""
    return get_registry(kind).get(name)


def find_everywhere(name: str) -> list[Spec]:
    """Every entry called ``name``, across all kinds (for ``ganzoo info``)."""
    return [get_registry(kind).get(name) for kind in KINDS if name in get_registry(kind)]
