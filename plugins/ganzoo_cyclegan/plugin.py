"""Hooks of the cyclegan plugin (torch-free)."""

from ganzoo import hookimpl  # noqa: F401
