"""Hooks of the cyclegan plugin (torch-free)."""

from ganzoo.plugin import Register, hookimpl, register_bundled


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
    register_bundled(register, __file__, "cyclegan-sneaker2boot",
                     summary="CycleGAN between Fashion-MNIST sneakers and ankle boots (28x28, both directions)",
                     tags=("fashion-mnist",))
