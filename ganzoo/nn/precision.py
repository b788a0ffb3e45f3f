"""Layers that choose their own precision under autocast, where autocast's choice is slower.

Autocast decides an op's dtype by its name alone. Two of its choices cost time on CPUs and
are fixed here, with the maths unchanged:

* :class:`FullPrecisionLinear` -- a dense layer so small that bf16 does not pay: the casts
  and the bf16 kernel's set-up take longer than the fp32 product. Measured on a 2-core AMD
  EPYC with AVX512-BF16 (forward and backward, batch 64): a 256 -> 1 score head takes 128 us
  in bf16 against 42 us in fp32, a 100 -> 256 layer 172 against 152 us, while 256 -> 512 is
  already 1.4x faster in bf16 and 512 -> 1024 2.4x. :data:`SMALL_LINEAR` is the line between.
* :class:`ReflectionPad2d` -- autocast lists reflection padding among the ops it runs in fp32,
  so on a bf16 network every padded layer paid a bf16 -> fp32 copy before the pad and an
  fp32 -> bf16 copy after it, for an op that only moves values. This one pads in the
  input's dtype. Without autocast both are ``nn.ReflectionPad2d``.

Both keep ``nn.Linear``'s and ``nn.ReflectionPad2d``'s state-dict keys, so checkpoints do not
notice the swap.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

#: Weights (in x out) below which a dense layer is faster in fp32 than in bf16 on the CPUs measured.
SMALL_LINEAR = 1 << 16


class FullPrecisionLinear(nn.Linear):
    """``nn.Linear`` that autocast leaves in fp32 (its output is fp32 too)."""

    def forward(self, x: Tensor) -> Tensor:
        with torch.autocast(x.device.type, enabled=False):
            return F.linear(x.float(), self.weight, self.bias)


def dense_layer(in_features: int, out_features: int, *, bias: bool = True) -> nn.Linear:
    """A dense layer in the precision that is faster for its size (see :data:`SMALL_LINEAR`)."""
    kind = FullPrecisionLinear if in_features * out_features < SMALL_LINEAR else nn.Linear
    return kind(in_features, out_features, bias=bias)


class ReflectionPad2d(nn.ReflectionPad2d):
    """``nn.ReflectionPad2d`` that pads in the input's dtype under autocast (no round trip through fp32)."""

    def forward(self, x: Tensor) -> Tensor:
        with torch.autocast(x.device.type, enabled=False):
            return F.pad(x, self.padding, mode="reflect")
