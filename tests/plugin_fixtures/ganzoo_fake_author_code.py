"""The code behind ``ganzoo_fake_author``: imported only when used."""

import torch.nn.functional as F

from ganzoo.plugin import AdversarialLoss
from ganzoo_vanilla.models import VanillaGAN


class ForgetsTargets(AdversarialLoss):
    supports_soft_labels = True

    def d_loss(self, real, fake):  # no real_target / fake_target: breaks under --label-smoothing
        return F.softplus(-real).mean() + F.softplus(fake).mean()

    def g_loss(self, fake, real=None):
        return F.softplus(-fake).mean()


def plain_loss(real, fake):
    return (fake - real).mean()


class AuthorMLP(VanillaGAN):
    pass
