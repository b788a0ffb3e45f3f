"""What every evaluation shares, below the modules that run one: defaults, settings, progress, device.

torch-free at import time; :mod:`ganzoo.eval.api` (generators) and
:mod:`ganzoo.eval.translation` (image-to-image models) both read these, so neither imports the other.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ganzoo.errors import UsageError

if TYPE_CHECKING:
    import torch
    from torch import Tensor

#: What ``--reference`` means when not given.
DEFAULT_REFERENCE = "fashion-mnist:test"
DEFAULT_NUM_SAMPLES = 10_000
DEFAULT_BATCH_SIZE = 500


def settings_for(names: list[str], metric_settings: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    """``metric_settings`` as a dict, refusing settings of metrics that are not being computed."""
    settings = dict(metric_settings or {})
    unknown = sorted(set(settings) - set(names))
    if unknown:
        raise UsageError(f"settings given for metric(s) not being computed: {', '.join(unknown)}")
    return settings


def counted(batches: Iterator["Tensor"], total: int, label: str, enabled: bool) -> Iterator["Tensor"]:
    """Pass batches through, advancing a tqdm bar (on stderr) by the images in each."""
    if not enabled:
        yield from batches
        return
    from tqdm.auto import tqdm

    with tqdm(total=total, desc=label, unit="img", leave=False, file=sys.stderr, dynamic_ncols=True) as bar:
        for batch in batches:
            yield batch
            bar.update(int(batch.shape[0]))


def model_device(target: Any) -> "torch.device | None":
    """A model passed in stays where it is unless a device is asked for."""
    import torch

    model = getattr(target, "model", target)
    if isinstance(model, torch.nn.Module):
        parameter = next(model.parameters(), None)
        return parameter.device if parameter is not None else None
    return None


def evaluation_device(target: Any, device: "str | torch.device") -> "torch.device":
    """``device``, where ``"auto"`` keeps a model object on its own device (names go to the accelerator)."""
    from ganzoo.devices import select_device

    found = model_device(target) if str(device) == "auto" else None
    return found or select_device(str(device))
