"""Small helpers for what commands print: aligned tables and JSON."""

from __future__ import annotations

import json
import shutil
from typing import Any, Sequence

import click


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def echo_table(
    rows: Sequence[Sequence[str]], headers: Sequence[str] | None = None, shrink: int | None = None
) -> None:
    """Print rows as left-aligned columns; column ``shrink`` is cut to fit the terminal."""
    table = [list(headers)] + [list(r) for r in rows] if headers else [list(r) for r in rows]
    if not table:
        return
    columns = len(table[0])
    widths = [max(len(row[i]) for row in table) for i in range(columns)]
    budget = shutil.get_terminal_size((120, 20)).columns - 2 * (columns - 1)
    if shrink is not None and sum(widths) > budget:
        others = sum(w for i, w in enumerate(widths) if i != shrink)
        widths[shrink] = max(20, budget - others)
    for index, row in enumerate(table):
        cells = [_fit(cell, w).ljust(w) for cell, w in zip(row, widths)]
        line = "  ".join(cells).rstrip()
        click.echo(click.style(line, bold=True) if headers and index == 0 else line)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def human_size(num_bytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if num_bytes < 1024 or unit == "GB":
            return f"{num_bytes:.0f} {unit}" if unit == "B" else f"{num_bytes:.1f} {unit}"
        num_bytes /= 1024
    return f"{num_bytes:.1f} GB"
