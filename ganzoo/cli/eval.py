"""``ganzoo eval TARGET``: FID, KID, IS and precision/recall, each beside its real-vs-real baseline.

torch loads inside the command only; bad ``--metrics`` or ``--reference`` values are usage errors
raised before any model or dataset loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ganzoo.cli.output import SEED, echo_json, echo_table
from ganzoo.eval.settings import DEFAULT_REFERENCE

TARGET_HELP = (
    "TARGET: a zoo name (dcgan-fashion), hf:owner/repo[@revision], a checkpoint folder, a training run "
    "directory, a folder of images, or DATASET:SPLIT (real data, e.g. fashion-mnist:train)."
)


@click.command("eval", epilog=TARGET_HELP)
@click.argument("target")
@click.option("--metrics", default=None,
              help="Comma-separated: fid, kid, is, pr (precision-recall), dc (density-coverage), or all; "
                   "acc (class-accuracy) for class-conditional and image-to-image models; l1 for image-to-image "
                   "models [default: fid,kid,is,pr; l1,fid,class-accuracy for image-to-image models].")
@click.option("-n", "--num-samples", type=click.IntRange(2, 1_000_000), default=10_000, show_default=True,
              help="Images to generate (and at most this many reference images).")
@click.option("--reference", default=None,
              help="Real data to compare with: DATASET:SPLIT or a folder of images [default: the test split of the "
                   f"dataset a run, checkpoint or zoo model was trained on; {DEFAULT_REFERENCE} for images]. "
                   "Image-to-image models translate the inputs of their training dataset's test split unless a "
                   "DATASET:SPLIT is given.")
@click.option("--feature", default=None,
              help="Feature extractor: fmnist-cnn (bundled) or inception (pip install 'ganzoo[inception]') "
                   "[default: the dataset's own (fmnist-cnn for Fashion-MNIST), else inception].")
@click.option("--feature-weights", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Weights file for the feature extractor instead of its default.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed for latents, labels and subsets.")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=500, show_default=True,
              help="Images per generation / extraction batch (does not change the results).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:1, mps.")
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16"]), default="auto", show_default=True,
              help="Feature extraction precision; auto is the extractor's own choice (fp32 for both built-ins).")
@click.option("--no-baseline", is_flag=True, help="Skip the real-vs-real baseline column.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cached baselines and reference features.")
@click.option("--offline", is_flag=True, help="Use only model files already on disk (no Hub downloads).")
@click.option("--json", "as_json", is_flag=True, help="Print the results and their provenance as JSON.")
@click.option("--truncation", type=float, default=None,
              help="Sample latents inside [-T, T] (the truncation trick, e.g. 0.5): more typical, less varied images; "
                   "recorded in the provenance (default off).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
def eval_command(target: str, metrics: str | None, num_samples: int, reference: str | None, feature: str | None,
                 feature_weights: Path | None, seed: int, batch_size: int, device: str, precision: str,
                 no_baseline: bool, no_cache: bool, offline: bool, as_json: bool, truncation: float | None,
                 quiet: bool) -> None:
    """Score a generator, an image-to-image model or a folder of images against real data, offline.

    Each value is shown beside the same metric for real data (the reference dataset's other
    split against the reference, same sample count), computed once and cached. Fashion-MNIST's
    fmnist-cnn numbers are for comparing models in ganzoo, not with papers (see docs/evaluation.md).
    class-accuracy is the share of images the classifier assigns to the intended class; its
    real-data column is the classifier's accuracy on real images.

    \b
    Examples:
      ganzoo eval dcgan-fashion
      ganzoo eval dcgan-fashion --metrics fid,kid,is,pr --num-samples 10000
      ganzoo eval runs/dcgan-fashion-mnist --metrics fid -n 2000 --json
      ganzoo eval ./my-samples --reference fashion-mnist:test
      ganzoo eval ./exported --feature inception --feature-weights ./inception.pth
      ganzoo eval cgan-fashion --metrics fid,class-accuracy
      ganzoo eval sngan-fashion --truncation 0.5
      ganzoo eval pix2pix-edges2fashion --metrics l1,fid,class-accuracy
    """
    import sys
    import warnings

    from ganzoo.eval.names import check_extractor, check_metric_names, parse_reference

    check_metric_names(metrics)  # typos are usage errors before torch even loads
    if reference is not None:
        parse_reference(reference)
    if feature is not None:
        check_extractor(feature)
    from ganzoo.eval.api import evaluate

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = evaluate(
            target, metrics=metrics, num_samples=num_samples, reference=reference, feature=feature,
            feature_weights=feature_weights, seed=seed, batch_size=batch_size, device=device,
            precision=precision, baseline=not no_baseline, cache=not no_cache, offline=offline,
            progress=False if quiet else sys.stderr.isatty(), truncation=truncation,
        )
    for message in dict.fromkeys(" ".join(str(w.message).split()) for w in caught):
        click.echo(f"ganzoo: note: {message}", err=True)
    if as_json:
        echo_json(results.to_dict())
        return
    _print_table(results, target)


def _number(value: float | None, std: float | None = None) -> str:
    if value is None:
        return "-"
    text = f"{value:.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3e}"
    if std is not None and std > 1e-9 * max(1.0, abs(value)):  # one subset or split has no spread
        text += f" ± {std:.2g}"
    return text


def _print_table(results: Any, target: str) -> None:
    prov = results.provenance
    rows = []
    copied = prov.get("copy_input")  # image-to-image models: the score of returning the input unchanged
    for v in results.values:
        better = "higher is better" if v.higher_is_better else "lower is better"
        row = [v.name, _number(v.value, v.std), _number(v.baseline, v.baseline_std)]
        rows.append(row + ([_number(copied.get(v.name))] if copied is not None else []) + [better])
    headers = ["metric", "value", "real-vs-real"] + (["copy-input"] if copied is not None else []) + [""]
    echo_table(rows, headers=headers)
    click.echo()
    reference = prov["reference"]
    ref_name = f"{reference['dataset']}:{reference['split']}" if reference.get("dataset") else reference.get("path")
    ref_n = f" ({reference['num_samples']:,})" if reference.get("num_samples") else ""
    if prov.get("task") == "image-to-image":
        click.echo(f"{target}: translated {prov['num_samples']:,} inputs of {ref_name} "
                   f"({', '.join(prov['directions'])}), compared with their targets")
    else:
        truncated = f", truncation {prov['truncation']:g}" if prov.get("truncation") else ""
        chosen = reference.get("chosen")
        why = f" ({chosen})" if chosen and chosen != "given" else ""
        click.echo(f"{target}: {prov['num_samples']:,} images (seed {prov['seed']}{truncated}) "
                   f"vs {ref_name}{ref_n}{why}")
    base = prov.get("baseline")
    if base:
        cached = ", cached" if base.get("cached") else ""
        click.echo(f"real-vs-real: {base['dataset']}:{base['split']} ({base['num_samples']:,}) vs {ref_name}{cached}")
    for note in prov.get("notes") or []:
        if note.startswith("skipped"):
            click.echo(note)
    extractor = prov.get("extractor") or prov.get("classifier") or {}
    network = f"{extractor['name']} (sha256 {extractor['sha256'][:12]}…), " if extractor.get("name") else ""
    click.echo(f"features: {network}{prov['precision']} on {prov['device']}; {prov['seconds']['total']:.1f} s")


COMMANDS = [eval_command]
