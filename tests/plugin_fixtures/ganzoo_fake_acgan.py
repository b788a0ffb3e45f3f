"""A third-party class-conditional family that keeps its class embedding beside its generator (torch-free hooks)."""

from ganzoo.plugin import hookimpl


@hookimpl
def register_architectures(register):
    register("side-embed", "ganzoo_fake_acgan_code:SideEmbedGAN",
             summary="A tiny ACGAN-like MLP whose class embedding lives on the model, not in its generator",
             metadata={"task": "class-conditional"})
