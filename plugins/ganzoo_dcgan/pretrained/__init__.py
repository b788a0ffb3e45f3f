"""Checkpoint folders of the DCGAN zoo models, shipped inside the plugin package.

Each attribute is the folder a pretrained-registry entry points at (its ``target``).
"""

from pathlib import Path

DCGAN_FASHION = Path(__file__).parent / "dcgan-fashion"
