"""Hooks of the cgan plugin (torch-free)."""

from ganzoo.plugin import Register, hookimpl, register_bundled


@hookimpl
def register_architectures(register: Register) -> None:
    register(
        "cgan",
        "ganzoo_cgan.models:CGAN",
        summary="Class-conditional DCGAN: label embedding joined to z, projection discriminator "
                "(Mirza & Osindero 2014; Miyato & Koyama 2018)",
        tags=["class-conditional", "conv"],
        metadata={
            "task": "class-conditional",
            "image_sizes": [28, 32, 64],
            "paper": "arXiv:1411.1784, arXiv:1802.05637",
            "conditioning": {"generator": "label embedding concatenated to z",
                             "discriminator": "projection: logit + <embed(y), phi(x)>, spectral norm"},
            "defaults": {"28": "TensorFlow DCGAN tutorial bodies (1 channel, dropout 0.3)",
                         "32": "PyTorch DCGAN example bodies, 3 stages (3 channels)",
                         "64": "PyTorch DCGAN example bodies, 4 stages (3 channels)"},
            # Spectral norm (a model default), the hinge loss and a discriminator learning 4x
            # faster than the generator (TTUR, Adam betas 0/0.9), as SNGAN-projection and SAGAN
            # train: docs/families/cgan.md compares it with the recipes that collapsed.
            "train_defaults": {"loss": "hinge", "lr_g": 1e-4, "lr_d": 4e-4, "betas": [0.0, 0.9]},
            "test_kwargs": {"num_classes": 3, "base_channels": 8, "latent_dim": 8, "embed_dim": 4},
        },
    )


@hookimpl
def register_pretrained(register: Register) -> None:
    register_bundled(register, __file__, "cgan-fashion",
                     summary="Class-conditional GAN on Fashion-MNIST: 28x28 garments of the class you ask for (EMA)")
