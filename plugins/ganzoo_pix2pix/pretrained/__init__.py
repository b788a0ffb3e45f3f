"""Checkpoint folders of the pix2pix zoo models, shipped inside the plugin package.

Each attribute is the folder a pretrained-registry entry points at (its ``target``);
``scripts/train_pix2pix_edges2fashion.sh`` writes the folder.
"""

from pathlib import Path

PIX2PIX_EDGES2FASHION = Path(__file__).parent / "pix2pix-edges2fashion"
