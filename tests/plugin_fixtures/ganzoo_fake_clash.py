"""A plugin that registers a name a built-in already holds, and one of its own."""

from ganzoo import hookimpl


@hookimpl
def register_architectures(register):
    register("vanilla", "ganzoo_vanilla.models:VanillaGAN", summary="An impostor vanilla GAN")
    register("clash-own", "ganzoo_vanilla.models:VanillaGAN", summary="A name nobody else uses",
             tags=["unconditional"], metadata={"task": "unconditional"})
