"""Hooks of the vanilla GAN plugin (torch-free)."""

from ganzoo.plugin import Register, hookimpl


@hookimpl
def register_architectures(register: Register) -> None:
    register(
        "vanilla",
        "ganzoo_vanilla.models:VanillaGAN",
        summary="Vanilla GAN: MLP generator and discriminator (Goodfellow et al. 2014)",
        tags=["unconditional", "mlp"],
        metadata={
            "task": "unconditional",
            "image_sizes": [28, 32, 64],
            "paper": "arXiv:1406.2661",
            # tiny widths for ganzoo.testing's conformance checks (seconds, not minutes)
            "test_kwargs": {"latent_dim": 8, "hidden": [16, 32]},
        },
    )
