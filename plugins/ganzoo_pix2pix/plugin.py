"""Hooks of the pix2pix plugin (torch-free)."""

from ganzoo import hookimpl  # noqa: F401
