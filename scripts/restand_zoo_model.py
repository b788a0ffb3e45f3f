"""Give a bundled zoo model standing batch-norm statistics after the fact, and score it again.

Zoo models exported before standing statistics existed carry their EMA generator with the *live*
generator's batch-norm buffers, which describe other weights. Standing statistics need nothing
but the generator itself: forward passes in training mode over seeded latents, with cumulative
averaging (:func:`ganzoo.train.ema.standing_statistics`, as the engine does before every save).
This script applies them to a bundled checkpoint folder, re-scores it (the same metrics as its
``config.json`` lists, untruncated and at the given truncation bounds) and rewrites the folder:
weights, config (with a ``standing_statistics`` record under ``training``), card and samples::

    python scripts/restand_zoo_model.py cgan-fashion
    python scripts/restand_zoo_model.py wgan-gp-fashion --truncations 1.0,0.5

Only batch-norm buffers change; every other tensor is written back as it was. The folder's
record, card and zoo pin are then renewed (``refresh_record``); run scripts/add_zoo_onnx.py after
it, since the ONNX generator no longer matches the weights.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import torch

from ganzoo.eval.api import evaluate
from ganzoo.eval.results import checkpoint_metrics
from ganzoo.hub.pretrained import PretrainedGAN, load_pretrained
from ganzoo.hub.zoo import locate
from ganzoo.plugins import get_registry
from ganzoo.publish.export import refresh_record
from ganzoo.train.ema import STANDING_BATCH_SIZE, STANDING_BATCHES, standing_statistics


def metric_names(config: dict) -> str:
    """The ``--metrics`` names behind a config's recorded (untruncated) metrics."""
    names = {"FID": "fid", "KID": "kid", "IS": "is", "Precision": "pr", "Recall": "pr", "Density": "density-coverage",
             "Coverage": "density-coverage", "ClassAccuracy": "class-accuracy"}
    found = [names[m["name"].split("[")[0]] for m in config.get("metrics") or [] if "@" not in m["name"]
             and m["name"].split("[")[0] in names]
    return ",".join(dict.fromkeys(found + ["density-coverage"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="a zoo name, e.g. cgan-fashion")
    parser.add_argument("--truncations", default="1.0,0.5")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    folder = locate(get_registry("pretrained").get(args.name)).folder
    if folder is None:
        raise SystemExit(f"{args.name} is not bundled here")
    pretrained = load_pretrained(str(folder))
    model = pretrained.model.float()
    before = {k: v.clone() for k, v in model.generator.state_dict().items()}
    if not standing_statistics(model, model.generator, seed=args.seed):
        raise SystemExit(f"{args.name}'s generator has no batch norm: nothing to re-estimate")
    after = model.generator.state_dict()
    changed = [k for k in after if not torch.equal(before[k], after[k])]
    assert all(k.endswith(("running_mean", "running_var", "num_batches_tracked")) for k in changed), changed
    config = dict(pretrained.config)
    dataset = (config.get("training") or {}).get("dataset") or {}
    reference = f"{dataset.get('name', 'fashion-mnist')}:test"
    metrics = metric_names(config)
    rows = []
    for truncation in [None, *(float(t) for t in args.truncations.split(",") if t)]:
        results = evaluate(model, metrics=metrics, num_samples=10_000, reference=reference, truncation=truncation,
                           progress=False)
        rows += checkpoint_metrics(results)
        print(f"{args.name} truncation {truncation}: " + ", ".join(f"{k} {v:.4g}" for k, v in
                                                               results.as_dict().items()))
    config["metrics"] = rows
    config["training"] = {**(config.get("training") or {}), "standing_statistics": {
        "batches": STANDING_BATCHES, "batch_size": STANDING_BATCH_SIZE, "seed": args.seed,
        "applied": "after export, by scripts/restand_zoo_model.py"}}
    fresh = PretrainedGAN(config, model)
    fresh.name, fresh.load_as = args.name, args.name
    staging = Path(tempfile.mkdtemp(prefix=f".{args.name}.", dir=folder.parent))
    fresh.save_pretrained(staging)
    for path in folder.iterdir():
        path.unlink()
    for path in staging.iterdir():
        shutil.move(str(path), folder / path.name)
    staging.rmdir()
    print(f"{refresh_record(folder, name=args.name)}  pinned record of {args.name}")


if __name__ == "__main__":
    main()
