"""Hooks of the style plugin (torch-free)."""

from ganzoo import hookimpl  # noqa: F401
