"""Finding, loading and isolating plugins.

Plugins are modules named by entry points in the ``ganzoo`` group. The built-in families are
entry points of the ``ganzoo`` distribution itself and load first, so they win name clashes.
Every plugin is loaded on its own: an import error, a hook without a spec, or an exception
inside a hook is recorded as that plugin's ``error`` (shown by ``ganzoo plugins``), reported as
one line on stderr, and whatever the plugin had registered is rolled back; the rest of ganzoo
keeps working.

Switches (environment variables):

* ``GANZOO_LOAD_PLUGINS`` -- comma-separated allow-list of third-party plugins (entry-point or
  distribution names). Set but empty: built-ins only. Unset: everything installed.
* ``GANZOO_STRICT_PLUGINS=1`` -- re-raise plugin failures instead of isolating them.
* ``GANZOO_TRACE_PLUGINS=1`` -- print every hook call and registration to stderr.
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import asdict, dataclass, field
from importlib import metadata as importlib_metadata
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import pluggy

from ganzoo import hookspecs
from ganzoo.errors import PluginError
from ganzoo.registry import KINDS, Registry, Spec, make_spec

if TYPE_CHECKING:
    import click

ENTRY_POINT_GROUP = "ganzoo"
BUILTIN_DISTRIBUTION = "ganzoo"

hookimpl = pluggy.HookimplMarker("ganzoo")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class PluginInfo:
    """What ``ganzoo plugins`` shows about one plugin."""

    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False
    hooks: list[str] = field(default_factory=list)
    registered: dict[str, list[str]] = field(default_factory=dict)
    clashes: list[str] = field(default_factory=list)
    error: str | None = None
    details: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class PluginManager:
    """Owns the pluggy manager, the registries, and a record of every plugin it tried."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("ganzoo")
        self.pm.add_hookspecs(hookspecs)
        self.registries: dict[str, Registry] = {kind: Registry(kind) for kind in KINDS}
        self.plugins: dict[str, PluginInfo] = {}
        self.strict = _env_flag("GANZOO_STRICT_PLUGINS")
        self.trace = _env_flag("GANZOO_TRACE_PLUGINS")

    # -- discovery -----------------------------------------------------------------------------
    def load_entry_points(self) -> None:
        """Load every allowed entry point of the ``ganzoo`` group, built-ins first."""
        allow = os.environ.get("GANZOO_LOAD_PLUGINS")
        allowed = None if allow is None else {p.strip() for p in allow.split(",") if p.strip()}
        eps = list(importlib_metadata.entry_points(group=ENTRY_POINT_GROUP))

        def dist_name(ep: importlib_metadata.EntryPoint) -> str:
            dist = getattr(ep, "dist", None)
            return dist.metadata["Name"] if dist is not None else ""

        builtins = [ep for ep in eps if dist_name(ep) == BUILTIN_DISTRIBUTION]
        others = sorted(
            (ep for ep in eps if dist_name(ep) != BUILTIN_DISTRIBUTION),
            key=lambda ep: (dist_name(ep), ep.name),
        )
        for ep in builtins + others:
            builtin = dist_name(ep) == BUILTIN_DISTRIBUTION
            if not builtin and allowed is not None and not ({ep.name, dist_name(ep)} & allowed):
                continue
            dist = getattr(ep, "dist", None)
            info = PluginInfo(
                name=ep.name,
                module=ep.value,
                distribution=dist_name(ep) or None,
                version=dist.version if dist is not None else None,
                builtin=builtin,
            )
            self._load_one(info, ep.load)

    def add_plugin(
        self,
        plugin: ModuleType | object,
        name: str,
        *,
        distribution: str | None = None,
        version: str | None = None,
    ) -> PluginInfo:
        """Register an in-process plugin object (tests, notebooks) with the same isolation."""
        info = PluginInfo(
            name=name,
            module=getattr(plugin, "__name__", type(plugin).__name__),
            distribution=distribution,
            version=version,
        )
        self._load_one(info, lambda: plugin)
        return info

    # -- loading one plugin in isolation -------------------------------------------------------
    def _load_one(self, info: PluginInfo, load: Callable[[], Any]) -> None:
        if info.name in self.plugins:
            info.name = f"{info.name}@{info.distribution}"
        self.plugins[info.name] = info
        stage = "import"
        plugin: Any = None
        try:
            plugin = load()
            stage = "register"
            self.pm.register(plugin, name=info.name)
            info.hooks = sorted(hc.name for hc in self.pm.get_hookcallers(plugin) or [])
            unknown = [
                hc.name for hc in self.pm.get_hookcallers(plugin) or [] if hc.spec is None
            ]
            if unknown:
                raise PluginError(
                    f"implements unknown hook(s) {', '.join(unknown)}; "
                    f"see 'ganzoo plugins' docs for the hook names"
                )
            stage = "hook"
            staged = self._call_register_hooks(info, plugin)
            self._commit(info, staged)
        except Exception as exc:
            if plugin is not None and self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            info.registered = {}
            info.error = f"{_stage_words(stage)}: {type(exc).__name__}: {exc}"
            info.details = traceback.format_exc()
            if self.strict:
                raise PluginError(f"plugin '{info.name}' failed: {info.error}") from exc
            print(
                f"ganzoo: plugin '{info.name}' failed ({info.error}); it is skipped. "
                f"Details: 'ganzoo plugins'; to skip it quietly, set GANZOO_LOAD_PLUGINS.",
                file=sys.stderr,
            )

    def _call_register_hooks(self, info: PluginInfo, plugin: Any) -> list[Spec]:
        staged: list[Spec] = []
        for hook_name, kind in hookspecs.REGISTER_HOOKS.items():
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                if impl.plugin is not plugin:
                    continue
                register = self._make_register(info, kind, staged)
                if self.trace:
                    print(f"ganzoo-trace: {info.name}.{hook_name}(register)", file=sys.stderr)
                kwargs = {"register": register} if "register" in impl.argnames else {}
                impl.function(**kwargs)
        return staged

    def _make_register(self, info: PluginInfo, kind: str, staged: list[Spec]) -> Callable[..., None]:
        def register(
            name: str,
            target: str,
            *,
            summary: str,
            tags: Iterable[str] = (),
            metadata: Mapping[str, Any] | None = None,
        ) -> None:
            spec = make_spec(
                kind, name, target, summary=summary, plugin=info.name, tags=tags, metadata=metadata
            )
            if self.trace:
                print(f"ganzoo-trace:   {KINDS[kind]} '{name}' -> {target}", file=sys.stderr)
            staged.append(spec)

        return register

    def _commit(self, info: PluginInfo, staged: list[Spec]) -> None:
        for spec in staged:
            existing = self.registries[spec.kind].add(spec)
            if existing is not None:
                message = (
                    f"{KINDS[spec.kind]} '{spec.name}' from plugin '{info.name}' is ignored: "
                    f"plugin '{existing.plugin}' registered it first"
                )
                info.clashes.append(message)
                print(f"ganzoo: {message}", file=sys.stderr)
                continue
            info.registered.setdefault(spec.kind, []).append(spec.name)

    # -- commands ------------------------------------------------------------------------------
    def add_commands(self, cli: "click.Group") -> None:
        """Let every loaded plugin add CLI commands, one plugin at a time."""
        for impl in self.pm.hook.register_commands.get_hookimpls():
            name = self.pm.get_name(impl.plugin) or "?"
            before = dict(cli.commands)
            try:
                if self.trace:
                    print(f"ganzoo-trace: {name}.register_commands(cli)", file=sys.stderr)
                impl.function(cli=cli)
            except Exception as exc:
                cli.commands.clear()
                cli.commands.update(before)
                info = self.plugins.get(name)
                if info is not None:
                    info.error = f"{_stage_words('commands')}: {type(exc).__name__}: {exc}"
                    info.details = traceback.format_exc()
                if self.strict:
                    raise PluginError(f"plugin '{name}' failed to add commands: {exc}") from exc
                print(f"ganzoo: plugin '{name}' failed to add commands ({exc}); skipped.", file=sys.stderr)

    def failures(self) -> list[PluginInfo]:
        return [info for info in self.plugins.values() if info.error]


def _stage_words(stage: str) -> str:
    return {
        "import": "import failed",
        "register": "invalid plugin",
        "hook": "a hook raised",
        "commands": "register_commands raised",
    }[stage]


_manager: PluginManager | None = None


def get_manager() -> PluginManager:
    """The process-wide manager, created and filled from entry points on first use."""
    global _manager
    if _manager is None:
        manager = PluginManager()
        _manager = manager
        try:
            manager.load_entry_points()
        except BaseException:
            _manager = None
            raise
    return _manager


def reset_manager() -> None:
    """Forget all loaded plugins (tests use this after changing the environment)."""
    global _manager
    _manager = None
