"""The training engine shared by every GAN family (``ganzoo train`` runs it).

``import ganzoo.train`` is cheap: :class:`TrainConfig` is torch-free and everything else loads
on first use.

    >>> from ganzoo.train import TrainConfig, train
    >>> result = train(TrainConfig("vanilla", "fashion-mnist", max_steps=200, out="runs/x"))  # doctest: +SKIP
    >>> model, config = load_run("runs/x")                                                    # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

from ganzoo.train.config import TrainConfig

__all__ = ["TrainConfig", "TrainResult", "Trainer", "TrainingInterrupted", "load_run", "train", "train_steps"]

_LAZY = {
    "Trainer": "ganzoo.train.trainer",
    "TrainResult": "ganzoo.train.trainer",
    "TrainingInterrupted": "ganzoo.train.trainer",
    "train": "ganzoo.train.trainer",
    "train_steps": "ganzoo.train.steps",
    "load_run": "ganzoo.runs.folder",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ganzoo.train' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
