"""Cases -- one check on one entry, plugin or command -- and the calls that run them all."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ganzoo.errors import UnknownNameError, UsageError
from ganzoo.plugins import get_registry
from ganzoo.registry import KINDS
from ganzoo.testing.commands import plugin_commands
from ganzoo.testing.framework import EXTRA_KINDS, CheckContext, ConformanceError, checks, get_check

if TYPE_CHECKING:
    from ganzoo.plugins import PluginInfo

#: The kinds :func:`cases` checks unless told otherwise.
DEFAULT_KINDS: tuple[str, ...] = ("architectures", "losses", "regularisers", "datasets", "metrics", "features",
                                  "commands")
#: The one case an entry whose target does not import gets instead of every check failing alike.
TARGET_CHECK = "target-loads"


@dataclass(frozen=True)
class Case:
    """One check on one entry or plugin; ``str(case)`` is a readable pytest id."""

    kind: str
    name: str
    check: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}:{self.check}"

    def run(self) -> None:
        """Run the check; raise :class:`ConformanceError` naming the case when it fails."""
        import torch

        if self.check == TARGET_CHECK:
            try:
                get_registry(self.kind).get(self.name).load()
            except Exception as exc:
                raise ConformanceError(f"{self}: {exc} (the other {self.kind} checks wait for it)") from exc
            return
        check = get_check(self.kind, self.check)
        if check is None:
            known = ", ".join(c.name for c in checks(self.kind))
            raise ConformanceError(f"{self}: no such check; the {self.kind} checks are: {known}")
        spec, plugin, command = None, None, None
        if self.kind == "plugins":
            plugin = _plugin_info(self.name)
        elif self.kind == "commands":
            found = plugin_commands(None).get(self.name)
            if found is None:
                raise ConformanceError(f"{self}: no plugin adds a command called '{self.name}'")
            command = found[1]
        else:
            spec = get_registry(self.kind).get(self.name)
        with tempfile.TemporaryDirectory(prefix="ganzoo-check-") as tmp, torch.random.fork_rng(devices=[]):
            context = CheckContext(self.kind, self.name, Path(tmp), spec=spec, plugin=plugin, command=command)
            try:
                check.function(context)
            except ConformanceError as exc:
                raise ConformanceError(f"{self}: {exc}") from exc
            except Exception as exc:
                raise ConformanceError(f"{self}: {type(exc).__name__}: {exc}") from exc


def _check_kinds(kinds: Iterable[str]) -> list[str]:
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    unknown = [kind for kind in kinds if kind not in KINDS and kind not in EXTRA_KINDS]
    if unknown:
        raise UsageError(f"unknown check kind(s) {', '.join(map(repr, unknown))}; expected some of "
                         f"{', '.join((*KINDS, *EXTRA_KINDS))}")
    return kinds


def _loads(kind: str, name: str) -> bool:
    try:
        get_registry(kind).get(name).load()
    except Exception:
        return False
    return True


def cases(plugin: str | None = None, *, kinds: Iterable[str] = DEFAULT_KINDS) -> list[Case]:
    """Every (entry, check) pair for the entries ``plugin`` registered (all plugins when None).

    ``plugin`` is an entry-point name or a distribution name (``ganzoo`` means the built-ins).
    ``kinds`` are registry kinds, ``"commands"`` (the plugin's CLI commands) and ``"plugins"``
    (see :func:`plugin_cases`); another word is refused. An entry whose target does not import
    gets one case, ``target-loads``, instead of one failure per check.
    """
    kinds = _check_kinds(kinds)
    owners = {info.name for info in _plugin_infos(plugin)} if plugin is not None else None
    found: list[Case] = []
    for kind in kinds:
        if kind == "plugins":
            found += plugin_cases(plugin)
            continue
        kind_checks = checks(kind)
        if kind == "commands":
            found += [Case(kind, name, check.name) for name in sorted(plugin_commands(owners))
                      for check in kind_checks]
            continue
        for spec in get_registry(kind).specs():
            if owners is not None and spec.plugin not in owners:
                continue
            wanted = [check for check in kind_checks if check.applies_to(spec)]
            if wanted and not _loads(kind, spec.name):
                found.append(Case(kind, spec.name, TARGET_CHECK))
                continue
            found += [Case(kind, spec.name, check.name) for check in wanted]
    return found


def plugin_cases(plugin: str | None = None, *, builtin_only: bool = False) -> list[Case]:
    """Every plugin-level check (loads, hook module torch-free, targets resolve) per plugin."""
    from ganzoo.plugins import get_manager

    infos = _plugin_infos(plugin) if plugin is not None else list(get_manager().plugins.values())
    if builtin_only:
        infos = [info for info in infos if info.builtin]
    return [Case("plugins", info.name, check.name) for info in infos for check in checks("plugins")]


def _run_all(found: list[Case]) -> None:
    failures = []
    for case in found:
        try:
            case.run()
        except ConformanceError as exc:
            failures.append(str(exc))
    if failures:
        raise ConformanceError(f"{len(failures)} of {len(found)} checks failed:\n" + "\n".join(failures))


def check_plugin(plugin: str) -> None:
    """Run every check on ``plugin`` and everything it registered; report all failures at once.

    >>> check_plugin("ganzoo-plugin-example")   # doctest: +SKIP
    """
    _run_all(plugin_cases(plugin) + cases(plugin, kinds=(*KINDS, "commands")))


def check_architecture(name: str) -> None:
    """Run every architecture check on the registered architecture ``name``."""
    spec = get_registry("architectures").get(name)
    _run_all([Case("architectures", name, c.name) for c in checks("architectures") if c.applies_to(spec)])


def check_loss(name: str) -> None:
    """Run every check on the registered adversarial loss or regulariser ``name``."""
    kind = "regularisers" if name not in get_registry("losses") and name in get_registry("regularisers") else "losses"
    real = get_registry(kind).get(name).name
    _run_all([Case(kind, real, c.name) for c in checks(kind)])


def check_dataset(name: str) -> None:
    """Run every dataset check on the registered dataset ``name``."""
    real = get_registry("datasets").get(name).name
    _run_all([Case("datasets", real, c.name) for c in checks("datasets")])


def _plugin_infos(name: str) -> list["PluginInfo"]:
    """The loaded plugins called ``name``, or shipped by the distribution ``name``."""
    from ganzoo.plugins import _normalise, get_manager

    manager = get_manager()
    if name in manager.plugins:
        return [manager.plugins[name]]
    by_dist = [i for i in manager.plugins.values() if i.distribution and _normalise(i.distribution) == _normalise(name)]
    if by_dist:
        return by_dist
    wanted = _normalise(name)
    skipped = [i.name for i in manager.skipped if _normalise(i.distribution or "") == wanted or i.name == name]
    if skipped:
        raise UnknownNameError(
            f"plugin '{name}' is installed but GANZOO_LOAD_PLUGINS leaves it out; add it to that list or unset it"
        )
    loaded = ", ".join(sorted(manager.plugins)) or "none"
    raise UnknownNameError(
        f"no plugin or distribution called '{name}' is loaded (loaded: {loaded}); "
        f"install it (pip install -e .) and check GANZOO_LOAD_PLUGINS"
    )


def _plugin_info(name: str) -> "PluginInfo":
    from ganzoo.plugins import get_manager

    info = get_manager().plugins.get(name)
    return info if info is not None else _plugin_infos(name)[0]
