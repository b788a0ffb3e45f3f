"""Spectral normalisation of a whole network (Miyato et al. 2018), for any family's discriminator.

Each weight is divided by an estimate of its largest singular value (one power iteration per
training forward pass), which bounds the network's Lipschitz constant layer by layer. Apply it
after weight initialisation: the parametrisation normalises whatever weights it finds.
"""

from __future__ import annotations

import torch
from torch import nn


def apply_spectral_norm(module: nn.Module) -> None:
    """Spectral normalisation of every convolution, linear layer and embedding in ``module``."""
    for child in list(module.modules()):
        if isinstance(child, (nn.Conv2d, nn.Linear, nn.Embedding)):
            torch.nn.utils.parametrizations.spectral_norm(child)
