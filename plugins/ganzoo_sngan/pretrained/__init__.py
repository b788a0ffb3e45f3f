"""Checkpoint folders of the SNGAN zoo models, shipped inside the plugin package.

Each attribute is the folder a pretrained-registry entry points at (its ``target``).
"""

from pathlib import Path

SNGAN_FASHION = Path(__file__).parent / "sngan-fashion"
SNGAN_PROJECTION_FASHION = Path(__file__).parent / "sngan-projection-fashion"
