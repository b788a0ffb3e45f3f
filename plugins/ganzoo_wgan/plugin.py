"""Hooks of the WGAN-GP plugin (torch-free).

``train_defaults`` is the recipe ``ganzoo train wgan-gp`` uses unless told otherwise: the
Wasserstein loss with a gradient penalty of 10 and five critic updates per generator update
(Gulrajani et al. 2017, Algorithm 1), and Adam with learning rate 1e-4 and betas (0.5, 0.9), the
settings of the authors' own code for their MNIST and CIFAR-10 DCGAN-like models (the paper's
Algorithm 1 lists beta1 = 0, which their code pairs with the larger ResNet models).
"""

from ganzoo.plugin import Register, hookimpl, register_bundled


@hookimpl
def register_architectures(register: Register) -> None:
    register(
        "wgan-gp",
        "ganzoo_wgan.models:WGANGP",
        summary="WGAN-GP: DCGAN generator, batch-norm-free critic, Wasserstein loss + gradient penalty "
                "(Gulrajani et al. 2017)",
        tags=["unconditional", "conv", "critic"],
        metadata={
            "task": "unconditional",
            "image_sizes": [28, 32, 64],
            "paper": "arXiv:1704.00028",
            "defaults": {"28": "TensorFlow DCGAN tutorial generator; its critic without dropout, with layer norm",
                         "32": "PyTorch DCGAN example, 3 stages, layer norm in the critic (3 channels)",
                         "64": "PyTorch DCGAN example, 4 stages, layer norm in the critic (3 channels)"},
            "train_defaults": {"loss": "wasserstein", "regularisers": {"gradient-penalty": 10.0}, "n_critic": 5,
                               "lr_g": 1e-4, "lr_d": 1e-4, "betas": [0.5, 0.9]},
            "test_kwargs": {"base_channels": 4, "latent_dim": 8},
        },
    )


@hookimpl
def register_pretrained(register: Register) -> None:
    register_bundled(register, __file__, "wgan-gp-fashion",
                     summary=("WGAN-GP trained on Fashion-MNIST: 28x28 garments (layer-norm critic, gradient "
                              "penalty 10, two timescales, EMA)"))
