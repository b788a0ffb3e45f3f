"""``ganzoo sample``: images from a training run directory, as a grid and/or one file each.

torch is imported only when the command runs, so ``ganzoo --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ganzoo.cli.output import OVERWRITE_HELP, SEED, TRUNCATION_HELP, check_sample_outputs, write_samples
from ganzoo.outputs import model_inputs


@click.command("sample")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("-n", "--num", "n", type=click.IntRange(1, 100_000), default=64, show_default=True,
              help="How many images (made 256 at a time, so memory stays flat).")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the noise (same seed, same images).")
@click.option("-o", "--out", type=click.Path(dir_okay=False),
              help="Grid image to write, .png, .jpg, .webp ... (default samples.png unless --save-dir is given).")
@click.option("--save-dir", type=click.Path(file_okay=False),
              help="Also write one PNG per image (sample_0000.png ...) here, all or none.")
@click.option("--overwrite", is_flag=True, help=OVERWRITE_HELP)
@click.option("--nrow", type=click.IntRange(min=1), help="Images per grid row (default: a square grid).")
@click.option("--ema/--no-ema", default=None, help="Use the EMA generator (default: when the run kept one).")
@click.option("--checkpoint", help="Which checkpoint: step_00000200, 200 or a folder (default: the latest).")
@click.option("--class", "--label", "labels", multiple=True,
              help="Class to draw (index or name; repeatable, cycled) for class-conditional models; --label is "
                   "an alias.")
@click.option("--truncation", type=float, default=None, metavar="T", help=TRUNCATION_HELP)
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:N, mps or auto.")
def sample_command(run_dir: str, n: int, seed: int, out: str | None, save_dir: str | None, overwrite: bool,
                   nrow: int | None, ema: bool | None, checkpoint: str | None, labels: tuple[str, ...],
                   truncation: float | None, device: str) -> None:
    """Sample images from the run in RUN_DIR (its latest checkpoint by default).

    \b
    Examples:
      ganzoo sample runs/vanilla-fashion-mnist
      ganzoo sample runs/x -n 16 --seed 3 -o grid.png --nrow 4
      ganzoo sample runs/x --no-ema --checkpoint step_00000200 --save-dir out/
      ganzoo sample runs/cgan --class Sneaker --class 3
      ganzoo sample runs/x --truncation 0.5
    """
    if out is None and save_dir is None:
        out = "samples.png"
    inputs = model_inputs(run_dir) + ([Path(checkpoint)] if checkpoint and Path(checkpoint).is_dir() else [])
    check_sample_outputs(out, save_dir, overwrite=overwrite, inputs=inputs)

    from ganzoo.hub.resolve import open_model, parse_model_name

    name = parse_model_name(run_dir, accept=("run",))  # a zoo or checkpoint name is pointed at 'pretrained'
    opened = open_model(name, ema=ema, checkpoint=checkpoint, device=device)
    model, config = opened.model, opened.config
    chosen = label_ids(labels, model, config) if labels else None
    write_samples(model, n, seed=seed, labels=chosen, output=out, save_dir=save_dir, nrow=nrow,
                  truncation=truncation)
    loaded = config["loaded"]
    wrote = " and ".join(p for p in (out, f"{save_dir}/" if save_dir else None) if p)
    click.echo(f"wrote {n} samples to {wrote} (step {loaded['step']}{', EMA' if loaded['ema'] else ''})")


def label_ids(labels: tuple[str, ...], model: Any, config: dict[str, Any], option: str = "--class") -> list[int]:
    """Class indices of a run's model from indices or its dataset's class names (``option`` names the flag)."""
    from ganzoo.errors import UsageError

    num_classes = getattr(model, "num_classes", 0)
    if not num_classes:
        raise UsageError(f"{option} is for class-conditional models; this model takes no labels")
    from ganzoo.hub.config import DatasetRecord

    recorded = DatasetRecord.of(config.get("dataset"))
    names = (recorded.info.get("classes") if recorded else None) or []
    lowered = {str(name).lower(): i for i, name in enumerate(names)}
    ids = []
    for label in labels:
        if label.isdigit() and int(label) < num_classes:
            ids.append(int(label))
        elif label.lower() in lowered:
            ids.append(lowered[label.lower()])
        else:
            known = ", ".join(map(str, names)) or f"0-{num_classes - 1}"
            raise UsageError(f"unknown class {label!r}; choose from {known}")
    return ids


COMMANDS = [sample_command]
