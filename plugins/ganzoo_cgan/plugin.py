"""Hooks of the cgan plugin (torch-free)."""

from ganzoo import hookimpl  # noqa: F401
