"""``ganzoo interpolate NAME`` and ``ganzoo pretrained NAME interpolate``: walk a model's latent space.

Both commands share :func:`walk_options` and :func:`run_walk`; the first takes any model name
(a run folder too, with ``--checkpoint`` and ``--ema``), the second the names ``pretrained``
takes. torch is imported only when a command runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ganzoo.cli.output import OVERWRITE_HELP, TRUNCATION_HELP
from ganzoo.errors import UsageError

#: The most bytes of pixels a walk's frames may hold: a GIF or MP4 is written from all of them at once.
MAX_WALK_BYTES = 2**30
DEFAULT_SEEDS = "0,1"


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"--seeds takes whole numbers separated by commas, like 0,1,2; got {text!r}") from None
    if not seeds:
        raise UsageError(f"--seeds {text!r} names no seed; give whole numbers separated by commas, like 0,1,2")
    if any(not 0 <= s < 2**63 for s in seeds):
        raise UsageError("--seeds must be between 0 and 2**63 - 1")
    return seeds


def walk_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of both interpolation commands, outermost last."""
    options = [
        click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("walk.gif"),
                     show_default=True, help="What to write: .gif (animation), .mp4 (video, needs ganzoo[video]) "
                                             "or .png (a strip: one row per path, one column per frame)."),
        click.option("--seeds", default=None,
                     help="Waypoint seeds, in order: each gives one latent per row, as 'sample --seed' draws them "
                          f"[default: {DEFAULT_SEEDS}]."),
        click.option("--latents", "latents_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     default=None, help="Waypoints saved by --save-latents (a .safetensors file) instead of --seeds."),
        click.option("--save-latents", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Also write the waypoints to this .safetensors file, to walk them again later."),
        click.option("--steps", type=click.IntRange(2, 500), default=16, show_default=True,
                     help="Frames per leg between two waypoints, both ends included."),
        click.option("--rows", type=click.IntRange(1, 64), default=1, show_default=True,
                     help="Paths walked at once, one per row of each frame."),
        click.option("--mode", type=click.Choice(["slerp", "linear"]), default="slerp", show_default=True,
                     help="slerp follows the sphere Gaussian latents lie near; linear fades in the middle."),
        click.option("--loop", is_flag=True, help="Walk back to the first waypoint, so the animation cycles."),
        click.option("--class", "--label", "classes", multiple=True,
                     help="Class of each row (name or index, repeatable) for class-conditional models "
                          "[default: row r shows class r]; --label is an alias."),
        click.option("--from-class", default=None,
                     help="Walk from this class to --to-class at a fixed latent (class-conditional models)."),
        click.option("--to-class", default=None, help="The class a --from-class walk ends at."),
        click.option("--truncation", type=float, default=None, metavar="T", help=TRUNCATION_HELP),
        click.option("--fps", type=float, default=12.0, show_default=True, help="Frames per second of a GIF or MP4."),
        click.option("--scale", type=click.IntRange(1, 16), default=1, show_default=True,
                     help="Draw each pixel as a SCALE x SCALE square (nearest neighbour), for small images."),
        click.option("--nrow", type=click.IntRange(1, 64), default=None,
                     help="Paths per row of each frame [default: all side by side, up to 8]."),
        click.option("--overwrite", is_flag=True, help=OVERWRITE_HELP),
        click.option("--device", default=None, help="cpu, cuda, cuda:1, mps [default: cpu]."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def check_walk_outputs(name: str, options: dict[str, Any], *, overwrite: bool) -> None:
    """The output file (and the latents file) of a walk of ``name``, checked before the model loads.

    Neither may be the model's files or the ``--latents`` read.
    """
    from ganzoo.animation import output_kind
    from ganzoo.outputs import check_file, model_inputs

    output, save_latents = options["output"], options["save_latents"]
    check_walk_options(options)
    inputs = model_inputs(name) + ([Path(options["latents_file"])] if options["latents_file"] else [])
    output_kind(output)
    check_file(output, overwrite=overwrite, inputs=inputs, option="-o", image=False)
    if save_latents is not None:
        if save_latents.suffix.lower() != ".safetensors":
            raise UsageError(f"--save-latents writes a .safetensors file; end the name with .safetensors, "
                             f"not {save_latents.name}")
        check_file(save_latents, overwrite=overwrite, inputs=inputs, option="--save-latents", image=False)
        if save_latents.resolve() == output.resolve():
            raise UsageError("-o and --save-latents name the same file; give them different names")


def check_walk_options(options: dict[str, Any]) -> None:
    """Options that contradict each other or are out of range, refused before anything loads."""
    fps, seeds = options["fps"], options["seeds"]
    if not 0.5 <= fps <= 60:  # NaN fails too
        raise UsageError(f"--fps must be between 0.5 and 60, got {fps:g}")
    if seeds is not None:
        if options["latents_file"] is not None:
            raise UsageError("--seeds and --latents both give the waypoints; drop one of the two")
        if options["from_class"] is not None and len(_seeds(seeds)) > 1:
            raise UsageError("a --from-class walk stays at one latent, so it takes one seed (like --seeds 5); "
                             "give one, or drop --from-class to walk between seeds")
        _seeds(seeds)


def check_walk_size(frames: int, paths: int, image_shape: tuple[int, ...], *, nrow: int | None, scale: int,
                    kind: str) -> None:
    """Refuse, before any image is drawn, a walk whose frames would not fit in :data:`MAX_WALK_BYTES`.

    An animation is written from all its frames at once, so the figure is frames x frame pixels.
    """
    channels, height, width = (int(v) for v in image_shape[-3:])
    if kind == "strip":
        columns, grid_rows = frames, paths
        frames = 1
    else:
        columns = nrow or (paths if paths <= 8 else math.ceil(math.sqrt(paths)))
        columns = min(columns, paths)
        grid_rows = -(-paths // columns)
    frame_height = (grid_rows * (height + 2) + 2) * scale
    frame_width = (columns * (width + 2) + 2) * scale
    if kind == "mp4":  # RGB, scaled up to at least 256 pixels high
        up = max(1, -(-256 // frame_height))
        frame_height, frame_width, channels = frame_height * up, frame_width * up, 3
    total = frames * frame_height * frame_width * channels
    if total > MAX_WALK_BYTES:
        raise UsageError(f"that walk would hold {frames} frame{'s' if frames > 1 else ''} of {frame_width}x"
                         f"{frame_height} pixels, {total / 2**30:.1f} GiB in memory, more than the "
                         f"{MAX_WALK_BYTES // 2**30} GiB a walk may take; use a smaller --scale, fewer --steps "
                         f"or fewer --rows")


def read_latents(path: Path) -> Any:
    """Waypoints from a ``.safetensors`` file holding one tensor (``latents``, as --save-latents writes)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a safetensors file of latents ({exc}); write one with --save-latents") from None
    tensor = tensors.get("latents") if "latents" in tensors else (next(iter(tensors.values())) if len(tensors) == 1
                                                                    else None)
    if tensor is None:
        raise UsageError(f"{path} holds {len(tensors)} tensors and none named 'latents'")
    if not tensor.is_floating_point():
        raise UsageError(f"{path}: latents must be floating point, got {tensor.dtype}")
    if not bool(tensor.isfinite().all()):
        bad = int((~tensor.isfinite()).sum())
        raise UsageError(f"{path}: {bad} of the latents are NaN or infinite; a walk through them would be blank. "
                         f"Write the file again with --save-latents")
    return tensor


def run_walk(model: Any, label: str, *, output: Path, seeds: str | None, latents_file: Path | None,
             save_latents: Path | None, steps: int, rows: int, mode: str, loop: bool, classes: tuple[str, ...],
             from_class: str | None, to_class: str | None, truncation: float | None, fps: float,
             nrow: int | None, class_index: Callable[[str], int], scale: int = 1) -> str:
    """Walk ``model`` as the options say, write the files and return the line to print."""
    from ganzoo.animation import output_kind, write_walk
    from ganzoo.io import atomic_path
    from ganzoo.latents import check_walk, seeded_waypoints, walk
    from ganzoo.models import check_truncation

    if getattr(model, "task", None) == "image-to-image" or not getattr(model, "latent_dim", 0):
        raise UsageError(f"{label} has no latent space to walk (it is {getattr(model, 'task', 'not a sampler')}); "
                         "interpolation is for models that sample from noise")
    if truncation is not None:
        truncation = check_truncation(model, truncation)
    if (from_class is None) != (to_class is None):
        raise UsageError("--from-class and --to-class go together: give both, like --from-class Sneaker "
                         "--to-class 'Ankle boot'")
    if from_class is not None and not getattr(model, "num_classes", 0):
        raise UsageError(f"{label} is not class-conditional; drop --from-class and --to-class")
    labels = None
    if classes:
        import torch

        labels = torch.tensor([class_index(c) for c in classes], dtype=torch.long)
        if labels.numel() > rows:
            rows = labels.numel()
    if latents_file is not None:
        waypoints = read_latents(latents_file)
        if truncation is not None:
            raise UsageError("--truncation bounds newly drawn latents; saved --latents are used as they are, so "
                             "drop one of the two")
    else:
        waypoints = seeded_waypoints(model, _seeds(seeds or DEFAULT_SEEDS), rows, truncation=truncation)
    pair = None if from_class is None else (class_index(from_class), class_index(str(to_class)))
    paths = waypoints.shape[1] if waypoints.dim() == 3 else 1
    count = steps if pair else check_walk(mode, steps, waypoints.shape[0], paths, loop)
    check_walk_size(count, paths, tuple(getattr(model, "image_shape", (1, 1, 1))), nrow=nrow, scale=scale,
                    kind=output_kind(output))
    frames = walk(model, steps=steps, mode=mode, loop=loop, latents=waypoints, labels=labels, classes=pair)
    write_walk(frames, output, fps=fps, nrow=nrow, scale=scale)
    if save_latents is not None:
        from safetensors.torch import save_file

        with atomic_path(save_latents) as tmp:
            save_file({"latents": waypoints.contiguous()}, str(tmp), metadata={"source": label, "mode": mode})
    what = (f"class {from_class} to {to_class}" if pair else
            f"{waypoints.shape[0]} waypoints{' and back' if loop else ''}, {mode}")
    return (f"wrote {output} ({frames.shape[0]} frames of {frames.shape[1]} path{'s' if frames.shape[1] > 1 else ''}"
            f", {what}, from {label})")


@click.command("interpolate")
@click.argument("name")
@walk_options
@click.option("--checkpoint", default=None, help="Which checkpoint of a run (step_00002000, 2000) [default: latest].")
@click.option("--ema/--no-ema", default=None, help="A run's EMA generator [default: when the run kept one].")
def interpolate_command(name: str, checkpoint: str | None, ema: bool | None, device: str | None,
                        overwrite: bool, **options: Any) -> None:
    """Walk the latent space of NAME (a run folder, zoo name, checkpoint folder or hf:owner/repo).

    The same seeds give the same walk. A class-conditional model keeps each row's class, or
    blends two classes at a fixed latent with --from-class / --to-class.

    \b
    Examples:
      ganzoo interpolate runs/x -o walk.gif                 # seed 0 to seed 1, spherical
      ganzoo interpolate runs/x --seeds 0,5,9 --rows 4 --loop --no-ema
      ganzoo interpolate dcgan-fashion --mode linear --steps 32 -o walk.mp4
      ganzoo interpolate cgan-fashion --from-class Sneaker --to-class 'Ankle boot'
    """
    check_walk_outputs(name, options, overwrite=overwrite)

    from ganzoo.hub.resolve import open_model

    opened = open_model(name, ema=ema, checkpoint=checkpoint, device=device)
    pretrained = opened.pretrained

    def class_index(text: str) -> int:  # the checkpoint's class names, or a run's dataset's
        if pretrained is not None:
            return int(pretrained.labels_for([text])[0])
        from ganzoo.cli.sample import label_ids

        return label_ids((text,), opened.model, opened.config, option="--class")[0]

    click.echo(run_walk(opened.model, opened.label, class_index=class_index, **options))


COMMANDS = [interpolate_command]
