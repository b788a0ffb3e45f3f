"""Blaming a third-party plugin for an exception raised in its code, on the training hot path too.

Commands wrap calls into a plugin's registered code (a family's ``d_loss``, a metric's
``compute``, a dataset factory) in :func:`plugin_code`, and use :func:`blame` as the last word on
an unexpected exception, so a plugin's bug is reported as that plugin's, never as ganzoo's
"internal error". Only the plugins already loaded are searched; nothing here loads one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ganzoo.errors import GanzooError, PluginError
from ganzoo.plugins.info import PluginInfo, _one_line, _plugin_words
from ganzoo.plugins.manager import current_manager
from ganzoo.registry import KINDS, Spec


def _top(module: str) -> str:
    return module.split(".")[0]


def owner_of(obj: object) -> tuple[PluginInfo, Spec | None] | None:
    """The loaded third-party plugin whose registered code ``obj`` (an instance or class) is, if any.

    Matched by the package of the object's class against the packages of every target a plugin
    registered; the entry is the one whose target is exactly that class, when there is one.
    """
    manager = current_manager()
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
    manager = current_manager()
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
    manager = current_manager()
    if manager is None:
        return None
    found = [spec for registry in manager.registries.values() for spec in registry
             if spec.plugin == info.name and spec.target.partition(":")[0] == module]
    return found[0] if len(found) == 1 else None

