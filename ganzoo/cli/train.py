"""``ganzoo train``: train any registered architecture on any registered dataset.

Options map one to one onto :class:`ganzoo.train.TrainConfig`, whose defaults they show. Order of
precedence: the command line, then ``--config FILE``, then the architecture's family training
defaults (``train_defaults`` in its registry metadata, shown by ``ganzoo info ARCH``), then
TrainConfig's defaults; when resuming, the run's saved ``config.json`` takes the place of both
kinds of defaults. torch is imported only when training starts.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ganzoo.errors import UsageError
from ganzoo.train.config import LR_SCHEDULES, OPTIMIZERS, PRECISIONS, TrainConfig, parse_betas, parse_pairs

_D = TrainConfig()

_F = TypeVar("_F", bound=Callable[..., Any])


def _opt(*decls: str, help: str, **kwargs: Any) -> Callable[[_F], _F]:  # noqa: A002 - click's own name
    """An option whose absence is ``None``, so only what the user typed overrides files and defaults."""
    kwargs.setdefault("default", None)
    return click.option(*decls, help=help, show_default=False, **kwargs)


@click.command("train")
@click.argument("arch", required=False)
@_opt("--dataset", "-d", help="Registered dataset to train on (see 'ganzoo list datasets').")
@_opt("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
      help="JSON, TOML or YAML file of these options (field names, or set/data/reg tables); the command line wins.")
@_opt("--out", help="Run directory (default runs/ARCH-DATASET).")
@_opt("--epochs", type=int, help="Passes over the data (default 5, unless --max-steps).")
@_opt("--max-steps", type=int, help="Generator updates to train for; wins over --epochs.")
@_opt("--max-minutes", type=float,
      help="Wall-clock budget of the training loop in minutes (setup excluded): a checkpoint is saved and "
           "training stops when it is spent; with --max-steps or --epochs, whichever ends first.")
@_opt("--batch-size", "-b", type=int, help=f"Images per batch, per process (default {_D.batch_size}).")
@_opt("--loss", help=f"Adversarial loss from the losses registry (default {_D.loss}).")
@_opt("--reg", multiple=True, metavar="NAME=WEIGHT",
      help="Regulariser, e.g. gp=10 or r1=10 (repeatable; NAME alone uses its default weight; "
           "replaces the family's; 'none' for no regulariser).")
@_opt("--n-critic", type=int, help=f"Discriminator updates per generator update (default {_D.n_critic}).")
@_opt("--optimizer", type=click.Choice(OPTIMIZERS), help=f"Optimiser for both players (default {_D.optimizer}).")
@_opt("--lr-g", type=float, help=f"Generator learning rate (default {_D.lr_g:g}).")
@_opt("--lr-d", type=float, help=f"Discriminator learning rate (default {_D.lr_d:g}).")
@_opt("--betas", metavar="B1,B2", help="Adam betas (default 0.5,0.999).")
@_opt("--clip-grad", type=float, help="Clip each player's gradient norm to this (default 0 = off).")
@_opt("--lr-schedule", type=click.Choice(LR_SCHEDULES), help="Learning-rate schedule (default constant).")
@_opt("--label-smoothing", type=float, help="One-sided label smoothing: real targets become 1 - S.")
@_opt("--label-noise", type=float, help="Flip this fraction of the discriminator's targets.")
@_opt("--instance-noise", type=float, help="Std of Gaussian noise on D's inputs, annealed to 0.")
@_opt("--anneal-instance-noise/--constant-instance-noise", help="Anneal instance noise to 0 (default) or not.")
@_opt("--augment", metavar="POLICIES",
      help="DiffAugment every image the discriminator sees, real and fake: translation, cutout, color "
           "(RGB only), comma-separated, e.g. --augment translation,cutout (default none).")
@_opt("--augment-p", type=float, help="Probability that an image is augmented (default 1).")
@_opt("--ada-target", type=float,
      help="Adaptive augmentation (ADA): tune the probability so that E[sign(D(real))] stays at this "
           "value, e.g. 0.6 (default 0 = off; needs --augment).")
@_opt("--ada-speed", type=int, help=f"Real images over which ADA may move the probability by 1 "
                                    f"(default {_D.ada_speed:,}).")
@_opt("--ema-decay", type=float, help="EMA of the generator's weights, e.g. 0.999 (default 0 = off).")
@_opt("--standing-batches", type=int,
      help=f"Batches of 64 fakes that re-estimate the EMA generator's batch-norm statistics before it is "
           f"saved, sampled or scored (default {_D.standing_batches}; 0 = copy the live ones).")
@_opt("--seed", type=int, help=f"Seed of weights, noise and data order (default {_D.seed}).")
@_opt("--device", help="auto (default: cuda, then mps, then cpu), cpu, cuda, cuda:N or mps.")
@_opt("--precision", type=click.Choice(PRECISIONS),
      help="auto (default): bf16 autocast where the hardware is fast at it, else fp32.")
@_opt("--channels-last/--no-channels-last", help="Memory format (default: on for convolutional models).")
@_opt("--sync-bn", is_flag=True, help="SyncBatchNorm across processes (torchrun on CUDA).")
@_opt("--num-workers", type=int, help="DataLoader workers for datasets not held in memory (default 0).")
@_opt("--sample-every", type=int, help="Also write a sample grid every N steps (grids follow every epoch).")
@_opt("--samples", "sample_count", type=int, help=f"Images in each sample grid (default {_D.sample_count}).")
@_opt("--checkpoint-every", type=int, help=f"Checkpoint every N steps (default {_D.checkpoint_every}; 0 = at the end).")
@_opt("--keep-checkpoints", type=int, help=f"Keep the newest K checkpoints (default {_D.keep_checkpoints}; 0 = all).")
@_opt("--log-every", type=int, help=f"Write metrics.jsonl every N steps (default {_D.log_every}).")
@_opt("--eval-every", type=int,
      help="Score the generator (its EMA when on) every N steps, log it to metrics.jsonl and keep the best "
           "checkpoint as checkpoints/best (default 0 = off).")
@_opt("--eval-samples", type=int, help=f"Generated images per evaluation (default {_D.eval_samples}).")
@_opt("--eval-metric", help=f"Metric that picks the best checkpoint: fid, kid, is ... (default {_D.eval_metric}).")
@_opt("--eval-reference", metavar="DATASET:SPLIT|DIR",
      help="Real images to compare with (default: the training dataset's test split).")
@_opt("--eval-feature", help="Feature extractor for evaluation (default: the dataset's own: fmnist-cnn for "
                             "Fashion-MNIST, else inception; see 'ganzoo list features').")
@_opt("--set", "set_options", multiple=True, metavar="KEY=VALUE",
      help="Architecture option, e.g. --set latent_dim=64 --set hidden=[128,256] (JSON values).")
@_opt("--data", "data_options", multiple=True, metavar="KEY=VALUE",
      help="Dataset option, e.g. --data classes=frog --data limit=1000.")
@_opt("--classes", metavar="NAMES",
      help="Train on these classes only, e.g. --classes frog or --classes cat,dog (the dataset option classes=).")
@_opt("--split", help="Dataset split (default train).")
@_opt("--resume", is_flag=True, help="Continue the run in --out from its latest checkpoint.")
@_opt("--checkpoint", "resume_checkpoint", metavar="NAME",
      help="With --resume: continue from this checkpoint (step_00000200, 200, latest or best) instead of the "
           "newest readable one.")
@_opt("--overwrite", is_flag=True, help="Replace the run already in --out.")
@_opt("--logger", type=click.Choice(["jsonl", "tensorboard"]),
      help="tensorboard: also write every loss, learning rate, img/s, eval score, sample grid and the run's "
           "hyper-parameters to OUT/tensorboard (needs tensorboard) [default: jsonl, metrics.jsonl only].")
@_opt("--tensorboard", is_flag=True, help="The same as --logger tensorboard.")
@_opt("--quiet", "-q", is_flag=True, help="No progress bar or messages.")
@_opt("--offline", is_flag=True, help="Use only data already on disk: Hub data sets (-d hf:...) from the "
      "datasets cache, as HF_HUB_OFFLINE=1 does.")
def train_command(arch: str | None, config_file: str | None, **options: Any) -> None:
    """Train ARCH on a dataset; writes checkpoints, sample grids and metrics to --out.

    Some families bring their own training defaults (wgan-gp: --loss wasserstein --reg gp=10
    --n-critic 5 and its Adam settings; see 'ganzoo info ARCH'). They replace the defaults shown
    here; a --config file and the command line still win over them.

    \b
    Examples:
      ganzoo train vanilla --dataset fashion-mnist --max-steps 2000
      ganzoo train dcgan -d cifar10 --classes frog --epochs 20 --ema-decay 0.999 --out runs/frog
      ganzoo train wgan-gp -d fashion-mnist --max-steps 2000
      ganzoo train dcgan -d fake --loss wasserstein --reg gp=10 --n-critic 5
      ganzoo train --resume --out runs/cifar --epochs 40
      ganzoo train vanilla -d fashion-mnist --eval-every 500 --eval-samples 2000
      torchrun --nproc-per-node 2 -m ganzoo train dcgan -d cifar10

    Ctrl-C saves a checkpoint and stops (exit code 130); --resume continues exactly. One
    trainer at a time may use a run directory: a second one stops at once, naming the first.
    """
    if options.pop("offline", None):
        os.environ["HF_HUB_OFFLINE"] = "1"  # read by the hf: data source and by huggingface_hub
    explicit = _explicit_options(arch, options)
    config = _make_config(config_file, explicit)
    from ganzoo.train.trainer import TrainingInterrupted, train

    try:
        train(config)
    except TrainingInterrupted as exc:
        if os.environ.get("RANK", "0") == "0":  # one message per job under torchrun
            click.echo(f"ganzoo: {exc}", err=True)
        sys.exit(exc.exit_code)


def _explicit_options(arch: str | None, options: dict[str, Any]) -> dict[str, Any]:
    """The options the user typed, as TrainConfig fields."""
    explicit: dict[str, Any] = {k: v for k, v in options.items() if v not in (None, ())}
    for flag in ("sync_bn", "resume", "overwrite", "tensorboard", "quiet"):
        if explicit.get(flag) is False:
            del explicit[flag]
    if explicit.get("tensorboard") and explicit.get("logger") == "jsonl":
        raise UsageError("--tensorboard asks for TensorBoard files and --logger jsonl for metrics.jsonl only; "
                         "give one of them")
    if arch is not None:
        explicit["arch"] = arch
    if "set_options" in explicit:
        explicit["arch_options"] = parse_pairs(explicit.pop("set_options"), "--set")
    if "data_options" in explicit:
        explicit["data_options"] = parse_pairs(explicit["data_options"], "--data")
    if "classes" in explicit:
        classes = explicit.pop("classes")
        data = explicit.setdefault("data_options", {})
        if "classes" in data and data["classes"] != classes:
            raise UsageError(f"--classes {classes} and --data classes={data['classes']} disagree; give one of them")
        data["classes"] = classes
    if "reg" in explicit:
        explicit["regularisers"] = _regularisers(explicit.pop("reg"))
    if "betas" in explicit:
        explicit["betas"] = parse_betas(explicit["betas"])
    return explicit


def _regularisers(items: tuple[str, ...]) -> dict[str, Any]:
    """``--reg gp=10 --reg r1`` as registry names and weights; ``--reg none`` means no regulariser."""
    from ganzoo.losses import check_regulariser_name

    if [item.strip().lower() for item in items] == ["none"]:
        return {}
    pairs = parse_pairs(items, "--reg", numeric=True)
    if "none" in pairs:
        raise UsageError("--reg none means no regulariser at all; do not combine it with others")
    named: dict[str, Any] = {}
    for name, weight in pairs.items():
        real = check_regulariser_name(name)  # an unknown name fails here, before any data loads
        if real in named:
            raise UsageError(f"--reg names {real} twice (once as '{name}'); give it once")
        named[real] = weight
    return named


def _make_config(config_file: str | None, explicit: dict[str, Any]) -> TrainConfig:
    """The options of this run, in the one order :func:`ganzoo.train.config.layered_config` applies."""
    from ganzoo.train.config import layered_config, read_config_file

    config = layered_config(read_config_file(config_file) if config_file else {}, overrides=explicit)
    config.argv = list(sys.argv)
    return config


COMMANDS = [train_command]
