#!/usr/bin/env bash
# Trains the bundled `dcgan-fashion` zoo model on the real Fashion-MNIST train split, evaluates it
# and exports it into the DCGAN plugin package. The networks are the seeds' DCGAN (the TensorFlow
# tutorial's); the recipe is the best the leaderboard found for them on a CPU budget
# (docs/leaderboard.md): the seeds' loss and optimiser, no DiffAugment (it slows convergence at
# this budget), and an EMA generator with standing batch-norm statistics. The budget is in steps,
# so a re-run gives the same weights; the card states the wall time it took here. The train
# command is the one recorded in the model's config.json and card.
# Exporting into the zoo folder renews its record and pin (pretrained/pins.json): nothing to paste.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-12000}
OUT=plugins/ganzoo_dcgan/pretrained/dcgan-fashion
ganzoo train dcgan --dataset fashion-mnist --max-steps "$STEPS" --ema-decay 0.999 --seed 0 \
  --checkpoint-every 1000 --log-every 50 --out runs/dcgan-fashion --quiet --overwrite
ganzoo export runs/dcgan-fashion "$OUT" --dtype float16 --name dcgan-fashion \
  --metrics fid,kid,is,pr,density-coverage --truncations 1.0,0.5 --eval-samples 10000 --overwrite
du -b "$OUT"/generator.safetensors
