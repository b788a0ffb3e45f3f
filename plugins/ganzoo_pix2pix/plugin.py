"""Hooks of the pix2pix plugin (torch-free)."""

from ganzoo.plugin import Register, hookimpl, register_bundled


@hookimpl
def register_architectures(register: Register) -> None:
    register(
        "pix2pix",
        "ganzoo_pix2pix.models:Pix2Pix",
        summary="pix2pix: paired translation, U-Net generator + PatchGAN on (input, output) pairs (Isola et al. 2017)",
        tags=["image-to-image", "paired", "conv"],
        metadata={
            "task": "image-to-image",
            "directions": ["a2b"],
            "paper": "arXiv:1611.07004",
            "datasets": ["edges2fashion", "paired-folder"],
            "image_sizes": [28, 32, 64, 128, 256],
            "defaults": {"28": "4-level U-Net (28 -> 14 -> 7 -> 3 -> 1), 16x16 PatchGAN",
                         "64": "6-level U-Net, 34x34 PatchGAN",
                         "256": "the paper's 8-level U-Net and 70x70 PatchGAN"},
            # The paper's recipe: Adam(2e-4, 0.5, 0.999), the non-saturating GAN loss, lambda = 100
            # (the model's l1_weight). Batches of 64 suit 28x28 data; the paper used 1 to 10 at 256.
            "train_defaults": {"loss": "non-saturating", "lr_g": 2e-4, "lr_d": 2e-4, "betas": [0.5, 0.999],
                               "batch_size": 64},
            "test_kwargs": {"image_size": 28, "in_channels": 1, "channels": 1, "base_channels": 4},
        },
    )


@hookimpl
def register_pretrained(register: Register) -> None:
    register_bundled(register, __file__, "pix2pix-edges2fashion",
                     summary="pix2pix trained on edges2fashion: Canny edge maps to 28x28 Fashion-MNIST garments",
                     tags=("fashion-mnist",))
