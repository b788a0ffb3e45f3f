"""A plugin implementing a hook that ganzoo does not define (a typo, an old API ...)."""

from ganzoo import hookimpl


@hookimpl
def register_architectures(register):
    register("unknown-hook-arch", "ganzoo_vanilla.models:VanillaGAN", summary="Never registered")


@hookimpl
def register_widgets(register):
    register("widget", "nowhere:thing", summary="Not a real hook")
