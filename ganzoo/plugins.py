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

import difflib
import os
import re
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


def _normalise(name: str) -> str:
    """PEP 503 form, so ``ganzoo_plugin_example`` and ``ganzoo-plugin-example`` both match."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _one_line(text: str) -> str:
    """Exception messages may span lines; the stderr report must not."""
    return " ".join(text.split())


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
    skipped: str | None = None

    @property
    def status(self) -> str:
        """``ok``, ``failed`` or ``skipped`` (installed but not allowed by the switches)."""
        return "failed" if self.error else "skipped" if self.skipped else "ok"

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, **asdict(self)}


class PluginManager:
    """Owns the pluggy manager, the registries, and a record of every plugin it tried."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("ganzoo")
        self.pm.add_hookspecs(hookspecs)
        self.registries: dict[str, Registry] = {kind: Registry(kind) for kind in KINDS}
        self.plugins: dict[str, PluginInfo] = {}
        #: Installed plugins that ``GANZOO_LOAD_PLUGINS`` left out, so ``ganzoo plugins`` can say so.
        self.skipped: list[PluginInfo] = []
        self.strict = _env_flag("GANZOO_STRICT_PLUGINS")
        self.trace = _env_flag("GANZOO_TRACE_PLUGINS")

    # -- discovery -----------------------------------------------------------------------------
    def load_entry_points(self) -> None:
        """Load every allowed entry point of the ``ganzoo`` group, built-ins first."""
        allow = os.environ.get("GANZOO_LOAD_PLUGINS")
        allowed = None if allow is None else {_normalise(p.strip()) for p in allow.split(",") if p.strip()}
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
            dist = getattr(ep, "dist", None)
            info = PluginInfo(
                name=ep.name,
                module=ep.value,
                distribution=dist_name(ep) or None,
                version=dist.version if dist is not None else None,
                builtin=builtin,
            )
            if not builtin and allowed is not None and not (
                {_normalise(ep.name), _normalise(dist_name(ep))} & allowed
            ):
                info.skipped = "not listed in GANZOO_LOAD_PLUGINS"
                self.skipped.append(info)
                continue
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
        if info.name in self.plugins:  # two distributions may use one entry-point name
            base = f"{info.name}@{info.distribution}"
            info.name, count = base, 1
            while info.name in self.plugins:
                count += 1
                info.name = f"{base}#{count}"
        self.plugins[info.name] = info
        stage = "import"
        plugin: Any = None
        if self.trace:
            print(f"ganzoo-trace: loading plugin '{info.name}' from {info.module}", file=sys.stderr)
        try:
            plugin = load()
            if plugin is None:
                raise PluginError("the entry point loaded as None; point it at the hook module")
            stage = "register"
            self.pm.register(plugin, name=info.name)
            info.hooks = sorted(hc.name for hc in self.pm.get_hookcallers(plugin) or [])
            unknown = [
                hc.name for hc in self.pm.get_hookcallers(plugin) or [] if hc.spec is None
            ]
            if unknown:
                raise PluginError(_unknown_hooks_message(unknown))
            stage = "hook"
            staged = self._call_register_hooks(info, plugin)
            self._commit(info, staged)
        except (Exception, SystemExit) as exc:  # a plugin calling sys.exit() must not end ganzoo
            if plugin is not None and self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            info.registered = {}
            info.error = _one_line(f"{_stage_words(stage)}: {type(exc).__name__}: {exc}")
            info.details = traceback.format_exc()
            if self.strict:
                raise PluginError(
                    f"plugin '{info.name}' failed: {info.error} (GANZOO_STRICT_PLUGINS=1 makes this "
                    f"fatal; fix or uninstall the plugin, or leave it out of GANZOO_LOAD_PLUGINS)"
                ) from exc
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
        """Let every loaded plugin add CLI commands, one plugin at a time.

        Commands already on ``cli`` (the built-ins, then earlier plugins') win name clashes, the
        same rule as the registries; a plugin whose hook raises adds none of its commands.
        """
        owners = {command: "ganzoo" for command in cli.commands}
        for impl in self.pm.hook.register_commands.get_hookimpls():
            name = self.pm.get_name(impl.plugin) or "?"
            before = dict(cli.commands)
            try:
                if self.trace:
                    print(f"ganzoo-trace: {name}.register_commands(cli)", file=sys.stderr)
                impl.function(cli=cli)
            except (Exception, SystemExit) as exc:
                cli.commands.clear()
                cli.commands.update(before)
                error = _one_line(f"{_stage_words('commands')}: {type(exc).__name__}: {exc}")
                info = self.plugins.get(name)
                if info is not None:
                    info.error = error
                    info.details = traceback.format_exc()
                if self.strict:
                    raise PluginError(f"plugin '{name}' failed: {error}") from exc
                print(
                    f"ganzoo: plugin '{name}' failed ({error}); its commands are skipped. "
                    f"Details: 'ganzoo plugins'.",
                    file=sys.stderr,
                )
                continue
            for command, obj in list(cli.commands.items()):
                if command in before and before[command] is not obj:
                    cli.commands[command] = before[command]
                    message = (
                        f"command '{command}' from plugin '{name}' is ignored: "
                        f"{_owner_words(owners[command])} defined it first"
                    )
                    info = self.plugins.get(name)
                    if info is not None:
                        info.clashes.append(message)
                    print(f"ganzoo: {message}", file=sys.stderr)
                elif command not in before:
                    owners[command] = name

    def failures(self) -> list[PluginInfo]:
        """Plugins that failed to import, register or run a hook, in load order."""
        return [info for info in self.plugins.values() if info.error]


def _unknown_hooks_message(unknown: list[str]) -> str:
    known = sorted(name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "ganzoo_spec"))
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.85)
        hints.append(f"{name} (did you mean {close[0]}?)" if close else name)
    return f"implements unknown hook(s) {', '.join(hints)}; ganzoo's hooks are {', '.join(known)}"


def _owner_words(owner: str) -> str:
    return "ganzoo itself" if owner == "ganzoo" else f"plugin '{owner}'"


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
