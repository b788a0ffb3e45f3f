"""Score a bundled zoo model in one more feature space and record it in its config and card.

The zoo's cards carried FID[fmnist-cnn] only; issue 20 adds the field's own FID[inception] to
every model, retrained or not. For a model that is not retrained, this script evaluates the
bundled weights as they are (10,000 samples against its dataset's test split, truncation off,
seed 0, as export does) and rewrites only ``config.json`` and ``README.md``: the weights and the
sample grid are not touched, and rows already recorded for that feature space are replaced::

    python scripts/score_zoo_model.py dcgan-fashion --feature inception
    python scripts/score_zoo_model.py pix2pix-edges2fashion --feature inception --metrics fid

Models retrained in the same session are exported with ``--feature fmnist-cnn,inception``
instead (scripts/export_zoo_long.sh). The record's file table, the card and the zoo pin are
refreshed with ``refresh_record``, as export does; the new pin is printed last.
"""

from __future__ import annotations

import argparse
import json

from ganzoo.hub.pretrained import load_pretrained
from ganzoo.hub.zoo import locate
from ganzoo.io import write_json
from ganzoo.plugins import get_registry
from ganzoo.publish.export import refresh_record
from ganzoo.translation import is_translator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="a zoo name, e.g. dcgan-fashion")
    parser.add_argument("--feature", default="inception", help="feature extractor (default inception)")
    parser.add_argument("--metrics", default="fid,kid,pr,density-coverage",
                        help="metrics in that feature space (default fid,kid,pr,density-coverage; IS needs logits)")
    parser.add_argument("--num-samples", type=int, default=10_000)
    args = parser.parse_args()
    folder = locate(get_registry("pretrained").get(args.name)).folder
    if folder is None:
        raise SystemExit(f"{args.name} is not bundled here")
    pretrained = load_pretrained(args.name)  # checks the folder against its pin first
    model = pretrained.model.float()
    config = json.loads((folder / "config.json").read_text())
    dataset = ((config.get("training") or {}).get("dataset") or {})
    if is_translator(model):
        from ganzoo.eval.translation import evaluate_translation

        metrics = ",".join(m for m in args.metrics.split(",") if m not in ("is", "density-coverage"))
        rows = evaluate_translation(model, dataset=dataset.get("name"), dataset_options=dataset.get("options"),
                                    metrics=metrics, num_samples=args.num_samples,
                                    feature=args.feature).checkpoint_metrics()
    else:
        from ganzoo.eval.api import evaluate
        from ganzoo.eval.results import checkpoint_metrics

        results = evaluate(model, metrics=args.metrics, num_samples=args.num_samples,
                           reference=f"{dataset.get('name', 'fashion-mnist')}:test", feature=args.feature)
        rows = checkpoint_metrics(results)
    tag = f"[{args.feature}]"
    kept = [m for m in config.get("metrics") or [] if tag not in m["name"]]
    config["metrics"] = kept + rows
    for row in rows:
        print(f"{args.name}: {row['name']} = {row['value']}")
    write_json(folder / "config.json", config)
    print(f"{refresh_record(folder, name=args.name)}  pinned record of {args.name}")


if __name__ == "__main__":
    main()
