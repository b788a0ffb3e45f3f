#!/usr/bin/env bash
# Trains the bundled `pix2pix-edges2fashion` zoo model (edge map -> garment) on the real
# edges2fashion train split, evaluates it on the test split and exports it into the pix2pix
# plugin package. The train command is the one recorded in the model's config.json and card.
#
# Sized for about 10 minutes on an idle 2-core CPU with bf16: 6 epochs of 60,000 pairs at
# batch 64 (5,625 steps, 360,000 pairs). A short run on ONE thread of a shared machine trained
# ~600 pairs/s (a step cost ~115 ms of CPU time), so expect 600-900 pairs/s on two idle cores;
# computing the 70,000 edge maps adds ~12 s. The generator has 1.54M parameters: ~3.1 MB in
# float16. Not run by its author (the lead trains the zoo models); adjust --epochs if the
# throughput differs.
#
# The export evaluates with the image-to-image metrics of 'ganzoo eval': L1 to the true
# garments, FID[fmnist-cnn] against the test garments and class accuracy with the shipped
# classifier, on all 10,000 test pairs.
# Exporting into the zoo folder renews its record and pin (pretrained/pins.json): nothing to paste.
set -euo pipefail
cd "$(dirname "$0")/.."
ganzoo train pix2pix --dataset edges2fashion --set base_channels=32 --epochs 6 --batch-size 64 --seed 0 \
  --checkpoint-every 500 --log-every 25 --out runs/pix2pix-edges2fashion --quiet
ganzoo export runs/pix2pix-edges2fashion plugins/ganzoo_pix2pix/pretrained/pix2pix-edges2fashion \
  --dtype float16 --name pix2pix-edges2fashion --metrics l1,fid,class-accuracy --eval-samples 10000 --overwrite
