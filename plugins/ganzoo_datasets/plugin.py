"""Hooks of the built-in datasets plugin (torch-free)."""

from ganzoo import hookimpl


@hookimpl
def register_datasets(register):
    register("fake", "ganzoo_datasets.fake:FakeImages", summary="Deterministic synthetic images of any shape, for smoke tests",
             tags=["synthetic"], metadata={"channels": 1, "size": 28, "splits": ["train", "test"]})
