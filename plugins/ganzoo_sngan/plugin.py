"""Hooks of the sngan plugin (torch-free)."""

from ganzoo.plugin import Register, hookimpl, register_bundled

# SNGAN's recipe: the hinge loss, and a discriminator learning faster than the generator
# (two timescales, Heusel et al. 2017) with Adam betas 0/0.9, as SNGAN-projection and SAGAN
# train; one discriminator step per generator step keeps a CPU run short.
_TRAIN_DEFAULTS = {"loss": "hinge", "lr_g": 1e-4, "lr_d": 4e-4, "betas": [0.0, 0.9], "n_critic": 1}
_SIZES = {"28": "7x7 start, 2 up blocks; D: 2 down blocks + 2", "32": "4x4 start, 3 up blocks; D: 2 down + 2",
          "64": "4x4 start, 4 up blocks; D: 4 down + 1"}


@hookimpl
def register_architectures(register: Register) -> None:
    register(
        "sngan",
        "ganzoo_sngan.models:SNGAN",
        summary="SNGAN: ResNet generator with batch norm, ResNet discriminator with spectral norm "
                "(Miyato et al. 2018)",
        tags=["unconditional", "resnet", "spectral-norm"],
        metadata={
            "task": "unconditional",
            "image_sizes": [28, 32, 64],
            "paper": "arXiv:1802.05957",
            "defaults": _SIZES,
            "train_defaults": dict(_TRAIN_DEFAULTS),
            "test_kwargs": {"g_channels": 8, "d_channels": 8, "latent_dim": 8},
        },
    )
    register(
        "sngan-projection",
        "ganzoo_sngan.models:SNGANProjection",
        summary="Class-conditional SNGAN: conditional batch norm in G, projection discriminator "
                "(Miyato & Koyama 2018)",
        tags=["class-conditional", "resnet", "spectral-norm"],
        metadata={
            "task": "class-conditional",
            "image_sizes": [28, 32, 64],
            "paper": "arXiv:1802.05637",
            "defaults": _SIZES,
            "conditioning": {"generator": "conditional batch norm (a gain and bias per class)",
                             "discriminator": "projection: logit + <embed(y), phi(x)>, spectral norm"},
            "train_defaults": dict(_TRAIN_DEFAULTS),
            "test_kwargs": {"num_classes": 3, "g_channels": 8, "d_channels": 8, "latent_dim": 8},
        },
    )


@hookimpl
def register_pretrained(register: Register) -> None:
    register_bundled(register, __file__, "sngan-fashion",
                     summary=("SNGAN on Fashion-MNIST: 28x28 garments from a ResNet generator (spectral norm, EMA with "
                              "standing statistics)"),
                     tags=("resnet",))
    register_bundled(register, __file__, "sngan-projection-fashion",
                     summary=("SNGAN-projection on Fashion-MNIST: 28x28 garments of the class you ask for (conditional "
                              "batch norm, projection discriminator, EMA with standing statistics)"),
                     tags=("resnet",))
