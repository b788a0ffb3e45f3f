"""``ganzoo translate NAME INPUT... -o OUT``: run an image-to-image model on image files.

Inputs and outputs are checked (files exist, outputs free, formats known) before the model
loads, so a typo costs nothing. torch is imported inside the command only.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ganzoo.cli.output import OVERWRITE_HELP, hub_options
from ganzoo.errors import UsageError
from ganzoo.outputs import check_file, check_files_in, image_format, model_inputs, staged_folder, writing

#: --format choices and the Pillow format each writes.
FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP", "bmp": "BMP", "tiff": "TIFF"}


@click.command("translate", epilog="NAME: a zoo name (pix2pix-edges2fashion), hf:owner/repo[@revision], a checkpoint "
                                   "folder, or a training run directory.")
@click.argument("name")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Output file (one input file) or folder (several inputs, or a folder); folders are created.")
@click.option("--direction", default=None,
              help="a2b or b2a, for models that translate both ways [default: the model's first, a2b].")
@click.option("--side-by-side", is_flag=True, help="Write input | output pairs instead of the output alone.")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default=None,
              help="Format of the files written into an output folder [default: png].")
@click.option("--overwrite", is_flag=True, help=OVERWRITE_HELP)
@click.option("--batch-size", type=click.IntRange(1, 4096), default=32, show_default=True,
              help="Images translated at once (changes speed, not results).")
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:1, mps or auto.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@hub_options
def translate_command(name: str, inputs: tuple[Path, ...], output: Path, direction: str | None, side_by_side: bool,
                      fmt: str | None, overwrite: bool, batch_size: int, device: str, quiet: bool, offline: bool,
                      token: str | None, force_download: bool) -> None:
    """Translate images with an image-to-image model (pix2pix, CycleGAN).

    INPUT is an image file or a folder (every image directly inside it, in name order). Each
    image is read in the model's channels (transparency onto white), resized to the model's
    input size, translated, and the output resized back to the input's size: inputs larger
    than the model's resolution come out upsampled from it, not sharper. With one input file,
    OUT is the output file (its suffix picks the format); otherwise OUT is a folder and each
    output keeps its input's name, as PNG unless --format says otherwise.

    \b
    Examples:
      ganzoo translate pix2pix-edges2fashion edges.png -o garment.png
      ganzoo translate pix2pix-edges2fashion sketches/ -o garments/ --side-by-side
      ganzoo translate cyclegan-sneaker2boot sneaker.png -o boot.png
      ganzoo translate cyclegan-sneaker2boot boots/*.png -o sneakers/ --direction b2a
      ganzoo translate runs/pix2pix-edges2fashion edges.png -o out.png
    """
    files = _input_files(inputs)
    single = len(inputs) == 1 and inputs[0].is_file() and not output.is_dir()
    targets = _targets(files, output, single, fmt)
    sources = [*files, *model_inputs(name)]
    if single:
        check_file(targets[0], overwrite=overwrite, inputs=sources, option="-o")
    else:
        check_files_in(output, targets, overwrite=overwrite, inputs=sources, option="-o")

    from ganzoo.translation import check_direction, describe_direction, domains_of, is_translator

    model, label, how_to_sample = _load(name, device, offline, token, force_download)
    if not is_translator(model):
        raise UsageError(f"{label} is not an image-to-image model ({model.task}): it makes images from noise, "
                         f"not from inputs; sample it with: {how_to_sample}")
    direction = check_direction(model, direction)
    show = not quiet and len(files) > 1 and sys.stderr.isatty()
    if single:
        with writing(targets[0]):
            model_size = _translate_files(model, files, targets, direction, side_by_side, batch_size, show=show)
    else:
        with staged_folder(output, total=len(files), what="translated images", option="-o") as staging:
            staged = [staging.path / target.name for target in targets]
            model_size = _translate_files(model, files, staged, direction, side_by_side, batch_size, show=show)
    words = describe_direction(direction, domains_of(model))
    where = str(targets[0]) if single else f"{len(targets)} image(s) in {output}/"
    click.echo(f"wrote {where} with {label}, {words}; the model works at {model_size} and outputs are "
               f"resized back to each input's size")


def _input_files(inputs: tuple[Path, ...]) -> list[Path]:
    """Every input file: files as given, folders' images (non-recursive, sorted by name)."""
    from PIL import Image

    Image.init()
    readable = {ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN}
    files: list[Path] = []
    seen: set[Path] = set()
    for item in inputs:
        if item.is_dir():
            found = sorted(p for p in item.iterdir() if p.is_file() and p.suffix.lower() in readable
                           and not p.name.startswith("."))
            if not found:
                raise UsageError(f"{item}/ holds no image files; give PNG, JPEG, WebP, BMP, GIF or TIFF images")
        elif item.is_file():
            found = [item]
        else:
            raise UsageError(f"{item}: no such file or folder")
        for path in found:  # a file named twice (or also inside a named folder) is translated once
            if path.resolve() not in seen:
                seen.add(path.resolve())
                files.append(path)
    return files


def _targets(files: list[Path], output: Path, single: bool, fmt: str | None) -> list[Path]:
    """Where each output goes: OUT itself for one input file, else OUT/<input name>.<format>."""
    if single:
        written_as = image_format(output, " (or give a folder)")
        if fmt is not None and written_as != FORMATS[fmt]:
            raise UsageError(f"--format {fmt} disagrees with the output name {output.name}; drop --format or "
                             f"rename the output")
        return [output]
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output} is a file, but {len(files)} outputs need a folder; give a folder for -o")
    targets = [output / f"{path.stem}.{fmt or 'png'}" for path in files]
    seen: dict[Path, Path] = {}
    for path, target in zip(files, targets):
        if target in seen:
            raise UsageError(f"{seen[target]} and {path} would both be written to {target}; rename one, or "
                             f"translate them into different folders")
        seen[target] = path
    return targets


def _load(name: str, device: str, offline: bool, token: str | None, force_download: bool) -> tuple[Any, str, str]:
    """The model (a GAN module), how to call it in messages, and the command that samples it."""
    from ganzoo.hub.resolve import open_model

    opened = open_model(name, device=device, offline=offline, token=token, force_download=force_download)
    return opened.model, opened.label, opened.sample_command()


def _translate_files(model: Any, files: list[Path], targets: list[Path], direction: str, side_by_side: bool,
                     batch_size: int, *, show: bool) -> str:
    """Read, translate and write ``files`` batch by batch; returns the model's size as ``HxW``.

    Each input is resized to the model's size as soon as it is read, and each output resized back
    and written one at a time, so memory holds one full-size image, never a batch of them.
    """
    import torch

    from ganzoo.images import image_to_tensor, open_image, write_image
    from ganzoo.translation import match_channels, resize, translate

    channels, height, width = (int(d) for d in (getattr(model, "input_shape", None) or model.image_shape))
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(files), desc=f"translating {direction}", unit="img", file=sys.stderr, dynamic_ncols=True)
    try:
        for start in range(0, len(files), batch_size):
            chunk = files[start:start + batch_size]
            sizes, inputs = [], []
            for path in chunk:
                original = image_to_tensor(open_image(path, channels=channels))
                sizes.append((int(original.shape[-2]), int(original.shape[-1])))
                inputs.append(resize(original[None], (height, width)))
                del original  # before the next one is read
            outputs = translate(model, torch.cat(inputs), direction, batch_size=batch_size, keep_size=False)
            for path, size, output, target in zip(chunk, sizes, outputs, targets[start:start + batch_size]):
                picture = resize(output[None], size)[0]
                if side_by_side:  # read again rather than kept: one full-size input at a time
                    original = image_to_tensor(open_image(path, channels=channels))
                    picture = torch.cat([match_channels(original[None], picture.shape[0])[0], picture], dim=2)
                    del original
                write_image(picture, target)
                del picture
            if bar is not None:
                bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()
    return f"{height}x{width}"


COMMANDS = [translate_command]
