"""The record of one plugin, and the words messages use to name it.

Every other module of the loader fills, shows or blames a :class:`PluginInfo`, so it sits at the
bottom of the package and imports nothing of it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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


def _plugin_words(info: PluginInfo) -> str:
    """``plugin 'x' (x-dist 1.0)`` or ``built-in plugin 'dcgan'``, for messages."""
    if info.builtin:
        return f"built-in plugin '{info.name}'"
    origin = f" ({info.distribution} {info.version or ''})".replace(" )", ")") if info.distribution else ""
    return f"plugin '{info.name}'{origin}"


def _one_line(text: str) -> str:
    """Exception messages may span lines; the stderr report must not."""
    return " ".join(text.split())
