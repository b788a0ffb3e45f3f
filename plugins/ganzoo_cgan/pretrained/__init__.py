"""Checkpoint folders of the cgan zoo models, shipped inside the plugin package.

Each attribute is the folder a pretrained-registry entry points at (its ``target``).
``scripts/train_cgan_fashion.sh`` writes ``cgan-fashion``.
"""

from pathlib import Path

CGAN_FASHION = Path(__file__).parent / "cgan-fashion"
