#!/usr/bin/env bash
# Trains the bundled `dcgan-fashion` zoo model on the real Fashion-MNIST train split, then exports
# it into the DCGAN plugin package. This is the exact command recorded in its config and card.
# About 15-25 minutes on a 2-core Sapphire Rapids CPU (bf16 autocast); minutes on a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/dcgan-fashion}
ganzoo train dcgan --dataset fashion-mnist --epochs 12 --batch-size 128 --ema-decay 0.999 \
  --seed 0 --checkpoint-every 500 --out "$OUT" "$@"
ganzoo export "$OUT" plugins/ganzoo_dcgan/pretrained/dcgan-fashion --dtype float16 --name dcgan-fashion --overwrite
