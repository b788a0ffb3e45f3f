#!/usr/bin/env bash
# Trains the bundled SNGAN zoo models on the real Fashion-MNIST train split, evaluates them and
# exports them into the sngan plugin package:
#   sngan-fashion             unconditional SNGAN, 64 channels at 28x28
#   sngan-projection-fashion  class-conditional SNGAN-projection, the same widths
# Both use the leaderboard's best recipe for a CPU budget (docs/leaderboard.md): at a few
# minutes, SNGAN's networks learn faster with the non-saturating loss and one learning rate of
# 2e-4 (betas 0.5, 0.999) than with the hinge loss and two timescales (whose generator rate is
# 1e-4), and without DiffAugment, which slows convergence at this budget; plus an EMA generator
# with standing batch-norm statistics.
# The budget is in steps, so a re-run gives the same weights; each took the wall time its card
# states on an idle 2-core CPU with bf16 (see docs/zoo.md).
# Exporting into the zoo folder renews its record and pin (pretrained/pins.json): nothing to paste.
set -euo pipefail
cd "$(dirname "$0")/.."
# Steps per model (what the bundled models were trained for; the cards record the commands).
declare -A STEPS=([sngan-projection]=${PROJECTION_STEPS:-4500} [sngan]=${SNGAN_STEPS:-4500})
WIDTH=(--set image_size=28 --set g_channels=64 --set d_channels=64)
RECIPE=(--loss non-saturating --lr-g 2e-4 --lr-d 2e-4 --betas 0.5,0.999 --ema-decay 0.999 --seed 0 --checkpoint-every 500 --log-every 50 --quiet)
for model in ${MODELS:-sngan-projection sngan}; do
  ganzoo train "$model" --dataset fashion-mnist "${WIDTH[@]}" "${RECIPE[@]}" --max-steps "${STEPS[$model]}" \
    --out "runs/$model-fashion" --overwrite
  metrics=fid,kid,is,pr,density-coverage
  [ "$model" = sngan-projection ] && metrics="$metrics,class-accuracy"
  ganzoo export "runs/$model-fashion" "plugins/ganzoo_sngan/pretrained/$model-fashion" --dtype float16 \
    --name "$model-fashion" --metrics "$metrics" --truncations 1.0,0.5 --eval-samples 10000 --overwrite
done
du -b plugins/ganzoo_sngan/pretrained/*/generator.safetensors
