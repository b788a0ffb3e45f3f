#!/usr/bin/env bash
# Exports the long runs of scripts/train_zoo_long.sh into their plugins' packages, scored on 10,000
# samples against the 10,000 Fashion-MNIST test images in two feature spaces: the bundled
# classifier's (every metric, plus truncation 1.0 and 0.5) and the FID Inception network's (the
# field's currency: FID, KID, IS, precision/recall, density/coverage; see docs/evaluation.md).
#   bash scripts/export_zoo_long.sh                    # every finished run
#   ONLY=sngan-fashion bash scripts/export_zoo_long.sh
# Inception features cost about 5 minutes per 10,000 images on 2 CPU cores; the test split's are
# computed once and cached. Then regenerate the docs: scripts/gen_zoo_docs.py and
# benchmarks/leaderboard/render.py. Export renews each zoo folder's record and pin: nothing to paste.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-$HOME/ganzoo-runs}
declare -A PLUGIN=([sngan-fashion]=ganzoo_sngan [sngan-projection-fashion]=ganzoo_sngan
                   [wgan-gp-fashion]=ganzoo_wgan)
for name in sngan-fashion sngan-projection-fashion wgan-gp-fashion; do
  [ -n "${ONLY:-}" ] && [[ ",$ONLY," != *",$name,"* ]] && continue
  [ -f "$RUNS/$name/.done" ] || { echo "$name: no finished run in $RUNS/$name, skipped"; continue; }
  metrics=fid,kid,is,pr,density-coverage
  [ "$name" = sngan-projection-fashion ] && metrics="$metrics,class-accuracy"
  out="plugins/${PLUGIN[$name]}/pretrained/$name"
  ganzoo export "$RUNS/$name" "$out" --dtype float16 --name "$name" --metrics "$metrics" \
    --feature fmnist-cnn,inception --truncations 1.0,0.5 --eval-samples 10000 --overwrite
  du -b "$out"/generator.safetensors
done
