"""Hooks of the DCGAN plugin (torch-free)."""

from ganzoo.plugin import Register, hookimpl


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
    register(
        "dcgan-fashion",
        "ganzoo_dcgan.pretrained:DCGAN_FASHION",
        summary="DCGAN trained on Fashion-MNIST: 28x28 garments (TensorFlow tutorial layout, EMA with standing "
                "statistics)",
        tags=["unconditional", "fashion-mnist", "bundled"],
        metadata={
            "task": "unconditional",
            "architecture": "dcgan",
            "dataset": "fashion-mnist",
            "license": "apache-2.0 (weights); Fashion-MNIST is MIT",
            "size_bytes": 4_663_408,
            "trained_with": "scripts/train_dcgan_fashion.sh",
            # Checked on every load; scripts/train_dcgan_fashion.sh prints new ones after a re-run.
            "files": {
                "config.json": "e34c650be3033d233bf429a74471f1306148518199d006e96a163868cf7dee51",
                "generator.safetensors": "086c3754c019909fcf87adbac84104b1cacab30c1c81d6424a524916ebe05e1e",
            },
        },
    )
