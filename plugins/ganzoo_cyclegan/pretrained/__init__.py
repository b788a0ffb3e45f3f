"""Checkpoint folders of the CycleGAN zoo models, shipped inside the plugin package.

Each attribute is the folder a pretrained-registry entry points at (its ``target``);
``scripts/train_cyclegan_sneaker2boot.sh`` writes the folder.
"""

from pathlib import Path

CYCLEGAN_SNEAKER2BOOT = Path(__file__).parent / "cyclegan-sneaker2boot"
