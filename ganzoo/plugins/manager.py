"""The plugin manager: loading each plugin on its own, committing what it registered, and its commands.

Every plugin is loaded on its own: an import error, a hook without a spec, or an exception
inside a hook is recorded as that plugin's ``error`` (shown by ``ganzoo plugins``), reported as
one line on stderr, and whatever the plugin had registered is rolled back; the rest of ganzoo
keeps working. The process has one manager (:func:`get_manager`), which the registries and the
blame for a plugin's bugs (:mod:`ganzoo.plugins.blame`) read.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, TextIO

import pluggy

from ganzoo import hookspecs
from ganzoo.errors import PluginError, PluginLoadInterrupted, UsageError
from ganzoo.plugins.discovery import _allowed, _entry_points, _info_for, _third_party_loaded, allow_list_without
from ganzoo.plugins.info import PluginInfo, _one_line
from ganzoo.plugins.isolation import _exception_words, _slow_seconds, guarded_load
from ganzoo.registry import KINDS, Registry, Spec, make_spec

if TYPE_CHECKING:
    import click


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


class PluginManager:
    """Owns the pluggy manager, the registries, and a record of every plugin it tried."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("ganzoo")
        self.pm.add_hookspecs(hookspecs)
        self.registries: dict[str, Registry] = {kind: Registry(kind) for kind in KINDS}
        for registry in self.registries.values():
            registry.note = self.skipped_note
        self.plugins: dict[str, PluginInfo] = {}
        #: Installed plugins that ``GANZOO_LOAD_PLUGINS`` left out, so ``ganzoo plugins`` can say so.
        self.skipped: list[PluginInfo] = []
        self.strict = _env_flag("GANZOO_STRICT_PLUGINS")
        self.trace = _env_flag("GANZOO_TRACE_PLUGINS")
        #: Seconds before a plugin still loading is named on stderr; 0 or less: never.
        self.slow_seconds = _slow_seconds()
        #: Where plugins' stdout goes while they load (None: stderr, so stdout stays the command's).
        self.stdout_sink: TextIO | None = None
        self._entry_point_of: dict[str, str] = {}
        self._third_party: list[str] = []  # what GANZOO_LOAD_PLUGINS lets load, for the skip hints

    def skipped_note(self) -> str | None:
        """Where a name may be missing because ``GANZOO_LOAD_PLUGINS`` skips its installed plugin."""
        if not self.skipped:
            return None
        names = [info.name for info in self.skipped]
        which = ", ".join(f"'{info.name}' ({info.distribution})" if info.distribution else f"'{info.name}'"
                          for info in self.skipped)
        enable = ",".join([*self._third_party, *names])
        return (f"installed but skipped by GANZOO_LOAD_PLUGINS: plugin {which}; to load it, set "
                f"GANZOO_LOAD_PLUGINS={enable} (or unset it)")

    # -- discovery -----------------------------------------------------------------------------
    def load_entry_points(self) -> None:
        """Load every allowed entry point of the ``ganzoo`` group, built-ins first."""
        eps = _entry_points()
        self._third_party = _third_party_loaded(eps)
        for ep in eps:
            info = _info_for(ep)
            if not _allowed(ep):
                info.skipped = "not listed in GANZOO_LOAD_PLUGINS"
                self.skipped.append(info)
                continue
            self._load_one(info, ep.load, entry_point=ep.name)

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
    def _load_one(self, info: PluginInfo, load: Callable[[], Any], entry_point: str | None = None) -> None:
        if info.name in self.plugins:  # two distributions may use one entry-point name
            base = f"{info.name}@{info.distribution}"
            info.name, count = base, 1
            while info.name in self.plugins:
                count += 1
                info.name = f"{base}#{count}"
        self.plugins[info.name] = info
        if entry_point is not None:
            self._entry_point_of[info.name] = entry_point
        stage = "import"
        plugin: Any = None
        if self.trace:
            print(f"ganzoo-trace: loading plugin '{info.name}' from {info.module}", file=sys.stderr)
        try:
            with self._loading(info, entry_point):
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
            info.error = _one_line(f"{_stage_words(stage)}: {_exception_words(exc)}")
            info.details = _traceback_text()
            if self.strict:
                raise PluginError(
                    f"plugin '{info.name}' failed: {info.error} (GANZOO_STRICT_PLUGINS=1 makes this "
                    f"fatal; fix or uninstall the plugin, or leave it out of GANZOO_LOAD_PLUGINS)"
                ) from exc
            switch = "GANZOO_LOAD_PLUGINS"
            if entry_point is not None and not info.builtin:
                switch = allow_list_without([entry_point], self._third_party)
            print(
                f"ganzoo: plugin '{info.name}' failed ({info.error}); it is skipped. "
                f"Details: 'ganzoo plugins'; to skip it quietly, set {switch}.",
                file=sys.stderr,
            )
        except PluginLoadInterrupted:
            if plugin is not None and self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            raise

    def _loading(self, info: PluginInfo, entry_point: str | None) -> contextlib.AbstractContextManager[None]:
        """Guard the CLI while a plugin's code runs (:func:`ganzoo.plugins.isolation.guarded_load`)."""
        return guarded_load(info, entry_point, slow_seconds=self.slow_seconds, stdout_sink=self.stdout_sink,
                            third_party=self._third_party)

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
            _refuse_old_role(kind, name, metadata)
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
        owners = dict.fromkeys(cli.commands, "ganzoo")
        for impl in self.pm.hook.register_commands.get_hookimpls():
            name = self.pm.get_name(impl.plugin) or "?"
            before = dict(cli.commands)
            loading = self.plugins.get(name) or PluginInfo(name=name, module="?")
            try:
                if self.trace:
                    print(f"ganzoo-trace: {name}.register_commands(cli)", file=sys.stderr)
                with self._loading(loading, self._entry_point_of.get(name)):
                    impl.function(cli=cli)
            except (Exception, SystemExit) as exc:
                cli.commands.clear()
                cli.commands.update(before)
                error = _one_line(f"{_stage_words('commands')}: {_exception_words(exc)}")
                info = self.plugins.get(name)
                if info is not None:
                    info.error = error
                    info.details = _traceback_text()
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


#: ``metadata["role"]`` values that once split a registry and now have a hook of their own.
_MOVED_ROLES = {
    ("losses", "regulariser"): "register_regularisers",
    ("metrics", "feature-extractor"): "register_features",
}


def _refuse_old_role(kind: str, name: str, metadata: Mapping[str, Any] | None) -> None:
    """A regulariser registered as a loss (the old ``role`` metadata) is refused with where it goes now."""
    role = metadata.get("role") if isinstance(metadata, Mapping) else None
    hook = _MOVED_ROLES.get((kind, str(role)))
    if hook is not None:
        raise UsageError(f"{KINDS[kind]} '{name}' says metadata role={role!r}: ganzoo no longer reads roles; "
                         f"register it with the {hook} hook instead")


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


def current_manager() -> PluginManager | None:
    """The process-wide manager if plugins are loaded, else ``None``: blaming a plugin must not load them."""
    return _manager


def _use_manager(manager: PluginManager) -> None:
    """Make ``manager`` the process-wide one (a ``plugins --check`` child loads one plugin alone into it)."""
    global _manager
    _manager = manager


def _traceback_text() -> str:
    """The current exception's traceback; ``traceback`` (and textwrap) imported only when a plugin failed."""
    import traceback

    return traceback.format_exc()
