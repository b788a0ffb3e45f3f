"""``ganzoo sample TARGET``: new images from a training run, a checkpoint folder, a zoo or a Hub model.

One command for every kind of model, resolved by :mod:`ganzoo.hub.resolve`; ``ganzoo pretrained
NAME sample`` is the same function under its older name. Latents and labels come from
:mod:`ganzoo.noise` (numpy), so a seed draws the same latents whatever the target is (a run and
the folder exported from it) and whichever backend runs the generator. A zoo name or checkpoint
folder with a verified ``generator.onnx`` runs through ONNX Runtime without importing torch
(:mod:`ganzoo.hub.fast`); everything else imports torch inside :func:`sample_target`.

    >>> sample_target("dcgan-fashion", n=16, seed=3, output=Path("grid.png"))   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import click

from ganzoo.cli.output import (
    OVERWRITE_HELP,
    SEED,
    TRUNCATION_HELP,
    AliasedOption,
    check_sample_outputs,
    hub_options,
    write_generated,
    write_samples,
)
from ganzoo.errors import UsageError
from ganzoo.noise import check_truncation_bound, class_indices, draw_inputs
from ganzoo.outputs import model_inputs, refuse_inputs

if TYPE_CHECKING:
    import numpy as np

    from ganzoo.hub.fast import FastSampler
    from ganzoo.hub.resolve import OpenedModel

#: The sampling backends and the variable that picks one.
BACKENDS = ("auto", "onnx", "torch")
BACKEND_ENV = "GANZOO_BACKEND"
#: Images per class when a class-conditional model is sampled without -n.
PER_CLASS = 10
#: ``(labels, images per row, row names)`` of a class-conditional sample; ``None`` for other models.
ClassRows: TypeAlias = "tuple[np.ndarray, int, list[str]] | None"

SAMPLE_HELP = """Generate new images from TARGET into a PNG grid (and/or one PNG per image).

TARGET is a training run (its latest checkpoint, and its EMA generator when it kept one), a
checkpoint folder, a zoo name (dcgan-fashion) or hf:owner/repo[@revision]. Latents and labels
come from numpy's generator, so a seed (0 unless --seed says otherwise) draws the same latents
for a run and for the folder exported from it, with either --backend. A class-conditional model
draws one grid row per class, in class order (or in the order of the --class options), and
prints which class each row shows.

\b
Examples:
  ganzoo sample dcgan-fashion
  ganzoo sample dcgan-fashion -n 16 --seed 3 -o grid.png --nrow 4
  ganzoo sample cgan-fashion                          # 10 rows of 10, one per class
  ganzoo sample cgan-fashion --class Sneaker -n 16
  ganzoo sample runs/cgan --class bag --class 7 -n 8
  ganzoo sample runs/x --no-ema --checkpoint step_00000200 --save-dir out/
  ganzoo sample hf:owner/my-gan@v1 --truncation 0.5
  ganzoo sample dcgan-fashion --backend torch         # or GANZOO_BACKEND=torch
"""

_OPTIONS: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
    click.option("-n", "--num", "n", default=None, type=click.IntRange(1, 100_000),
                 help="How many images [default: 64]. Class-conditional models draw one grid row per class "
                      "(the --class ones, else all): 10 per class by default, or N spread over the rows, "
                      "rounded up to fill every row."),
    click.option("--seed", type=SEED, default=0, show_default=True,
                 help="Seed of the latents and labels (same seed, same images, on every target and backend)."),
    click.option("-o", "--output", "--out", "output", cls=AliasedOption, hidden_aliases=("--out",),
                 type=click.Path(dir_okay=False, path_type=Path), default=None,
                 help="Grid image to write (.png, .jpg, .webp ...) [default: samples.png unless --save-dir is "
                      "given]."),
    click.option("--save-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                 help="Also write one PNG per image (sample_0000.png ...) into this folder, all or none."),
    click.option("--overwrite", is_flag=True, help=OVERWRITE_HELP),
    click.option("--nrow", type=click.IntRange(1, 1000), default=None, help="Images per grid row [default: ~sqrt(n)]."),
    click.option("--class", "--label", "classes", cls=AliasedOption, hidden_aliases=("--label",), multiple=True,
                 help="Class name (any case) or index, repeatable, for class-conditional models "
                      "[default: every class]."),
    click.option("--truncation", type=float, default=None, metavar="T", help=TRUNCATION_HELP),
    click.option("--device", default=None, help="cpu, cuda, cuda:1, mps or auto [default: cpu]."),
    click.option("--backend", type=click.Choice(BACKENDS, case_sensitive=False), default="auto", envvar=BACKEND_ENV,
                 show_default=True, show_envvar=True,
                 help="onnx: run the folder's generator.onnx with ONNX Runtime (no PyTorch, much faster start); "
                      "torch: PyTorch; auto: onnx when onnxruntime and a matching generator.onnx are there, on the "
                      "CPU."),
    click.option("--checkpoint", default=None,
                 help="Training runs only: which checkpoint, step_00000200, 200 or a folder [default: the latest]."),
    click.option("--ema/--no-ema", default=None,
                 help="Training runs only: use the EMA generator [default: when the run kept one]."),
    hub_options,
]


def sample_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of ``ganzoo sample`` (and of its alias ``ganzoo pretrained NAME sample``), in help order."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


@click.command("sample", help=SAMPLE_HELP, short_help="Generate new images from a run, a folder, a zoo or Hub model.")
@click.argument("target")
@sample_options
def sample_command(target: str, **options: Any) -> None:
    sample_target(target, **options)


def sample_target(target: str, *, n: int | None = None, seed: int | None = 0, output: Path | None = None,
                  save_dir: Path | None = None, overwrite: bool = False, nrow: int | None = None,
                  classes: Sequence[str] = (), truncation: float | None = None, device: str | None = None,
                  backend: str = "auto", checkpoint: str | None = None, ema: bool | None = None,
                  offline: bool = False, token: str | None = None, force_download: bool = False) -> None:
    """Sample ``target`` into files: what ``ganzoo sample`` and ``ganzoo pretrained NAME sample`` both run.

    Outputs are checked first, then the name is resolved once; the ONNX path is tried for zoo
    names and checkpoint folders (on the CPU, unless ``backend="torch"``), PyTorch otherwise.
    """
    from ganzoo.hub.resolve import check_run_options, parse_model_name

    if output is None and save_dir is None:
        output = Path("samples.png")
    chosen = [Path(checkpoint)] if checkpoint and Path(checkpoint).is_dir() else []
    check_sample_outputs(output, save_dir, overwrite=overwrite, inputs=model_inputs(target) + chosen)
    name = parse_model_name(target)
    check_run_options(name, checkpoint=checkpoint, ema=ema)
    backend = backend.lower()
    if backend == "onnx" and device not in (None, "cpu"):
        raise UsageError(f"--backend onnx runs on the CPU; drop --device {device} or use --backend torch")
    classes = tuple(classes)
    note = None
    if backend != "torch" and device in (None, "cpu") and not force_download:
        from ganzoo.hub.fast import FastPathUnavailable, open_fast_sampler

        try:
            sampler = open_fast_sampler(name)
            rows = _fast_rows(sampler, classes, n, truncation)
        except FastPathUnavailable as why:
            if backend == "onnx":
                fix = (", or write generator.onnx: 'ganzoo export' does (onnx installed), "
                       "scripts/add_zoo_onnx.py for zoo folders") if why.note else ""
                raise UsageError(f"--backend onnx cannot be used: {why}; use --backend torch{fix}") from None
            if why.note:  # said once the PyTorch path has loaded: a broken folder's error stays one line
                note = f"ganzoo: note: {why}; sampling with PyTorch"
        else:
            _refuse_model_folder(output, save_dir, sampler.folder)
            count, labels, nrow = _layout(rows, n, nrow)
            z, labels = draw_inputs(count, sampler.latent_dim, seed=seed, num_classes=sampler.num_classes,
                                    labels=labels, truncation=truncation)
            write_generated(sampler.generate, z, labels, output=output, save_dir=save_dir, nrow=nrow)
            _report(output, save_dir, count, f"{sampler.name}, {sampler.source}", rows, nrow)
            return

    from ganzoo.hub.resolve import open_model

    opened = open_model(name, device=device, ema=ema, checkpoint=checkpoint, offline=offline, token=token,
                        force_download=force_download)
    _refuse_model_folder(output, save_dir, getattr(opened.pretrained, "folder", None))
    if note is not None:
        click.echo(note, err=True)
    _sample_opened(opened, n, seed=seed, output=output, save_dir=save_dir, nrow=nrow, classes=classes,
                   truncation=truncation)


def _sample_opened(opened: "OpenedModel", n: int | None, *, seed: int | None, output: Path | None,
                   save_dir: Path | None, nrow: int | None, classes: tuple[str, ...],
                   truncation: float | None) -> None:
    """The PyTorch path: the ONNX path's latents, labels, files and lines, for any opened model."""
    from ganzoo.translation import is_translator

    model = opened.model
    if is_translator(model):
        raise UsageError(f"{opened.label} is image-to-image: it needs input images; use "
                         f"'ganzoo translate {opened.label} INPUT -o OUT'")
    num_classes = int(getattr(model, "num_classes", 0) or 0)
    rows = _class_rows(num_classes, opened.classes, classes, n)
    count, labels, nrow = _layout(rows, n, nrow)
    if truncation is not None:  # refused for models without Gaussian latents before anything is drawn
        from ganzoo.models import check_truncation

        truncation = check_truncation(model, truncation)
    z = None
    if getattr(model, "latent_distribution", None) == "normal":  # what the ONNX path draws too
        z, labels = draw_inputs(count, int(model.latent_dim), seed=seed, num_classes=num_classes, labels=labels,
                                truncation=truncation)
    write_samples(model, count, seed=seed, labels=labels, output=output, save_dir=save_dir, nrow=nrow,
                  latents=z, truncation=None if z is not None else truncation)
    if opened.pretrained is not None:
        what = f"{opened.pretrained.name}, {opened.pretrained.source}"
    else:
        loaded = opened.config.get("loaded") or {}
        what = f"{opened.name.text}, step {loaded.get('step')}{', EMA' if loaded.get('ema') else ''}"
    _report(output, save_dir, count, what, rows, nrow)


def _refuse_model_folder(output: Path | None, save_dir: Path | None, folder: Path | None) -> None:
    """No output inside the folder a zoo or Hub model was read from, once that folder is known."""
    for path, option in ((output, "-o"), (save_dir, "--save-dir")):
        if path is not None and folder is not None:
            refuse_inputs(path, [folder], option)


def _fast_rows(sampler: "FastSampler", classes: tuple[str, ...], n: int | None,
               truncation: float | None) -> ClassRows:
    """The class rows for the ONNX path, with the PyTorch path's errors for unknown classes and bad bounds."""
    if truncation is not None:
        distribution = (sampler.config.data.get("latent") or {}).get("distribution")
        if distribution != "standard-normal":
            raise UsageError(f"{sampler.name} draws its latents from a {distribution} distribution; --truncation "
                             f"is defined for normal latents only, so drop it")
        check_truncation_bound(truncation)
    return _class_rows(sampler.num_classes, sampler.config.classes, classes, n)


def _class_rows(num_classes: int, names: Sequence[str] | None, classes: tuple[str, ...], n: int | None) -> ClassRows:
    """Labels for one grid row per class: ``(labels, per_row, row names)``; ``None`` if unconditional.

    The rows are the ``--class`` choices in the order given (:func:`ganzoo.noise.class_indices`
    reads names and indices), or every class in index order; each holds :data:`PER_CLASS`
    images, or ``n`` spread over the rows and rounded up. The labels are a numpy int64 array.
    """
    import numpy as np

    if not num_classes:
        if classes:
            class_indices(classes, names, num_classes)  # the one-line "drop --class" refusal
        return None
    chosen = np.asarray(class_indices(classes, names, num_classes) if classes else np.arange(num_classes),
                        dtype=np.int64).reshape(-1)
    shown = [str(name) for name in names] if names and len(names) == num_classes else \
        [str(i) for i in range(num_classes)]
    per_row = PER_CLASS if n is None else -(-n // chosen.size)
    return np.repeat(chosen, per_row), per_row, [shown[int(i)] for i in chosen]


def _layout(rows: ClassRows, n: int | None, nrow: int | None) -> "tuple[int, np.ndarray | None, int | None]":
    """``(n, labels, nrow)``: 64 images by default, or the class rows' labels and width."""
    if rows is None:
        return (64 if n is None else n), None, nrow
    labels, per_row, names = rows
    if nrow is None and (len(names) > 1 or n is None):  # -n images of one class fill a square grid
        nrow = per_row
    return int(labels.size), labels, nrow


def _report(output: Path | None, save_dir: Path | None, n: int, what: str, rows: ClassRows,
            nrow: int | None) -> None:
    """What ``sample`` wrote, and which class each row shows; the same lines on both backends."""
    if output is not None:
        click.echo(f"wrote {output} ({n} images from {what})")
    if save_dir is not None:
        click.echo(f"wrote {n} images to {save_dir}/")
    if rows is not None:
        _, per_row, names = rows
        if len(names) == 1:
            click.echo(f"class: {names[0]}")
        elif nrow == per_row:
            click.echo(f"rows, top to bottom ({per_row} each): {', '.join(names)}")
        else:
            click.echo(f"images in order, {per_row} of each class: {', '.join(names)}")


def label_ids(labels: Sequence[str], model: Any, config: dict[str, Any], option: str = "--class") -> list[int]:
    """Class indices of an opened model from indices or class names (``option`` names the flag in errors)."""
    from ganzoo.hub.resolve import recorded_classes

    return class_indices(labels, recorded_classes(config), int(getattr(model, "num_classes", 0) or 0), option=option)


COMMANDS = [sample_command]
