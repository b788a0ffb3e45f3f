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

#: The zoo's targets (FID[fmnist-cnn], 10,000 samples, test split, truncation off).
TARGETS = (
    ("best unconditional model", ("dcgan-base", "dcgan-sn-hinge-ttur", "dcgan-recipe", "sngan-base",
                                  "sngan-hinge-ttur", "sngan-recipe", "wgan-gp", "vanilla"), "FID", 20.0,
     ("Recall", 0.6)),
    ("dcgan-fashion", ("dcgan-base", "dcgan-sn-hinge-ttur", "dcgan-recipe"), "FID", 45.0, None),
    ("best class-conditional model", ("sngan-projection-recipe", "cgan-recipe"), "FID", 12.0, ("ClassAccuracy", 0.9)),
    ("wgan-gp-fashion", ("wgan-gp",), "FID", 70.0, None),
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
#: zoo model -> its own target (FID), beside the best-of-task targets every model is held to.
ZOO_TARGETS = {"dcgan-fashion": 45.0, "wgan-gp-fashion": 70.0}


def zoo_rows() -> list[dict[str, Any]]:
    """The bundled sampling models' recorded scores (their config.json files, committed beside the weights)."""
    os.environ.setdefault("GANZOO_LOAD_PLUGINS", "")  # ganzoo's own zoo only
    from ganzoo.hub.checkpoint import read_config
    from ganzoo.plugins import get_registry

    found = []
    for spec in get_registry("pretrained"):
        if spec.metadata.get("task") not in ("unconditional", "class-conditional"):
            continue
        config = read_config(Path(str(spec.load())))
        scores = {m["name"].split("[")[0] + (m["name"].split("@")[1] if "@" in m["name"] else ""): m["value"]
                  for m in config.get("metrics") or []}
        found.append({"name": spec.name, "task": spec.metadata["task"], "scores": scores,
                      "training": config.get("training") or {}})
    return found


def zoo_table(models: list[dict[str, Any]]) -> list[str]:
    out = ["## The zoo against its targets", "",
           "The bundled models, trained longer than a row above (each within the 45 minutes allowed), as their "
           "cards record them: 10,000 samples against the test split, truncation off, then at bound 1.0. "
           "Targets: best unconditional FID ≤ 20 with recall ≥ 0.6; best class-conditional FID ≤ 12 with class "
           "accuracy ≥ 0.9; dcgan-fashion FID ≤ 45; wgan-gp-fashion FID ≤ 70.", "",
           "| model | FID | recall | coverage | class acc. | FID at T=1.0 | precision at T=1.0 | images | minutes "
           "| own target |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]

    def number(value: Any, fmt: str) -> str:
        return fmt.format(value) if isinstance(value, (int, float)) else "–"

    for model in models:
        scores, training = model["scores"], model["training"]
        own = ZOO_TARGETS.get(model["name"])
        verdict = "–" if own is None else ("met" if scores.get("FID", 1e9) <= own else
                                            f"missed by {scores['FID'] - own:.1f}")
        minutes = training.get("train_seconds")
        cells = [number(scores.get("FID"), "{:.1f}"), number(scores.get("Recall"), "{:.3f}"),
                 number(scores.get("Coverage"), "{:.3f}"), number(scores.get("ClassAccuracy"), "{:.3f}"),
                 number(scores.get("FIDtruncation=1"), "{:.1f}"), number(scores.get("Precisiontruncation=1"), "{:.3f}"),
                 number(training.get("images_seen"), "{:,}"), number(minutes and minutes / 60, "{:.0f}"), verdict]
        out.append(f"| `{model['name']}` | " + " | ".join(cells) + " |")
    best = {task: min((m for m in models if m["task"] == task and "FID" in m["scores"]),
                      key=lambda m: m["scores"]["FID"], default=None)
            for task in ("unconditional", "class-conditional")}
    for task, (limit, key, floor) in {"unconditional": (20.0, "Recall", 0.6),
                                      "class-conditional": (12.0, "ClassAccuracy", 0.9)}.items():
        model = best[task]
        if model is None:
            continue
        fid, second = model["scores"]["FID"], model["scores"].get(key, float("nan"))
        met = fid <= limit and second >= floor
        out.append("")
        out.append(f"Best {task} model: `{model['name']}`, FID {fid:.1f} (target {limit:g}: "
                   f"{'met' if fid <= limit else f'missed by {fid - limit:.1f}'}), {WORDS.get(key, key)} {second:.3f} "
                   f"(target {floor:g}: {'met' if second >= floor else 'missed'}){'.' if not met else ': met.'}")
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
