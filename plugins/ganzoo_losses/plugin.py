"""Hooks of the built-in losses plugin; torch-free, as every hook module must be.

Adversarial losses go to the ``losses`` registry (``--loss``), regularisers to ``regularisers``
(``--reg``). Regularisers carry ``default_weight`` and may have short ``aliases``
(``--reg gp=10``). What a loss's ``E[D(x)] - E[D(G(z))]`` estimates is a class attribute
(``AdversarialLoss.estimates``), not metadata.
"""

from ganzoo.plugin import Register, hookimpl

_ADVERSARIAL = {
    "non-saturating": ("NonSaturating", "BCE on logits; the generator maximises log D(G(z)) (Goodfellow 2014)",
                       ["bce"]),
    "minimax": ("Minimax", "The original minimax game; the generator minimises log(1 - D(G(z)))", ["bce"]),
    "lsgan": ("LeastSquares", "Least-squares GAN: (D(x)-1)^2 + D(G(z))^2 (Mao et al. 2017)", ["least-squares"]),
    "hinge": ("Hinge", "Hinge loss: relu(1 - D(x)) + relu(1 + D(G(z))) (Lim & Ye 2017)", ["margin"]),
    "wasserstein": ("Wasserstein",
                    "Wasserstein critic: D(G(z)) - D(x); pair with a gradient penalty (Arjovsky 2017)", ["critic"]),
}
_REGULARISERS = {
    "gradient-penalty": ("GradientPenalty",
                         "WGAN-GP: weight * (||grad D(x_hat)|| - 1)^2 on interpolates (Gulrajani 2017)",
                         10.0, ["gp"]),
    "r1": ("R1", "R1: weight/2 * ||grad D(x)||^2 on real images (Mescheder et al. 2018)", 10.0, []),
}


@hookimpl
def register_losses(register: Register) -> None:
    for name, (cls, summary, tags) in _ADVERSARIAL.items():
        register(name, f"ganzoo_losses.losses:{cls}", summary=summary, tags=tags)


@hookimpl
def register_regularisers(register: Register) -> None:
    for name, (cls, summary, weight, aliases) in _REGULARISERS.items():
        metadata: dict[str, float | list[str]] = {"default_weight": weight}
        if aliases:
            metadata["aliases"] = aliases
        register(name, f"ganzoo_losses.losses:{cls}", summary=summary, tags=["penalty"], metadata=metadata)
