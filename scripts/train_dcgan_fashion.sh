#!/usr/bin/env bash
# Trains the bundled `dcgan-fashion` zoo model on the real Fashion-MNIST train split, evaluates it
# and exports it into the DCGAN plugin package. The train command is the one recorded in the
# model's config.json and card. About 15 minutes on an idle 2-core CPU with bf16; minutes on a GPU.
# After a re-run, update the sha256s in plugins/ganzoo_dcgan/plugin.py (the script prints them).
set -euo pipefail
cd "$(dirname "$0")/.."
ganzoo train dcgan --dataset fashion-mnist --epochs 12 --batch-size 128 --ema-decay 0.999 --seed 0 \
  --checkpoint-every 500 --log-every 10 --out runs/dcgan-fashion --quiet
ganzoo export runs/dcgan-fashion plugins/ganzoo_dcgan/pretrained/dcgan-fashion --dtype float16 \
  --name dcgan-fashion --metrics fid,kid,is,pr --eval-samples 10000 --overwrite
sha256sum plugins/ganzoo_dcgan/pretrained/dcgan-fashion/*
