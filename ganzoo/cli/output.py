"""Small helpers for what commands print (aligned tables, JSON) and the sample files they write.

The rule for written files lives in :mod:`ganzoo.outputs`; this module holds what the commands
that sample or load models (``ganzoo sample``, ``pretrained``, ``interpolate``, ``translate``)
share on top of it: output checks, file writers, the Hub options and old option spellings.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click

#: The help text of every command's ``--overwrite`` (the rule: docs/cli.md, "Files a command writes").
OVERWRITE_HELP = ("Replace outputs that already exist (never an input: those are refused even with this). "
                  "Without it an existing output is an error, before any work starts.")

#: The type of every sampling command's ``--seed``: what a torch generator accepts, checked by click.
SEED = click.IntRange(0, 2**63 - 1)


def hub_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options every command that may download a model shares for finding its files."""
    command = click.option("--force-download", is_flag=True, help="Download again even if cached.")(command)
    command = click.option("--token", envvar="HF_TOKEN", help="Hugging Face token for private or gated repos.")(command)
    return click.option("--offline", is_flag=True, help="Use only files already on disk (no network).")(command)


class AliasedOption(click.Option):
    """An option whose old spellings (``hidden_aliases``) still work but are left out of ``--help``.

    >>> click.option("-o", "--output", "--out", cls=AliasedOption, hidden_aliases=("--out",))   # doctest: +SKIP
    """

    def __init__(self, *args: Any, hidden_aliases: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hidden_aliases = tuple(hidden_aliases)

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        shown, self.opts = self.opts, [o for o in self.opts if o not in self.hidden_aliases]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = shown


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


def check_sample_outputs(output: "str | os.PathLike[str] | None", save_dir: "str | os.PathLike[str] | None", *,
                         overwrite: bool, inputs: Iterable["str | os.PathLike[str]"] = ()) -> None:
    """The grid (``-o``) and ``--save-dir`` of a sampling command, checked before the model loads."""
    from ganzoo.outputs import SAMPLE_FILES, check_distinct, check_file, check_folder

    inputs = list(inputs)
    if output is not None:
        check_file(output, overwrite=overwrite, inputs=inputs, option="-o")
    if save_dir is not None:
        check_folder(save_dir, overwrite=overwrite, inputs=inputs, option="--save-dir")
    check_distinct(output, save_dir, SAMPLE_FILES, "-o", "--save-dir")


#: The help of ``--truncation`` wherever images are sampled.
TRUNCATION_HELP = ("Keep every latent value inside [-T, T] (the truncation trick, e.g. 0.5): more typical, "
                   "less varied images; for models with Gaussian latents (default off).")


def write_samples(model: Any, n: int, *, seed: int | None, labels: Any = None,
                  output: "str | os.PathLike[str] | None" = None, save_dir: "str | os.PathLike[str] | None" = None,
                  nrow: int | None = None, truncation: float | None = None, latents: Any = None) -> None:
    """Sample ``n`` images batch by batch into the grid and/or ``save_dir`` (all files or none).

    ``latents`` (numpy ``[n, latent_dim]``, :func:`ganzoo.noise.draw_inputs`) replace the model's own draw.
    """
    if truncation is not None:  # refused for models without Gaussian latents before any file is staged
        from ganzoo.models import check_truncation

        truncation = check_truncation(model, truncation)
    from ganzoo.images import sample_to_files
    from ganzoo.outputs import SAMPLE_FILES, staged_folder

    with contextlib.ExitStack() as stack:
        staging = None
        if save_dir is not None:
            staging = stack.enter_context(staged_folder(save_dir, total=n, replaces=SAMPLE_FILES,
                                                        what="sample images", option="--save-dir"))
        sample_to_files(model, n, seed=seed, out=output, save_dir=staging.path if staging else None, nrow=nrow,
                        labels=labels, return_images=False, truncation=truncation, latents=latents)


def write_generated(generate: Any, z: Any, labels: Any = None, *, output: "str | os.PathLike[str] | None" = None,
                    save_dir: "str | os.PathLike[str] | None" = None, nrow: int | None = None) -> None:
    """:func:`write_samples` for a numpy generator (ONNX Runtime): same files, same staging, no torch."""
    from ganzoo.images import generated_to_files
    from ganzoo.outputs import SAMPLE_FILES, staged_folder

    with contextlib.ExitStack() as stack:
        staging = None
        if save_dir is not None:
            staging = stack.enter_context(staged_folder(save_dir, total=int(z.shape[0]), replaces=SAMPLE_FILES,
                                                        what="sample images", option="--save-dir"))
        generated_to_files(generate, z, labels, out=output, save_dir=staging.path if staging else None, nrow=nrow)
