"""A plugin whose hook module imports torch: the conformance suite must catch it."""

import torch  # noqa: F401  (the mistake under test)

from ganzoo import hookimpl


@hookimpl
def register_architectures(register):
    register("torchy", "ganzoo_vanilla.models:VanillaGAN", summary="Registered by a torch-importing hook module")
