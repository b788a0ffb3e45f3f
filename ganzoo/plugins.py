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
* ``GANZOO_PLUGIN_SLOW_SECONDS`` -- seconds before a plugin still loading is named on stderr
  (default 3; 0 turns the notice off).

A plugin cannot silence or take over the command line while it loads (import and hook calls):
what it prints to stdout goes to stderr, a slow one is named as it happens, Ctrl-C names it
(:class:`ganzoo.errors.PluginLoadInterrupted`), ``os._exit()`` called from Python is refused,
and a crash leaves Python's crash report, which names the plugin's file. What no process can
survive -- a hang, an exit from C, a crash -- :func:`check_plugins` (``ganzoo plugins --check``)
finds by loading each plugin in a subprocess of its own.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from importlib import metadata as importlib_metadata
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import pluggy

from ganzoo import hookspecs
from ganzoo.errors import PluginError, PluginLoadInterrupted, UsageError
from ganzoo.registry import KINDS, Registry, Spec, make_spec

if TYPE_CHECKING:
    import click

ENTRY_POINT_GROUP = "ganzoo"
BUILTIN_DISTRIBUTION = "ganzoo"
#: Seconds a plugin may take to load before it is named on stderr (``GANZOO_PLUGIN_SLOW_SECONDS``).
DEFAULT_SLOW_SECONDS = 3.0
CHECK_COMMAND = "ganzoo plugins --check"

hookimpl = hookspecs.hookimpl


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _normalise(name: str) -> str:
    """PEP 503 form, so ``ganzoo_plugin_example`` and ``ganzoo-plugin-example`` both match."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _one_line(text: str) -> str:
    """Exception messages may span lines; the stderr report must not."""
    return " ".join(text.split())


def _slow_seconds() -> float:
    """``GANZOO_PLUGIN_SLOW_SECONDS``, or the default when unset or not a number."""
    try:
        value = float(os.environ.get("GANZOO_PLUGIN_SLOW_SECONDS", DEFAULT_SLOW_SECONDS))
    except ValueError:
        return DEFAULT_SLOW_SECONDS
    return value if value == value else DEFAULT_SLOW_SECONDS  # NaN


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
            info.details = traceback.format_exc()
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

    @contextlib.contextmanager
    def _loading(self, info: PluginInfo, entry_point: str | None) -> Iterator[None]:
        """Guard the CLI while a plugin's code runs: see the module docstring."""
        err = sys.stderr
        who = _plugin_words(info)
        skip = ""
        if entry_point and not info.builtin:
            skip = f"; to skip it, set {allow_list_without([entry_point], self._third_party)}"
        check = f"; '{CHECK_COMMAND}' tests each plugin on its own" if entry_point else ""
        timer = None
        if self.slow_seconds > 0:
            notice = f"ganzoo: {who} is still loading after {self.slow_seconds:g} s{skip}{check}"
            timer = threading.Timer(self.slow_seconds, _say, args=(err, notice))
            timer.daemon = True
        with _stdout_to(self.stdout_sink or err), _os_exit_refused(), _crash_report(err):
            if timer is not None:
                timer.start()
            try:
                yield
            except KeyboardInterrupt as exc:
                if isinstance(exc, PluginLoadInterrupted):
                    raise
                raise PluginLoadInterrupted(info.name, f"interrupted while loading {who}{skip}{check}") from exc
            finally:
                if timer is not None:
                    timer.cancel()

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


def _info_for(ep: importlib_metadata.EntryPoint) -> PluginInfo:
    dist = getattr(ep, "dist", None)
    return PluginInfo(
        name=ep.name,
        module=ep.value,
        distribution=_dist_name(ep) or None,
        version=dist.version if dist is not None else None,
        builtin=_dist_name(ep) == BUILTIN_DISTRIBUTION,
    )


def _plugin_words(info: PluginInfo) -> str:
    """``plugin 'x' (x-dist 1.0)`` or ``built-in plugin 'dcgan'``, for messages."""
    if info.builtin:
        return f"built-in plugin '{info.name}'"
    origin = f" ({info.distribution} {info.version or ''})".replace(" )", ")") if info.distribution else ""
    return f"plugin '{info.name}'{origin}"


def _say(stream: TextIO, line: str) -> None:
    """Print from the slow-notice timer thread; a closed stderr must not raise there."""
    with contextlib.suppress(Exception):
        stream.write(line + "\n")
        stream.flush()


def _flush(stream: TextIO | None) -> None:
    with contextlib.suppress(Exception):
        if stream is not None:
            stream.flush()


@contextlib.contextmanager
def _stdout_to(target: TextIO) -> Iterator[None]:
    """Send stdout to ``target``: ``sys.stdout`` and, where it can, file descriptor 1 as well.

    The descriptor covers what Python's ``print`` does not: subprocesses a plugin starts and C
    code that writes to fd 1 (whatever C's stdio buffers is still flushed later, to stdout).
    """
    _flush(sys.stdout)
    saved = None
    try:
        target_fd = target.fileno()
        if target_fd != 1:
            saved = os.dup(1)
            os.dup2(target_fd, 1)
    except (AttributeError, OSError, ValueError):  # no real descriptors (notebooks, capture)
        if saved is not None:
            os.close(saved)
        saved = None
    try:
        with contextlib.redirect_stdout(target):
            yield
    finally:
        _flush(target)
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


class _ExitRefused(SystemExit):
    """Raised instead of ending the process when a plugin calls ``os._exit()`` while loading."""

    def __init__(self, code: object) -> None:
        super().__init__(f"called os._exit({code!r}); ganzoo kept running")


@contextlib.contextmanager
def _os_exit_refused() -> Iterator[None]:
    """Make ``os._exit()`` from the loading thread a failure of the plugin instead of the end of ganzoo.

    Only Python-level calls are caught; a child process the plugin forks still exits, and an
    exit from C code cannot be stopped (``ganzoo plugins --check`` names such a plugin).
    """
    real = os._exit
    pid, thread = os.getpid(), threading.get_ident()

    def refuse(status: int) -> NoReturn:
        if os.getpid() != pid or threading.get_ident() != thread:
            real(status)
        raise _ExitRefused(status)

    os._exit = refuse
    try:
        yield
    finally:
        if os._exit is refuse:
            os._exit = real


@contextlib.contextmanager
def _crash_report(err: TextIO) -> Iterator[None]:
    """While a plugin loads, a crash (SIGSEGV ...) prints Python's report, which names its file."""
    import faulthandler

    enabled = False
    if not faulthandler.is_enabled():
        try:
            faulthandler.enable(file=err, all_threads=False)
            enabled = True
        except (AttributeError, OSError, ValueError, RuntimeError):  # stderr without a descriptor
            pass
    try:
        yield
    finally:
        if enabled:
            faulthandler.disable()


def _exception_words(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, _ExitRefused) else f"{type(exc).__name__}: {exc}"


def _owner_words(owner: str) -> str:
    return "ganzoo itself" if owner == "ganzoo" else f"plugin '{owner}'"


def _stage_words(stage: str) -> str:
    return {
        "import": "import failed",
        "register": "invalid plugin",
        "hook": "a hook raised",
        "commands": "register_commands raised",
    }[stage]


# -- blaming a plugin for an exception in its code ---------------------------------------------------


def _top(module: str) -> str:
    return module.split(".")[0]


def owner_of(obj: object) -> tuple[PluginInfo, Spec | None] | None:
    """The loaded third-party plugin whose registered code ``obj`` (an instance or class) is, if any.

    Matched by the package of the object's class against the packages of every target a plugin
    registered; the entry is the one whose target is exactly that class, when there is one.
    """
    manager = _manager
    if manager is None:
        return None
    cls = obj if isinstance(obj, type) else type(obj)
    module = getattr(cls, "__module__", "") or ""
    target = f"{module}:{cls.__qualname__}"
    found: tuple[PluginInfo, Spec | None] | None = None
    for registry in manager.registries.values():
        for spec in registry:
            info = manager.plugins.get(spec.plugin)
            if info is None or info.builtin:
                continue
            if spec.target == target:
                return info, spec
            if found is None and _top(spec.target) == _top(module):
                found = (info, None)
    return found


def _frame_owner(tb: Any) -> tuple[PluginInfo, str, str] | None:
    """The innermost traceback frame in a third-party plugin's package: (plugin, ``file:line``, module)."""
    manager = _manager
    if manager is None:
        return None
    packages: dict[str, PluginInfo] = {}
    for registry in manager.registries.values():
        for spec in registry:
            info = manager.plugins.get(spec.plugin)
            if info is not None and not info.builtin:
                packages.setdefault(_top(spec.target), info)
    found = None
    while tb is not None:
        name = tb.tb_frame.f_globals.get("__name__", "")
        if isinstance(name, str) and _top(name) in packages:
            found = (packages[_top(name)], f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}", name)
        tb = tb.tb_next
    return found


@contextlib.contextmanager
def plugin_code(*objects: object, what: str) -> Iterator[None]:
    """Run a third-party plugin's code (``what``: ``"d_loss"``...); its exceptions name the plugin.

    An exception that is no :class:`~ganzoo.errors.GanzooError`, raised in a third-party
    plugin's package or by a call into one of ``objects`` that belong to one, becomes a one-line
    :class:`~ganzoo.errors.PluginError` naming the plugin and its entry, instead of reaching the
    CLI as ganzoo's own internal error. Built-in plugins' failures pass through unchanged.
    """
    from ganzoo.errors import GanzooError

    try:
        yield
    except GanzooError:
        raise
    except Exception as exc:
        blamed = blame(exc, *objects, what=what)
        if blamed is None:
            raise
        raise blamed from exc


def blame(exc: BaseException, *objects: object, what: str | None = None) -> PluginError | None:
    """The :class:`PluginError` that blames ``exc`` on the third-party plugin it came from, or ``None``.

    The plugin is found from the innermost traceback frame in its package, or from ``objects``
    (instances or classes it registered); the entry is named when one of ``objects`` is exactly
    a registered target. Commands use it as the last word on an unexpected exception, so a
    plugin's bug is never reported as ganzoo's "internal error".
    """
    frame = _frame_owner(exc.__traceback__)
    owner = next((found for found in map(owner_of, objects) if found is not None), None)
    if frame is None and owner is None:
        return None
    info = frame[0] if frame is not None else owner[0]  # type: ignore[index]
    spec = owner[1] if owner is not None and owner[0] is info else None
    if spec is None and frame is not None:
        spec = _spec_at(info, frame[2])
    entry = f" {KINDS[spec.kind]} '{spec.name}' ({spec.target})" if spec is not None else ""
    where = f" at {frame[1]}" if frame is not None else ""
    during = f" failed in {what}" if what else " raised"
    return PluginError(
        f"{_plugin_words(info)}{entry}{during}{where}: {_one_line(f'{type(exc).__name__}: {exc}')}; "
        f"this is a bug in that plugin, not in ganzoo: report it to its authors"
    )


def _spec_at(info: PluginInfo, module: str) -> Spec | None:
    """The one entry ``info`` registered whose target lives in ``module``, if exactly one does."""
    manager = _manager
    if manager is None:
        return None
    found = [spec for registry in manager.registries.values() for spec in registry
             if spec.plugin == info.name and spec.target.partition(":")[0] == module]
    return found[0] if len(found) == 1 else None


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


# -- checking each plugin in a process of its own ------------------------------------------------------

#: Seconds a checked plugin may take to load before ``ganzoo plugins --check`` calls it hanging.
DEFAULT_CHECK_TIMEOUT = 30.0


@dataclass
class CheckResult:
    """How one plugin fared when loaded alone in a fresh process (``ganzoo plugins --check``)."""

    name: str
    module: str
    distribution: str | None
    version: str | None
    builtin: bool
    #: ``ok``, ``failed`` (raised, or refused to load), ``hangs``, ``exited`` or ``crashed``.
    status: str = "ok"
    #: One line: the error, the exit code or the signal, and where the plugin was when it stopped.
    detail: str | None = None
    seconds: float = 0.0
    exit_code: int | None = None
    signal: str | None = None
    #: ``file:line`` of the plugin's code when it hung or crashed, from Python's stack dump.
    where: str | None = None
    #: The first line the plugin printed to stdout while loading (ganzoo sends that to stderr).
    printed: str | None = None
    #: Set when ``GANZOO_LOAD_PLUGINS`` leaves the plugin out of normal runs.
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_CHILD = (
    "import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
    "from ganzoo.plugins import _check_child; _check_child(sys.argv[2:])"
)


def check_plugins(timeout: float = DEFAULT_CHECK_TIMEOUT, jobs: int | None = None) -> list[CheckResult]:
    """Load every installed plugin alone in a subprocess and report how each one fared.

    Nothing is loaded in this process, so a plugin that hangs, calls ``os._exit`` from C or
    crashes the interpreter cannot stop the check; it is named instead. A plugin still loading
    after ``timeout`` seconds is stopped (SIGTERM, which makes Python print where it was, then
    SIGKILL) and reported as hanging. ``jobs`` plugins are checked at a time.
    """
    import json
    import signal
    import subprocess
    import tempfile
    import time
    from pathlib import Path

    eps = _entry_points()
    results = []
    for ep in eps:
        info = _info_for(ep)
        results.append(CheckResult(info.name, info.module, info.distribution, info.version, info.builtin,
                                   skipped=None if _allowed(ep) else "not listed in GANZOO_LOAD_PLUGINS"))
    jobs = max(1, jobs or min(8, os.cpu_count() or 1))
    posix = os.name == "posix"
    with tempfile.TemporaryDirectory(prefix="ganzoo-check-") as tmp:
        folder = Path(tmp)
        waiting = list(range(len(eps)))
        running: dict[int, dict[str, Any]] = {}

        def start(index: int) -> None:
            ep = eps[index]
            files = {part: folder / f"{index}.{part}" for part in ("result", "stdout", "stderr")}
            with open(files["stdout"], "wb") as out, open(files["stderr"], "wb") as err:
                proc = subprocess.Popen(
                    [sys.executable, "-c", _CHILD, json.dumps(sys.path), _dist_name(ep), ep.name, ep.value,
                     str(files["result"])],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=posix,
                )
            running[index] = {"proc": proc, "files": files, "started": time.monotonic(), "stopped": None}

        def stop(proc: subprocess.Popen[bytes], sig: int) -> None:
            with contextlib.suppress(OSError):
                if posix:
                    os.killpg(proc.pid, sig)
                else:
                    proc.kill()

        try:
            while waiting or running:
                while waiting and len(running) < jobs:
                    start(waiting.pop(0))
                now = time.monotonic()
                for index, run in list(running.items()):
                    proc = run["proc"]
                    if proc.poll() is not None:
                        if posix:  # whatever the plugin started goes with it
                            stop(proc, signal.SIGKILL)
                        _read_child(results[index], run, time.monotonic() - run["started"], timeout)
                        del running[index]
                    elif run["stopped"] is None and now - run["started"] > timeout:
                        run["stopped"] = now
                        stop(proc, signal.SIGTERM if posix else 0)
                    elif run["stopped"] is not None and now - run["stopped"] > 5:
                        stop(proc, signal.SIGKILL if posix else 0)
                time.sleep(0.02)
        finally:
            for run in running.values():
                stop(run["proc"], signal.SIGKILL if posix else 0)
                run["proc"].wait()
    return results


def _read_child(result: CheckResult, run: dict[str, Any], seconds: float, timeout: float) -> None:
    """Fill ``result`` from a finished child: its result file, exit status, stdout and stderr."""
    import json
    import signal

    result.seconds = round(seconds, 3)
    code = run["proc"].returncode
    files = run["files"]
    stderr = files["stderr"].read_text(errors="replace")
    printed = [line.strip() for line in files["stdout"].read_text(errors="replace").splitlines() if line.strip()]
    result.printed = printed[0][:200] if printed else None
    try:
        report = json.loads(files["result"].read_text())
    except (OSError, ValueError):
        report = None
    if run["stopped"] is not None:
        result.status, result.where = "hangs", _where_stopped(stderr)
        result.detail = f"still loading after {timeout:g} s; stopped" + (f", in {result.where}" if result.where else "")
    elif report is not None:
        if report.get("error"):
            result.status, result.detail = "failed", report["error"]
    elif code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        result.status, result.signal, result.where = "crashed", name, _where_stopped(stderr)
        result.detail = f"the process was killed by {name} while loading" + (
            f", in {result.where}" if result.where else ""
        )
    else:
        last = [line.strip() for line in stderr.splitlines() if line.strip()]
        result.status, result.exit_code = "exited", code
        result.detail = f"the process exited with code {code} while loading" + (
            f"; its last words on stderr: {_one_line(last[-1])[:200]}" if last else ""
        )


def _where_stopped(stderr: str) -> str | None:
    """``file:line`` of the innermost frame of Python's stack dump that is not Python's own code.

    The dump (faulthandler: a crash, or the SIGTERM sent to a hanging plugin) lists the most
    recent call first; frames of the standard library and of ganzoo are passed over, so what is
    left is the plugin or something it imported.
    """
    import sysconfig

    skip = tuple(
        os.path.normcase(p) + os.sep
        for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"],
                  os.path.dirname(os.path.abspath(__file__))}
    )
    frames: list[tuple[str, str]] = []
    in_dump = False
    for line in stderr.splitlines():
        if "most recent call first" in line:
            in_dump, frames = True, []
            continue
        match = re.match(r'\s+File "(.+)", line (\d+)', line) if in_dump else None
        if match:
            frames.append((match.group(1), match.group(2)))
        elif in_dump and frames:
            in_dump = False
    real = [(f, n) for f, n in frames if not f.startswith("<")]
    for path, number in real:
        if not os.path.normcase(os.path.abspath(path)).startswith(skip):
            return f"{path}:{number}"
    return f"{real[0][0]}:{real[0][1]}" if real else None


def _check_child(argv: list[str]) -> None:
    """In the subprocess :func:`check_plugins` starts: load one plugin and write what happened."""
    import faulthandler
    import json
    import signal

    import click

    distribution, name, value, result_path = argv
    if hasattr(faulthandler, "register") and hasattr(signal, "SIGTERM"):
        faulthandler.register(signal.SIGTERM, all_threads=False, chain=True)  # a hang says where it was
    matches = [ep for ep in _entry_points() if (_dist_name(ep), ep.name, ep.value) == (distribution, name, value)]
    global _manager
    manager = PluginManager()
    manager.strict = False
    manager.slow_seconds = 0
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # print and fd 1 in order
    manager.stdout_sink = sys.stdout  # the parent reads what the plugin printed from here
    _manager = manager  # a hook that looks something up sees this plugin alone, not every plugin
    error: str | None
    if not matches:
        error = f"entry point {name} = {value} of {distribution or '?'} is not installed for {sys.executable}"
    else:
        info = _info_for(matches[0])
        manager._load_one(info, matches[0].load, entry_point=name)
        if info.error is None:
            manager.add_commands(click.Group("ganzoo"))
        error = info.error
    with open(result_path, "w", encoding="utf-8") as handle:
        json.dump({"error": error}, handle)
    _flush(sys.stdout)
    _flush(sys.stderr)
    os._exit(0)  # loaded: threads the plugin left running must not keep the check waiting


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
