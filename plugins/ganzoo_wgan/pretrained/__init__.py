"""Checkpoint folders of the WGAN-GP zoo models, shipped inside the plugin package.

Each attribute is the folder a pretrained-registry entry points at (its ``target``); the
``wgan-gp-fashion`` folder is written by ``scripts/train_wgan_gp_fashion.sh``.
"""

from pathlib import Path

WGAN_GP_FASHION = Path(__file__).parent / "wgan-gp-fashion"
