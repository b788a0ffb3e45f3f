"""The hook module ganzoo loads through the ``ganzoo`` entry point.

It must stay torch-free: ganzoo calls these hooks to fill its registries, also for
``ganzoo list`` and ``ganzoo --help``. Targets are strings, imported only when used.
"""

from ganzoo.plugin import hookimpl


@hookimpl
def register_architectures(register):
    register(
        "tinyconv",
        "ganzoo_plugin_example.models:TinyConvGAN",
        summary="Tiny convolutional GAN: two strided (transposed) convolutions each way",
        tags=["unconditional", "conv", "example"],
        metadata={
            "task": "unconditional",
            "image_sizes": [28, 32],
            # tiny widths for ganzoo.testing: the conformance checks run in a second
            "test_kwargs": {"image_size": 16, "latent_dim": 8, "width": 4},
        },
    )


@hookimpl
def register_losses(register):
    register(
        "relativistic-average",
        "ganzoo_plugin_example.losses:RelativisticAverage",
        summary="Relativistic average GAN loss: is real data more realistic than fake, on average?",
        tags=["bce", "relativistic", "example"],
        metadata={"paper": "arXiv:1807.00734"},
    )
