"""Hooks of the wgan plugin (torch-free)."""

from ganzoo import hookimpl  # noqa: F401
