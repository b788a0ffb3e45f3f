"""The leaderboard's rows: which runs are trained, how, and which generator of each run is scored.

One *run* is ``ganzoo train ARGS --seed S --max-minutes BUDGET`` (or the textbook loop in
``textbook.py``); one run can give several *lines* of the tables, because EMA, standing
statistics and truncation change only how a trained run is sampled, never how it trains:

* ``live``     -- the generator as trained;
* ``ema``      -- the EMA weights with the live generator's batch-norm buffers copied in (what the
  engine did before standing statistics);
* ``standing`` -- the EMA weights with batch-norm statistics re-estimated for them (what the
  engine saves now, ``--standing-batches 32``);
* ``standing-t1.0`` and so on -- the same, sampled with ``--truncation 1.0``.

Every line in ``docs/leaderboard.md`` names its run and its variant; ``run.py`` trains and scores,
``render.py`` writes the page from ``results/*.json`` alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Wall-clock minutes of training per run (the step loop; setup and scoring excluded).
BUDGET_MINUTES = 4.0
#: Metric settings of every line: images generated, reference split, metrics.
EVAL_SAMPLES = 10_000
REFERENCE = "fashion-mnist:test"
METRICS = "fid,kid,is,pr,density-coverage"
#: The truncation bound of the ``+ truncation`` lines and of the extra zoo figures.
TRUNCATIONS = (1.0, 0.5)

SNGAN_SMALL = ("--set", "image_size=28", "--set", "g_channels=64", "--set", "d_channels=64")
TTUR_HINGE = ("--loss", "hinge", "--lr-g", "1e-4", "--lr-d", "4e-4", "--betas", "0,0.9")
AUGMENT = ("--augment", "translation,cutout")
EMA = ("--ema-decay", "0.999")
DCGAN_RECIPE = ("dcgan", "-d", "fashion-mnist", "--set", "spectral_norm=true", *TTUR_HINGE, *AUGMENT, *EMA)
SNGAN_RECIPE = ("sngan", "-d", "fashion-mnist", *SNGAN_SMALL, *AUGMENT, *EMA)
PROJECTION_RECIPE = ("sngan-projection", "-d", "fashion-mnist", *SNGAN_SMALL, *AUGMENT, *EMA)


@dataclass(frozen=True)
class Run:
    """One training run per seed; ``args`` follow ``ganzoo train`` (``()`` for the textbook loop)."""

    id: str
    args: tuple[str, ...]
    variants: tuple[str, ...] = ("live",)
    seeds: tuple[int, ...] = (0,)
    conditional: bool = False
    textbook: bool = False
    note: str = ""


@dataclass(frozen=True)
class Line:
    """One line of a table: a run's variant, under a label."""

    label: str
    run: str
    variant: str = "live"


@dataclass(frozen=True)
class Table:
    title: str
    intro: str
    lines: tuple[Line, ...] = field(default_factory=tuple)


RUNS: tuple[Run, ...] = (
    Run("textbook-dcgan", (), textbook=True,
        note="the TensorFlow DCGAN tutorial's loop in plain PyTorch: fp32, Adam 1e-4 (betas 0.9, 0.999), batch 256, "
             "binary cross-entropy, one noise batch per step for both players"),
    Run("dcgan-base", ("dcgan", "-d", "fashion-mnist"), seeds=(0, 1, 2), note="the seeds' DCGAN recipe in the engine"),
    Run("dcgan-sn-hinge-ttur", ("dcgan", "-d", "fashion-mnist", "--set", "spectral_norm=true", *TTUR_HINGE)),
    Run("dcgan-recipe", DCGAN_RECIPE, variants=("live", "ema", "standing", "standing-t1.0", "standing-t0.5")),
    Run("sngan-base", ("sngan", "-d", "fashion-mnist", *SNGAN_SMALL, "--loss", "non-saturating", "--lr-g", "2e-4",
                       "--lr-d", "2e-4", "--betas", "0.5,0.999"),
        note="SNGAN's networks with the DCGAN recipe's loss and optimiser"),
    Run("sngan-hinge-ttur", ("sngan", "-d", "fashion-mnist", *SNGAN_SMALL), note="SNGAN's own defaults"),
    Run("sngan-recipe", SNGAN_RECIPE, variants=("live", "ema", "standing", "standing-t1.0", "standing-t0.5")),
    Run("vanilla", ("vanilla", "-d", "fashion-mnist", *EMA), variants=("live", "standing")),
    Run("wgan-gp", ("wgan-gp", "-d", "fashion-mnist", *EMA), variants=("live", "standing", "standing-t1.0")),
    Run("cgan-recipe", ("cgan", "-d", "fashion-mnist", *AUGMENT, *EMA), variants=("live", "standing", "standing-t1.0"),
        seeds=(0, 1, 2), conditional=True),
    Run("sngan-projection-recipe", PROJECTION_RECIPE, variants=("live", "standing", "standing-t1.0", "standing-t0.5"),
        conditional=True),
)

TABLES: tuple[Table, ...] = (
    Table("Headline rows", "The best line of each task at this budget, over three seeds (mean ± standard "
          "deviation). † Seeds 1 and 2 of the conditional row ran in a later session on another CPU (an AMD EPYC "
          "without AMX, where four minutes buy fewer images); to train them as much as seed 0 they were given the "
          "3,130 steps (200,320 images) seed 0 reached in its four minutes (`run.py --steps 3130`). Their images "
          "per second and minutes are left out of those columns, which are seed 0's.", (
        Line("dcgan, the seeds' recipe in the engine", "dcgan-base"),
        Line("cgan + DiffAugment, EMA, standing stats (conditional)", "cgan-recipe", "standing"),
    )),
    Table("Every family", "Each family at the same budget, scored as its zoo model would be (EMA with standing "
          "statistics where the run keeps an EMA).", (
        Line("textbook DCGAN loop (TensorFlow tutorial, fp32)", "textbook-dcgan"),
        Line("vanilla (MLP) + EMA", "vanilla", "standing"),
        Line("dcgan, the seeds' recipe", "dcgan-base"),
        Line("wgan-gp + EMA", "wgan-gp", "standing"),
        Line("sngan, the DCGAN recipe's loss and optimiser", "sngan-base"),
        Line("cgan + DiffAugment, EMA (conditional)", "cgan-recipe", "standing"),
        Line("sngan-projection + DiffAugment, EMA, standing stats (conditional)", "sngan-projection-recipe",
             "standing"),
    )),
    Table("Ablation: DCGAN", "Cumulative: each line adds one thing to the line above. The networks are the seeds' "
          "DCGAN (the TensorFlow tutorial's) throughout.", (
        Line("textbook loop (fp32, Adam 1e-4, batch 256)", "textbook-dcgan"),
        Line("base: ganzoo engine, seeds' recipe (Adam 2e-4, betas 0.5)", "dcgan-base"),
        Line("+ spectral norm, hinge, two timescales", "dcgan-sn-hinge-ttur"),
        Line("+ DiffAugment (translation, cutout)", "dcgan-recipe", "live"),
        Line("+ EMA (0.999; live BN buffers)", "dcgan-recipe", "ema"),
        Line("+ standing statistics", "dcgan-recipe", "standing"),
        Line("+ truncation 1.0", "dcgan-recipe", "standing-t1.0"),
        Line("  (truncation 0.5)", "dcgan-recipe", "standing-t0.5"),
    )),
    Table("Ablation: SNGAN", "Cumulative, on SNGAN's ResNet networks (64 channels at 28x28, sized for this CPU).", (
        Line("base: non-saturating loss, Adam 2e-4, betas 0.5", "sngan-base"),
        Line("+ hinge, two timescales (SNGAN's defaults)", "sngan-hinge-ttur"),
        Line("+ DiffAugment (translation, cutout)", "sngan-recipe", "live"),
        Line("+ EMA (0.999; live BN buffers)", "sngan-recipe", "ema"),
        Line("+ standing statistics", "sngan-recipe", "standing"),
        Line("+ truncation 1.0", "sngan-recipe", "standing-t1.0"),
        Line("  (truncation 0.5)", "sngan-recipe", "standing-t0.5"),
    )),
)


def run_by_id(run_id: str) -> Run:
    for run in RUNS:
        if run.id == run_id:
            return run
    raise KeyError(f"no run {run_id!r}; the runs are {', '.join(r.id for r in RUNS)}")


def train_command(run: Run, seed: int, out: str, minutes: float = BUDGET_MINUTES,
                  steps: int | None = None) -> list[str]:
    """The exact command that trains ``run`` with ``seed`` (what each line's "command" shows).

    ``steps`` replaces the wall budget by a step budget: how a seed run on a different CPU is given
    the same training as the seeds before it (the steps they reached in ``BUDGET_MINUTES``).
    """
    if run.textbook:
        if steps is not None:
            raise ValueError("the textbook loop takes a wall budget only")
        return ["python", "benchmarks/leaderboard/textbook.py", "--seed", str(seed), "--minutes", f"{minutes:g}",
                "--out", out]
    budget = ["--max-minutes", f"{minutes:g}"] if steps is None else ["--max-steps", str(steps)]
    return ["ganzoo", "train", *run.args, "--seed", str(seed), *budget, "--out", out,
            "--checkpoint-every", "0", "--log-every", "200"]


def parse_variant(variant: str) -> tuple[str, float | None]:
    """``"standing-t0.5"`` -> ``("standing", 0.5)``."""
    base, _, bound = variant.partition("-t")
    return base, (float(bound) if bound else None)
