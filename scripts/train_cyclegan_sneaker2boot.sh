#!/usr/bin/env bash
# Trains the bundled `cyclegan-sneaker2boot` zoo model on two classes of the real Fashion-MNIST
# train split (6,000 sneakers as domain A, 6,000 ankle boots as domain B), evaluates it on the
# test split and exports both generators into the CycleGAN plugin package. The train command is
# the one recorded in the model's config.json and card.
#
# Sizing: two 16-wide ResNet generators with 3 residual blocks (268k parameters each, ~1.1 MB in
# float16 together) and 32-wide 2-layer PatchGAN critics. On a 2-core AVX512-BF16 CPU the step
# costs ~0.4 CPU-s per 32 images (~85 images per core-second), so 16 epochs (3,000 steps of 32)
# take ~10-12 minutes on an idle machine; minutes on a GPU.
#
# Recipe: the family's defaults (lsgan, Adam 2e-4 with betas 0.5/0.999, constant rate for the
# first half then linear decay to 0, history pools of 50) with the paper's weights for object
# transfiguration (horse <-> zebra, apple <-> orange): lambda = 10 and no identity loss, which
# the paper keeps for paintings <-> photos and which rewards leaving a sneaker's shape alone.
# ganzoo's lsgan gives the generator (D(G(x)) - 1)^2 / 2 (Mao et al.'s form) where the paper has
# no 1/2; Adam ignores a loss's overall scale, so cycle_weight=5 here trains exactly like the
# paper's adversarial + 10 * cycle.
#
# Exporting into the zoo folder renews its record and pin (pretrained/pins.json): nothing to paste.
set -euo pipefail
cd "$(dirname "$0")/.."
ganzoo train cyclegan --dataset fashion-domains --epochs 16 --batch-size 32 --seed 0 \
  --set base_channels=16 --set n_blocks=3 --set d_channels=32 --set cycle_weight=5 --set identity_weight=0 \
  --checkpoint-every 500 --log-every 20 --out runs/cyclegan-sneaker2boot --quiet
ganzoo export runs/cyclegan-sneaker2boot plugins/ganzoo_cyclegan/pretrained/cyclegan-sneaker2boot --dtype float16 \
  --name cyclegan-sneaker2boot --metrics fid,class-accuracy --eval-samples 1000 --overwrite
du -sh plugins/ganzoo_cyclegan/pretrained/cyclegan-sneaker2boot
