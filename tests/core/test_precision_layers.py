"""Layers that pick their own precision under autocast compute what the plain layers compute."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganzoo.nn.precision import SMALL_LINEAR, FullPrecisionLinear, ReflectionPad2d, dense_layer

pytestmark = pytest.mark.usefixtures("one_thread")


def test_full_precision_linear_is_fp32_under_autocast_and_equals_nn_linear():
    torch.manual_seed(0)
    plain = nn.Linear(256, 1)
    fp32 = FullPrecisionLinear(256, 1)
    fp32.load_state_dict(plain.state_dict())  # same keys: checkpoints do not notice the swap
    x = torch.randn(8, 256).to(torch.bfloat16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out, autocast_out = fp32(x), plain(x)
    assert out.dtype == torch.float32 and autocast_out.dtype == torch.bfloat16
    torch.testing.assert_close(out, plain(x.float()))
    out.sum().backward()
    assert fp32.weight.grad is not None and fp32.weight.grad.dtype == torch.float32


def test_dense_layer_keeps_only_small_layers_in_fp32():
    assert type(dense_layer(256, 1)) is FullPrecisionLinear
    assert type(dense_layer(100, 256)) is FullPrecisionLinear
    assert type(dense_layer(256, 512)) is nn.Linear  # 131,072 weights: bf16 is faster
    assert 100 * 256 < SMALL_LINEAR <= 256 * 512


def test_reflection_pad_keeps_the_input_dtype_under_autocast():
    x = torch.randn(2, 3, 5, 5).to(torch.bfloat16).requires_grad_()
    pad = ReflectionPad2d(2)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out, autocast_out = pad(x), nn.ReflectionPad2d(2)(x)
    assert out.dtype == torch.bfloat16 and autocast_out.dtype == torch.float32  # autocast's round trip
    assert torch.equal(out.float(), autocast_out)
    out.float().sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape
