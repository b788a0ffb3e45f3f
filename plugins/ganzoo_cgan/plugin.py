"""Hooks of the cgan plugin (torch-free)."""

from ganzoo.plugin import Register, hookimpl


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
    register(
        "cgan-fashion",
        "ganzoo_cgan.pretrained:CGAN_FASHION",
        summary="Class-conditional GAN on Fashion-MNIST: 28x28 garments of the class you ask for (EMA)",
        tags=["class-conditional", "fashion-mnist", "bundled"],
        metadata={
            "architecture": "cgan",
            "dataset": "fashion-mnist",
            "task": "class-conditional",
            "license": "apache-2.0 (weights); Fashion-MNIST is MIT",
            "size_bytes": 4_055_904,
            "trained_with": "scripts/train_cgan_fashion.sh",
            # Checked on every load; the training script prints new ones after a re-run.
            "files": {
                "config.json": "66df0c0c305d0b1d840abbbba20de622a34f8b168b1c731a3c1106e7c182bdf6",
                "generator.safetensors": "6c3af17bc966b445425c78a45faed3acc6cce7220dd8c03d75b95feeb6d27fdd",
            },
        },
    )
