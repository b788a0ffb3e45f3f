"""A plugin whose hook registers two entries, then raises: neither may stay registered."""

from ganzoo import hookimpl


@hookimpl
def register_architectures(register):
    register("halfway-one", "ganzoo_vanilla.models:VanillaGAN", summary="First of two")
    register("halfway-two", "ganzoo_vanilla.models:VanillaGAN", summary="Second of two")
    raise ValueError("failed after registering two architectures")
