"""Hooks of the cyclegan plugin (torch-free)."""

from ganzoo.plugin import Register, hookimpl


@hookimpl
def register_architectures(register: Register) -> None:
    register(
        "cyclegan",
        "ganzoo_cyclegan.models:CycleGAN",
        summary="CycleGAN: unpaired translation A<->B, two ResNet generators, PatchGAN critics (Zhu et al. 2017)",
        tags=["image-to-image", "unpaired", "conv"],
        metadata={
            "task": "image-to-image",
            "directions": ["a2b", "b2a"],
            "paper": "arXiv:1703.10593",
            "datasets": ["fashion-domains", "unpaired-folder"],
            # The paper's recipe: least-squares GAN, Adam(2e-4, 0.5), constant LR for the first
            # half of training, then linear decay to 0.
            "train_defaults": {"loss": "lsgan", "lr_g": 2e-4, "lr_d": 2e-4, "betas": [0.5, 0.999],
                               "lr_schedule": "linear-decay"},
            "test_kwargs": {"image_size": 16, "base_channels": 4, "n_blocks": 1, "d_channels": 4,
                            "pool_size": 3},
        },
    )


@hookimpl
def register_pretrained(register: Register) -> None:
    register(
        "cyclegan-sneaker2boot",
        "ganzoo_cyclegan.pretrained:CYCLEGAN_SNEAKER2BOOT",
        summary="CycleGAN between Fashion-MNIST sneakers and ankle boots (28x28, both directions)",
        tags=["image-to-image", "fashion-mnist", "bundled"],
        metadata={
            "architecture": "cyclegan",
            "dataset": "fashion-domains",
            "task": "image-to-image",
            "license": "apache-2.0 (weights); Fashion-MNIST is MIT",
            "size_bytes": 1_077_588,
            "trained_with": "scripts/train_cyclegan_sneaker2boot.sh",
            # Checked on every load; the training script prints new ones after a re-run.
            "files": {
                "config.json": "debc02d4f6ca4e9e12880723ddb8af4d48aad01e783df1affd0007134adcd0c5",
                "generator.safetensors": "ee3cbad955fc734e5b9f451a1d54f5b83f117a2ae3f41e43b897da7a657ae821",
            },
        },
    )
