#!/usr/bin/env bash
# The loss comparison in docs/training.md: the same DCGAN (28x28, width 32), data, seed and budget
# (STEPS generator steps of batch 64 on the Fashion-MNIST train split), trained with each
# adversarial loss, then scored with FID/KID[fmnist-cnn] on 5,000 samples against the test split.
# About 4 minutes per loss on an idle 2-core CPU. Usage: scripts/compare_losses.sh [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
steps="${1:-1500}"
for loss in non-saturating lsgan hinge; do
  ganzoo train dcgan --dataset fashion-mnist --loss "$loss" --set base_channels=32 --max-steps "$steps" \
    --batch-size 64 --seed 0 --checkpoint-every 0 --log-every 50 --out "runs/loss-$loss" --overwrite --quiet
done
# WGAN-GP's loss on the same DCGAN: the critic takes 5 steps per generator step (5x the critic work).
ganzoo train dcgan --dataset fashion-mnist --loss wasserstein --reg gradient-penalty=10 --n-critic 5 \
  --lr-g 1e-4 --lr-d 1e-4 --betas 0.5,0.9 --set base_channels=32 --set dropout=0 --max-steps "$steps" \
  --batch-size 64 --seed 0 --checkpoint-every 0 --log-every 50 --out runs/loss-wasserstein-gp --overwrite --quiet
for loss in non-saturating lsgan hinge wasserstein-gp; do
  echo "== $loss"
  ganzoo eval "runs/loss-$loss" --metrics fid,kid -n 5000 --seed 0
done
