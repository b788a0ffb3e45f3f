"""Hooks of the DCGAN plugin (torch-free)."""

from ganzoo import hookimpl


@hookimpl
def register_architectures(register):
    pass
