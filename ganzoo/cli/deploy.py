"""``ganzoo onnx NAME -o FILE``: a generator as an ONNX file, to run where PyTorch is not.

torch and onnx are imported only when the command runs.
"""

from __future__ import annotations

from pathlib import Path

import click

from ganzoo.cli.output import OVERWRITE_HELP


@click.command("onnx")
@click.argument("name")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The .onnx file to write.")
@click.option("--direction", default=None, help="For CycleGAN: a2b or b2a (one file per direction) [default: a2b].")
@click.option("--dtype", type=click.Choice(["float32", "float16"]), default="float32", show_default=True,
              help="Weights and computation; inputs and output stay float32 either way.")
@click.option("--opset", type=click.IntRange(17, 23), default=18, show_default=True, help="ONNX opset version.")
@click.option("--overwrite", is_flag=True, help=OVERWRITE_HELP)
def onnx_command(name: str, output: Path, direction: str | None, dtype: str, opset: int, overwrite: bool) -> None:
    """Export the generator of NAME (zoo name, checkpoint folder, run or hf:owner/repo) to ONNX.

    Inputs are named and typed: latent [batch, latent_dim] (and label int64 [batch] for
    class-conditional models), or image [batch, C, H, W] for image-to-image ones; the output is
    image (or translated) in [-1, 1]. The batch axis is dynamic; the model's config, task,
    classes and card metrics are in the file's metadata (keys ganzoo.*).

    \b
    Examples:
      ganzoo onnx dcgan-fashion -o dcgan-fashion.onnx
      ganzoo onnx cgan-fashion -o cgan.onnx --dtype float16
      ganzoo onnx cyclegan-sneaker2boot --direction b2a -o boot2sneaker.onnx
      python examples/onnx_sample.py dcgan-fashion.onnx -o grid.png   # no torch needed
    """
    from ganzoo.publish.onnx import export_onnx

    path = export_onnx(name, output, direction=direction, dtype=dtype, opset=opset, overwrite=overwrite)
    click.echo(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MB, opset {opset}, {dtype})")


COMMANDS = [onnx_command]
