"""``relativistic-average``: the RaGAN loss (Jolicoeur-Martineau 2018) on logits.

The discriminator estimates how much more realistic real data is than the average fake, and the
other way round. Its generator loss needs the real logits too, so the class sets
``uses_real_in_g`` and ganzoo's families pass them.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from ganzoo.plugin import AdversarialLoss, UsageError


class RelativisticAverage(AdversarialLoss):
    """D: -log sig(r - mean f) - log(1 - sig(f - mean r)); G: the same with real and fake swapped."""

    uses_real_in_g = True

    def d_loss(self, real: Tensor, fake: Tensor, real_target: Tensor | float = 1.0,
               fake_target: Tensor | float = 0.0) -> Tensor:
        return F.softplus(-(real - fake.mean())).mean() + F.softplus(fake - real.mean()).mean()

    def g_loss(self, fake: Tensor, real: Tensor | None = None) -> Tensor:
        if real is None:
            raise UsageError("relativistic-average needs the real logits in the generator step")
        return F.softplus(-(fake - real.mean())).mean() + F.softplus(real - fake.mean()).mean()
