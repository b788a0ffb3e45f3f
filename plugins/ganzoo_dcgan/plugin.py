"""Hooks of the DCGAN plugin (torch-free)."""

from ganzoo.plugin import Register, hookimpl, register_bundled


@hookimpl
def register_architectures(register: Register) -> None:
    register(
        "dcgan",
        "ganzoo_dcgan.models:DCGAN",
        summary="DCGAN: strided (transposed) convolutions with batch norm (Radford et al. 2015)",
        tags=["unconditional", "conv"],
        metadata={
            "task": "unconditional",
            "image_sizes": [28, 32, 64],
            "paper": "arXiv:1511.06434",
            "defaults": {"28": "TensorFlow DCGAN tutorial (1 channel, dropout 0.3)",
                         "32": "PyTorch DCGAN example, 3 stages (3 channels)",
                         "64": "PyTorch DCGAN example, 4 stages (3 channels)"},
            "test_kwargs": {"base_channels": 8, "latent_dim": 8},
        },
    )


@hookimpl
def register_pretrained(register: Register) -> None:
    register_bundled(register, __file__, "dcgan-fashion",
                     summary=("DCGAN trained on Fashion-MNIST: 28x28 garments (TensorFlow tutorial layout, EMA with "
                              "standing statistics)"))
