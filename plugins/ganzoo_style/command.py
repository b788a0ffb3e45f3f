"""``ganzoo style-transfer``: neural style transfer (Gatys et al. 2016) of one image.

The neural-style plugin adds this command through its ``register_commands`` hook
(:mod:`ganzoo_style.plugin`); the core CLI does not know it. The work is done by the
``neural-style`` architecture, found through the registry like any other; this module only
reads the files, passes the options and writes the results. torch is imported inside the
command, never at module import, so ``ganzoo --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

import click

from ganzoo.plugin_blocks import OVERWRITE_HELP

ARCH = "neural-style"
#: Without --size, a content image with a longer side above this is worked on at this size
#: (memory and time grow with the pixel count; the neural-style model applies the same default).
DEFAULT_SIZE = 512
MAX_SIZE = 8192
#: What --frames writes; with --overwrite an older set is replaced as a whole.
FRAME_FILES = re.compile(r"frame_\d+\.png|progress\.gif")


def _blend(text: str | None) -> list[float] | None:
    from ganzoo.plugin import UsageError

    if text is None:
        return None
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise UsageError(f"--style-blend takes comma-separated numbers like 0.7,0.3, not {text!r}") from None


@click.command("style-transfer")
@click.argument("content", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("styles", metavar="STYLE...", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("stylized.png"),
              show_default=True, help="Image to write (.png, .jpg, .webp ...); an existing file needs --overwrite.")
@click.option("--overwrite", is_flag=True, help=OVERWRITE_HELP)
@click.option("--size", type=click.IntRange(16, MAX_SIZE), default=None,
              help=f"Longer side of the output in pixels [default: the content image's size, shrunk to "
                   f"{DEFAULT_SIZE} when larger]. On a CPU keep it at 256-512.")
@click.option("--style-blend", default=None, help="Weights of several STYLE images, e.g. 0.7,0.3 [default: equal].")
@click.option("--style-scale", type=click.FloatRange(0.05, 8.0), default=1.0, show_default=True,
              help="Style images' longer side relative to the output's; smaller = finer strokes.")
@click.option("--content-weight", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Weight of the content term.")
@click.option("--style-weight", type=click.FloatRange(min=0), default=1e3, show_default=True,
              help="Weight of the style term; raise it for more style, lower it for more content.")
@click.option("--tv-weight", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Weight of the total-variation term (smooths high-frequency noise).")
@click.option("--steps", type=click.IntRange(1, 100_000), default=300, show_default=True,
              help="Optimisation steps (L-BFGS iterations or Adam updates).")
@click.option("--optimizer", type=click.Choice(["lbfgs", "adam"]), default="lbfgs", show_default=True,
              help="L-BFGS (the paper's) or Adam.")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Step size for pixels in [0, 1] [default: 1 for lbfgs, 0.02 for adam].")
@click.option("--init", type=click.Choice(["content", "noise", "style"]), default="content", show_default=True,
              help="Start from the content image, from noise (the paper's choice) or from the first style.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the noise for --init noise.")
@click.option("--preserve-color", is_flag=True,
              help="Keep the content's colours: transfer on luminance only (Gatys et al. 2016b).")
@click.option("--pool", type=click.Choice(["max", "avg"]), default="max", show_default=True,
              help="VGG pooling; avg gives smoother results (the paper's suggestion).")
@click.option("--vgg-weights", default="imagenet", show_default=True,
              help="imagenet (torchvision's file, from $TORCH_HOME/hub/checkpoints, downloaded once if missing), "
                   "a .pth/.safetensors PATH, or random (untrained: for tests; weaker results).")
@click.option("--offline", is_flag=True, help="Never download the VGG19 weights (also: HF_HUB_OFFLINE=1).")
@click.option("--frames", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write intermediate images (frame_00015.png ...) as they are made, and progress.gif, into this "
                   "folder; frames already there need --overwrite, which removes them first.")
@click.option("--frame-every", type=click.IntRange(min=1), default=None,
              help="Steps between frames [default: steps/20].")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def style_transfer_command(content: Path, styles: tuple[Path, ...], output: Path, overwrite: bool, size: int | None,
                           style_blend: str | None, style_scale: float, content_weight: float, style_weight: float,
                           tv_weight: float, steps: int, optimizer: str, lr: float | None, init: str, seed: int,
                           preserve_color: bool, pool: str, vgg_weights: str, offline: bool, frames: Path | None,
                           frame_every: int | None, device: str, quiet: bool) -> None:
    """Paint CONTENT in the style of one or more STYLE images (neural style, Gatys 2016).

    Optimises the pixels of one image so its VGG19 features match CONTENT (relu4_2) and
    the Gram matrices of the STYLE images (relu1_1 ... relu5_1). Nothing is trained. Images
    may be PNG, JPEG, WebP, BMP, GIF or TIFF; phone photos are turned upright, transparency
    goes onto white.

    \b
    Examples:
      ganzoo style-transfer photo.jpg waves.jpg -o out.png --size 256
      ganzoo style-transfer photo.jpg a.jpg b.jpg --style-blend 0.7,0.3 -o mix.png
      ganzoo style-transfer photo.jpg waves.jpg --preserve-color --pool avg -o out.png
      ganzoo style-transfer photo.jpg waves.jpg --frames frames/ --frame-every 10
      ganzoo style-transfer a.jpg b.jpg -o out.png --vgg-weights random --steps 50

    \b
    The ImageNet VGG19 weights (vgg19-dcbb9e9d.pth, 548 MB) are torchvision's; they are read
    from $TORCH_HOME/hub/checkpoints and downloaded there once when missing. On one CPU core
    a 256-pixel image takes about 2 s per step (300 steps: 10 minutes); a GPU is far faster.
    """
    import torch

    from ganzoo.plugin import UsageError, build_model
    from ganzoo.plugin_blocks import (
        check_distinct,
        check_file,
        check_folder,
        live_folder,
        make_gif,
        open_image,
        select_device,
        write_image,
        writing,
    )

    # Every output is checked before the images load and long before the optimisation.
    inputs = [content, *styles] + ([Path(vgg_weights)] if Path(vgg_weights).is_file() else [])
    check_file(output, overwrite=overwrite, inputs=inputs, option="-o")
    if frames is not None:
        check_folder(frames, overwrite=overwrite, inputs=inputs, option="--frames", holds=FRAME_FILES, what="frames")
        check_distinct(output, frames, FRAME_FILES, "-o", "--frames")
    blend = _blend(style_blend)
    if blend is not None and len(blend) != len(styles):
        raise UsageError(f"--style-blend has {len(blend)} weights for {len(styles)} style image(s); give one each")
    content_image = open_image(content, channels=3)
    style_images = [open_image(path, channels=3) for path in styles]
    width, height = content_image.size
    if size is None and max(width, height) > DEFAULT_SIZE:
        size = DEFAULT_SIZE
        scale = size / max(width, height)
        click.echo(f"note: {content} is {width}x{height}; working at {round(width * scale)}x{round(height * scale)} "
                   f"(the default longer side, {DEFAULT_SIZE}); pass --size N (up to {MAX_SIZE}) for another size, "
                   f"larger is slower", err=True)
    target = select_device(device)
    model: Any = build_model(ARCH, weights=vgg_weights, pool=pool, download=not offline).to(target)

    every = frame_every or max(1, steps // 20)
    final: dict[str, float] = {}
    with contextlib.ExitStack() as stack:
        folder = None
        if frames is not None:  # frames appear as they are made: they show the progress (ganzoo.outputs.live_folder)
            folder = stack.enter_context(live_folder(frames, replaces=FRAME_FILES, what="frames", option="--frames"))
        written: list[Path] = []

        def callback(step: int, logs: dict[str, float], image: torch.Tensor) -> None:
            final.update(logs)
            if folder is not None and (step % every == 0 or step == steps):
                written.append(write_image(image.float().cpu(), folder / f"frame_{step:05d}.png"))

        result = model.transfer(content_image, style_images, blend=blend, size=size, style_scale=style_scale,
                                content_weight=content_weight, style_weight=style_weight, tv_weight=tv_weight,
                                steps=steps, optimizer=optimizer, lr=lr, init=init, seed=seed,
                                preserve_color=preserve_color, callback=callback, progress=not quiet)
        if folder is not None and written:
            make_gif(written, folder / "progress.gif")
        with writing(output):
            write_image(result, output)
    losses = ", ".join(f"{k} {v:.3g}" for k, v in final.items() if k != "loss")
    click.echo(f"wrote {output} ({result.shape[2]}x{result.shape[1]}, {steps} {optimizer} steps, "
               f"VGG19 weights: {model.weights_source}; last losses: {losses})")
    if frames is not None and written:
        click.echo(f"wrote {len(written)} frames and {frames / 'progress.gif'} to {frames}/")


COMMANDS = [style_transfer_command]
