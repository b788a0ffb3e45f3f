"""``ganzoo pretrained NAME sample|info|download``, ``ganzoo export`` and ``ganzoo push``.

NAME is a zoo name (``dcgan-fashion``), ``hf:owner/repo[@revision]`` or a checkpoint folder.
torch and huggingface_hub are imported inside the commands, never at module import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ganzoo.cli.interpolate import check_walk_outputs, run_walk, walk_options
from ganzoo.cli.output import echo_json, echo_table, hub_options, human_size
from ganzoo.cli.sample import sample_options, sample_target
from ganzoo.errors import UsageError
from ganzoo.noise import TRUNCATION_RANGE
from ganzoo.outputs import refuse_inputs

NAME_HELP = "NAME: a zoo name (dcgan-fashion), hf:owner/repo[@revision], or a checkpoint folder."


@click.group("pretrained", epilog=NAME_HELP)
@click.argument("name")
@click.pass_context
def pretrained_group(ctx: click.Context, name: str) -> None:
    """Use a pretrained model: sample from it, show its card, or download it.

    \b
    Examples:
      ganzoo pretrained dcgan-fashion sample -o samples.png
      ganzoo pretrained dcgan-fashion info
      ganzoo pretrained hf:owner/my-gan@main download
      ganzoo pretrained ./exported-folder sample -n 16 --seed 3
    """
    ctx.ensure_object(dict)
    ctx.obj["name"] = name


def _where(ctx: click.Context, offline: bool, token: str | None, force_download: bool) -> dict[str, Any]:
    return {"name": ctx.obj["name"], "offline": offline, "token": token, "force_download": force_download}


@pretrained_group.command("sample")
@sample_options
@click.pass_context
def sample_command(ctx: click.Context, /, **options: Any) -> None:
    """Generate new images: 'ganzoo sample NAME' under its older name, the same options and the same images.

    \b
    Examples:
      ganzoo pretrained dcgan-fashion sample -n 16 --seed 3 -o grid.png
      ganzoo pretrained cgan-fashion sample --class Sneaker -n 16
    """
    sample_target(ctx.obj["name"], **options)


@pretrained_group.command("interpolate")
@walk_options
@hub_options
@click.pass_context
def interpolate_command(ctx: click.Context, /, device: str | None, overwrite: bool, offline: bool,
                        token: str | None, force_download: bool, **options: Any) -> None:
    """Walk the model's latent space into an animated GIF, an MP4 or a PNG strip.

    Spherical paths through the latents of the waypoint seeds (--seeds), several at once as rows
    (--rows); the same seeds give the same frames. Class-conditional models keep a class per row,
    or blend two classes at a fixed latent (--from-class / --to-class).

    \b
    Examples:
      ganzoo pretrained dcgan-fashion interpolate -o walk.gif
      ganzoo pretrained dcgan-fashion interpolate --seeds 0,5,9 --rows 4 --loop
      ganzoo pretrained dcgan-fashion interpolate --steps 32 -o walk.mp4
      ganzoo pretrained dcgan-fashion interpolate -o strip.png    # one row per path
      ganzoo pretrained cgan-fashion interpolate --from-class Sneaker --to-class 'Ankle boot'
    """
    name = ctx.obj["name"]
    check_walk_outputs(name, options, overwrite=overwrite)

    from ganzoo.hub.pretrained import load_pretrained

    where = _where(ctx, offline, token, force_download)
    model = load_pretrained(where.pop("name"), device=device, **where)
    folder = getattr(model, "folder", None)
    for path, option in ((options["output"], "-o"), (options["save_latents"], "--save-latents")):
        if path is not None and folder is not None:
            refuse_inputs(path, [folder], option)

    def class_index(text: str) -> int:
        return int(model.labels_for([text])[0])

    click.echo(run_walk(model.model, model.name or name, class_index=class_index, **options))


@pretrained_group.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@hub_options
@click.pass_context
def info_command(ctx: click.Context, as_json: bool, offline: bool, token: str | None, force_download: bool) -> None:
    """Show the model card's facts: architecture, images, classes or directions, dataset, metrics, size, source.

    An image-to-image model shows its input and output shapes and the directions it translates
    (a2b (edge map -> garment)); a class-conditional one lists its classes.

    \b
    Examples:
      ganzoo pretrained dcgan-fashion info
      ganzoo pretrained cgan-fashion info
      ganzoo pretrained pix2pix-edges2fashion info --json
      ganzoo pretrained hf:owner/my-gan info --json
    """
    from ganzoo.hub.config import CheckpointConfig
    from ganzoo.hub.download import resolve
    from ganzoo.hub.record import facts as record_facts

    o = _where(ctx, offline, token, force_download)
    resolved = resolve(o.pop("name"), **o)
    config = CheckpointConfig.read(resolved.folder)
    record = record_facts(config)
    if not record["files"]:  # a folder whose record lists no files (exported before records did): what is there
        on_disk = sorted(p for p in resolved.folder.iterdir() if p.is_file() and p.name not in ("config.json",
                                                                                               "README.md"))
        record["files"] = [{"name": p.name, "size": p.stat().st_size} for p in on_disk]
        record["files_bytes"] = sum(f["size"] for f in record["files"])
        record["weights_bytes"] = sum(f["size"] for f in record["files"] if f["name"].endswith(".safetensors"))
    facts = {
        "name": resolved.zoo.name if resolved.zoo else ctx.obj["name"],
        "summary": resolved.zoo.summary if resolved.zoo else None,
        "architecture": config.architecture.name,
        "architecture_kwargs": config.architecture.kwargs,
        "task": config.task,
        "image": config.data.get("image"),
        "latent_dim": config.latent_dim,
        "latent_distribution": config.latent_distribution,
        "num_classes": config.num_classes,
        "classes": config.classes,
        **_translation_info(config),
        "dataset": config.dataset_name,
        "training_command": config.training.get("command"),
        "training_steps": config.training.get("steps"),
        "metrics": config.metrics,
        "weights": config.data.get("weights"),
        "weights_bytes": record["weights_bytes"],
        "size_bytes": record["files_bytes"],
        "files": record["files"],
        "source": resolved.source,
        "folder": str(resolved.folder),
        "license": record["license"],
        "data_license": record["data_license"],
        "license_words": record["license_words"],
    }
    if as_json:
        echo_json(facts)
        return
    weights = facts["weights"] or {}
    rows = [["architecture", f"{facts['architecture']} ({facts['task']})"], *_shape_rows(facts)]
    rows += [
        ["dataset", str(facts["dataset"] or "unknown")],
        ["trained with", str(facts["training_command"] or "unknown")],
        ["weights", f"{weights.get('dtype')}{', EMA' if weights.get('ema') else ''}, "
                    f"{human_size(facts['weights_bytes'] or 0)}"],
        ["files", f"{human_size(facts['size_bytes'] or 0)}: "
                  + ", ".join(f"{f['name']} ({human_size(f['size'])})" for f in facts["files"])],
        ["source", facts["source"]],
        ["license", facts["license_words"]],
    ]
    for metric in facts["metrics"]:
        rows.append([f"metric {metric.get('name')}", str(metric.get("value"))])
    click.echo(click.style(facts["name"], bold=True) + (f"  {facts['summary']}" if facts["summary"] else ""))
    echo_table(_wrap_classes([["  " + k, v] for k, v in rows]), shrink=1)


def _wrap_classes(rows: list[list[str]]) -> list[list[str]]:
    """The ``classes`` row over as many rows as the terminal needs (``echo_table`` would cut it)."""
    import shutil
    import textwrap

    key_width = max(len(k) for k, _ in rows)
    width = max(30, shutil.get_terminal_size((120, 20)).columns - 2 - key_width - 2)
    out: list[list[str]] = []
    for key, value in rows:
        if key.strip() != "classes" or len(value) <= width:
            out.append([key, value])
            continue
        lines = textwrap.wrap(value, width=width, break_long_words=False, break_on_hyphens=False)
        out += [[key if i == 0 else "", line] for i, line in enumerate(lines)]
    return out


def _shape(dims: Any) -> str:
    return "x".join(str(d) for d in dims) if dims else "unknown"


def _translation_info(config: Any) -> dict[str, Any]:
    """Input shape, domains and described directions of an image-to-image checkpoint (``{}`` for others).

    ``config`` is a :class:`~ganzoo.hub.config.CheckpointConfig`, whose ``input_shape``,
    ``directions`` and ``domains`` fall back to the output shape, ``a2b`` and the architecture's
    options when a config does not record them.
    """
    if config.task != "image-to-image":
        return {}
    from ganzoo.translation import describe_direction

    domains, directions = config.domains, config.directions
    return {
        "input_shape": config.input_shape,
        "output_shape": config.image_shape,
        "domains": domains,
        "directions": directions,
        "direction_descriptions": {d: describe_direction(d, domains) for d in directions},
    }


def _shape_rows(facts: dict[str, Any]) -> list[list[str]]:
    """The info rows about what goes in and comes out: shapes, then directions or classes.

    Directions get a row each, and :func:`_wrap_classes` wraps a long class list, so that the
    table never cuts them off on a narrow terminal.
    """
    if facts["task"] == "image-to-image":
        rows = [["images", f"inputs {_shape(facts['input_shape'])} -> outputs {_shape(facts['output_shape'])}"]]
        described = list(facts["direction_descriptions"].values())
        return rows + [["directions" if i == 0 else "", text] for i, text in enumerate(described)]
    image = facts["image"] or {}
    rows = [["images", f"{_shape([image.get('channels'), image.get('height'), image.get('width')])}, "
                       f"latent {facts['latent_dim']}-d"]]
    if facts["classes"]:
        rows.append(["classes", f"{len(facts['classes'])}: {', '.join(map(str, facts['classes']))}"])
    elif facts["num_classes"]:
        rows.append(["classes", f"{facts['num_classes']}, unnamed (use indices 0-{facts['num_classes'] - 1})"])
    return rows


@pretrained_group.command("download")
@hub_options
@click.pass_context
def download_command(ctx: click.Context, offline: bool, token: str | None, force_download: bool) -> None:
    """Fetch the model's files into the Hugging Face cache and print the folder.

    \b
    Examples:
      ganzoo pretrained hf:owner/my-gan@v1 download
      HF_HUB_OFFLINE=1 ganzoo pretrained hf:owner/my-gan@v1 sample   # later, offline
    """
    from ganzoo.hub.download import resolve

    o = _where(ctx, offline, token, force_download)
    resolved = resolve(o.pop("name"), **o)
    click.echo(str(resolved.folder))


@click.command("export")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--ema/--no-ema", default=None, help="Use the EMA generator [default: when the run has one].")
@click.option("--checkpoint", default=None, help="Which checkpoint of the run (e.g. step_00002000) [default: latest].")
@click.option("--dtype", type=click.Choice(["float32", "float16", "bfloat16"]), default="float32", show_default=True,
              help="Storage dtype of the weights (float16 halves the size).")
@click.option("--discriminator", is_flag=True, help="Also export the discriminator's weights.")
@click.option("--name", default=None, help="Model name shown in the card.")
@click.option("--overwrite", is_flag=True,
              help="Replace OUT_DIR, as a whole, if it already holds files (never a folder holding the run).")
@click.option("--metrics", default=None,
              help="Evaluate and record these metrics in the config and card (e.g. fid,kid,is,pr; class-accuracy "
                   "for class-conditional models; l1,fid,class-accuracy for image-to-image ones).")
@click.option("--eval-samples", type=click.IntRange(100, 1_000_000), default=10_000, show_default=True,
              help="Generated images for --metrics.")
@click.option("--reference", default=None, help="Reference for --metrics [default: the training dataset's test split].")
@click.option("--feature", default=None,
              help="Feature extractor(s) for --metrics, comma-separated, e.g. fmnist-cnn,inception: the first scores "
                   "every metric (and --truncations), each further one its feature-space metrics (FID, KID, PR, "
                   "density-coverage) [default: the dataset's own (fmnist-cnn for Fashion-MNIST)].")
@click.option("--truncations", default=None, metavar="T1,T2",
              help="Also record --metrics at these truncation bounds (e.g. 1.0,0.5), beside the untruncated ones.")
@click.option("--onnx/--no-onnx", "onnx", default=None,
              help="Also write generator.onnx, which 'ganzoo pretrained FOLDER sample' runs without PyTorch "
                   "[default: when the onnx extra is installed and the model is a noise-to-image generator].")
def export_command(run_dir: Path, out_dir: Path, ema: bool | None, checkpoint: str | None, dtype: str,
                   discriminator: bool, name: str | None, overwrite: bool, metrics: str | None,
                   eval_samples: int, reference: str | None, feature: str | None, truncations: str | None,
                   onnx: bool | None) -> None:
    """Turn a training run into a checkpoint folder (config, safetensors, card, samples).

    The folder is what 'ganzoo push' uploads and what 'ganzoo pretrained FOLDER' loads.

    \b
    Examples:
      ganzoo export runs/dcgan OUT/dcgan-fashion --dtype float16 --name dcgan-fashion
      ganzoo export runs/dcgan OUT/dcgan-fashion --metrics fid,kid,is,pr --eval-samples 10000
      ganzoo export runs/pix2pix OUT/pix2pix --metrics l1,fid,class-accuracy
      ganzoo export runs/sngan OUT/sngan --metrics fid,pr --truncations 1.0,0.5
      ganzoo export runs/sngan OUT/sngan --metrics fid,pr --feature fmnist-cnn,inception
      ganzoo pretrained OUT/dcgan-fashion sample
    """
    from ganzoo.publish.export import export_run

    evaluation = None
    if truncations and not metrics:
        raise UsageError("--truncations scores --metrics at those bounds; add --metrics (e.g. fid,pr)")
    if metrics:
        evaluation = {"metrics": metrics, "num_samples": eval_samples, "reference": reference, "feature": feature,
                      "truncations": _truncations(truncations)}
    folder = export_run(run_dir, out_dir, ema=ema, checkpoint=checkpoint, dtype=dtype,
                        include_discriminator=discriminator, name=name, overwrite=overwrite,
                        evaluation=evaluation, onnx=onnx)
    files = sorted(p.name for p in folder.iterdir())
    click.echo(f"exported {run_dir} -> {folder} ({', '.join(files)})")


def _truncations(text: str | None) -> list[float]:
    """``"1.0,0.5"`` -> ``[1.0, 0.5]``; each bound is checked again against the model."""
    if not text:
        return []
    try:
        bounds = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"--truncations takes numbers separated by commas, like 1.0,0.5; got {text!r}") from None
    for bound in bounds:  # before the evaluation, not after it (the same range as --truncation)
        if not TRUNCATION_RANGE[0] <= bound <= TRUNCATION_RANGE[1]:
            raise UsageError(f"--truncations {text}: each bound must be between {TRUNCATION_RANGE[0]:g} and "
                             f"{TRUNCATION_RANGE[1]:g}, got {bound:g}")
    return bounds


@click.command("push")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("repo_id")
@click.option("--private", is_flag=True, help="Create the repo as private.")
@click.option("--branch", default=None, help="Branch to commit to [default: main].")
@click.option("--message", "-m", default=None, help="Commit message.")
@click.option("--token", envvar="HF_TOKEN", help="Hugging Face token [default: the one from 'hf auth login'].")
def push_command(folder: Path, repo_id: str, private: bool, branch: str | None, message: str | None,
                 token: str | None) -> None:
    """Upload a checkpoint folder (or a training run, exported first, or a Space folder) to the Hub in one commit.

    A folder written by 'ganzoo space' becomes a Gradio Space repo; anything else a model repo.

    \b
    Examples:
      ganzoo push OUT/dcgan-fashion my-user/dcgan-fashion
      ganzoo push runs/dcgan my-user/dcgan-fashion --private --branch v1
      ganzoo push spaces/dcgan-fashion my-user/dcgan-fashion-demo    # a Space
    """
    from ganzoo.publish.push import push_folder

    url = push_folder(folder, repo_id, private=private, branch=branch, message=message, token=token)
    click.echo(f"pushed {folder} to {repo_id}: {url}")


@click.command("space")
@click.argument("name")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--model-repo", default=None, metavar="OWNER/NAME",
              help="Load the model from this Hub repo when the Space starts, instead of bundling its files.")
@click.option("--title", default=None, help="The Space's title [default: the model's name].")
@click.option("--overwrite", is_flag=True, help="Replace OUT_DIR, as a whole, if it already holds files.")
def space_command(name: str, out_dir: Path, model_repo: str | None, title: str | None, overwrite: bool) -> None:
    """Write a Hugging Face Space (a Gradio app) for one model into OUT_DIR.

    NAME is a zoo name, checkpoint folder, training run or hf:owner/repo. The folder holds
    app.py (ganzoo's demo for that model), requirements.txt pinning ganzoo and gradio, the Space
    card and, without --model-repo, the checkpoint in model/. 'ganzoo push OUT_DIR owner/space'
    uploads it as a Space; 'python OUT_DIR/app.py' runs it here.

    \b
    Examples:
      ganzoo space dcgan-fashion spaces/dcgan-fashion
      ganzoo space runs/my-gan spaces/my-gan --title "My GAN"
      ganzoo space hf:me/dcgan-fashion spaces/x --model-repo me/dcgan-fashion
      ganzoo push spaces/dcgan-fashion me/dcgan-fashion-demo
    """
    from ganzoo.publish.space import write_space

    folder = write_space(name, out_dir, model_repo=model_repo, title=title, overwrite=overwrite)
    files = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
    click.echo(f"wrote the Space for {name} to {folder} ({', '.join(files)}); run it with 'python {folder}/app.py'")


COMMANDS = [pretrained_group, export_command, push_command, space_command]
