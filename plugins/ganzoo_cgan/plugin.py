"""Hooks of the cgan plugin (torch-free)."""

from ganzoo import hookimpl


@hookimpl
def register_architectures(register):
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
                             "discriminator": "projection: logit + <embed(y), phi(x)>"},
            "defaults": {"28": "TensorFlow DCGAN tutorial bodies (1 channel, dropout 0.3)",
                         "32": "PyTorch DCGAN example bodies, 3 stages (3 channels)",
                         "64": "PyTorch DCGAN example bodies, 4 stages (3 channels)"},
            "test_kwargs": {"num_classes": 3, "base_channels": 8, "latent_dim": 8, "embed_dim": 4},
        },
    )
