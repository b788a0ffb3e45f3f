"""Where and how fast: device choice, numeric precision, memory format, seeds and RNG state.

The defaults aim at speed without surprises: bf16 autocast only where the hardware has native
bf16 (CUDA GPUs that support it; CPUs with AMX or AVX512-BF16), channels_last only for models
with convolutions, and fp16 only when asked for (with a GradScaler on CUDA).
"""

from __future__ import annotations

import contextlib
import os
import random
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ganzoo.errors import UsageError

#: What ``--device`` accepts, for error messages.
DEVICE_CHOICES = "auto, cpu, cuda, cuda:N or mps"


def select_device(name: str = "auto", *, local_rank: int = 0) -> torch.device:
    """``auto`` picks CUDA (the local rank's GPU), then Apple's MPS, then the CPU.

    >>> select_device("cpu")
    device(type='cpu')
    """
    name = (name or "auto").lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank % torch.cuda.device_count())
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError, TypeError):
        raise UsageError(f"unknown device {name!r}; use {DEVICE_CHOICES}") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError(f"--device {name} was asked for but CUDA is not available here (no CUDA GPU is "
                             f"visible, or this torch was built without CUDA); use --device cpu")
        count = torch.cuda.device_count()
        if device.index is None:
            device = torch.device("cuda", local_rank % count)
        elif device.index >= count:
            raise UsageError(f"--device {name}: this machine has {count} CUDA GPU(s), numbered 0 to {count - 1}; "
                             f"use one of those, or --device cuda")
    elif device.type == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise UsageError(f"--device {name} was asked for but MPS is not available here; use --device cpu")
    elif device.type != "cpu":
        backend = getattr(torch, device.type, None)  # torch.xpu and the like
        available = getattr(backend, "is_available", None)
        if not callable(available) or not available():
            raise UsageError(f"device {name!r} is not available here; use {DEVICE_CHOICES}")
    return device


def cpu_has_fast_bf16() -> bool:
    """Whether this CPU computes bf16 matrix products natively (AMX or AVX512-BF16)."""
    caps: dict[str, Any] = {}
    with contextlib.suppress(Exception):
        caps = dict(torch.cpu.get_capabilities())
    if caps:
        return bool(caps.get("amx_bf16") or caps.get("avx512_bf16"))
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as handle:
            flags = handle.read()
        return " amx_bf16" in flags or " avx512_bf16" in flags
    return False


@dataclass(frozen=True)
class Precision:
    """The resolved numeric mode: ``dtype`` is the autocast dtype (``None`` = plain fp32)."""

    name: str
    dtype: torch.dtype | None
    device_type: str
    grad_scaling: bool = False

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        """The context every forward pass runs in."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)


def resolve_precision(precision: str, device: torch.device) -> Precision:
    """Turn ``auto|fp32|bf16|fp16`` into what runs on ``device``.

    >>> resolve_precision("fp32", torch.device("cpu")).dtype is None
    True
    """
    kind = device.type
    if precision == "auto":
        if kind == "cuda":
            precision = "bf16" if torch.cuda.is_bf16_supported() else "fp32"
        elif kind == "cpu":
            precision = "bf16" if cpu_has_fast_bf16() else "fp32"
        else:
            precision = "fp32"
    if precision == "fp32":
        return Precision("fp32", None, kind)
    if precision == "bf16":
        if kind == "cuda" and not torch.cuda.is_bf16_supported():
            raise UsageError("this GPU has no bf16 support; use --precision fp16 or fp32")
        if kind == "mps":
            raise UsageError("bf16 autocast is not supported on MPS here; use --precision fp32")
        return Precision("bf16", torch.bfloat16, kind)
    if precision == "fp16":
        if kind == "mps":
            raise UsageError("fp16 autocast is not supported on MPS here; use --precision fp32")
        return Precision("fp16", torch.float16, kind, grad_scaling=kind == "cuda")
    raise UsageError(f"unknown precision {precision!r}; use auto, fp32, bf16 or fp16")


def use_channels_last(setting: bool | None, model: nn.Module, device: torch.device) -> bool:
    """``None`` (auto): on for models with 2-d convolutions, on CPU and CUDA."""
    if setting is not None:
        return setting
    if device.type not in ("cpu", "cuda"):
        return False
    return any(isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) for m in model.modules())


def configure_backends(device: torch.device, precision: str) -> None:
    """Global switches that make training faster; exact fp32 stays exact when asked for."""
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        allow_tf32 = precision != "fp32"
        torch.backends.cuda.matmul.allow_tf32 = allow_tf32
        torch.backends.cudnn.allow_tf32 = allow_tf32


# -- randomness ----------------------------------------------------------------------------------
def seed_everything(seed: int) -> None:
    """Seed Python, NumPy (when installed) and torch on every device."""
    random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    with contextlib.suppress(ImportError):
        import numpy as np

        np.random.seed(seed % 2**32)


def rng_state() -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Every RNG's state: tensors (for safetensors) and JSON-able parts."""
    tensors = {"torch_cpu": torch.get_rng_state()}
    # torch.cuda.is_initialized has no annotations in torch.
    if torch.cuda.is_available() and torch.cuda.is_initialized():  # type: ignore[no-untyped-call]
        for index, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"torch_cuda_{index}"] = state
    version, internal, gauss = random.getstate()
    extra: dict[str, Any] = {"python": [version, list(internal), gauss]}
    with contextlib.suppress(ImportError):
        import numpy as np

        name, keys, pos, has_gauss, cached = np.random.get_state()
        extra["numpy"] = [name, [int(k) for k in keys], int(pos), int(has_gauss), float(cached)]
    return tensors, extra


def set_rng_state(tensors: dict[str, torch.Tensor], extra: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` returned (CUDA states only for devices that exist)."""
    if "torch_cpu" in tensors:
        torch.set_rng_state(tensors["torch_cpu"].to(torch.uint8))
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            state = tensors.get(f"torch_cuda_{index}")
            if state is not None:
                torch.cuda.set_rng_state(state.to(torch.uint8), index)
    if "python" in extra:
        version, internal, gauss = extra["python"]
        random.setstate((version, tuple(internal), gauss))
    if "numpy" in extra:
        with contextlib.suppress(ImportError):
            import numpy as np

            name, keys, pos, has_gauss, cached = extra["numpy"]
            np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))


def set_cpu_threads(local_world_size: int) -> None:
    """Share the CPU cores between the processes of one machine (unless OMP_NUM_THREADS says)."""
    if local_world_size > 1 and "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_world_size))


def cpu_name() -> str | None:
    """The processor's model name (Linux's /proc/cpuinfo), which a CPU timing means nothing without."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None
