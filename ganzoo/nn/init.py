"""Weight initialisations of the reference implementations, for ``model.apply(...)``.

Each is a function of one module that leaves modules of other types alone, so a family applies
it to the whole model once, after building every network (the order of the random draws, and so
the weights a seed gives, then follow the order of construction).

    >>> model.apply(init_like_dcgan_paper)   # doctest: +SKIP
"""

from __future__ import annotations

from torch import Tensor, nn

_WEIGHTED = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d, nn.Embedding)


def init_like_tensorflow(module: nn.Module) -> None:
    """Keras defaults, as in the TensorFlow DCGAN tutorial: Glorot-uniform weights, zero biases.

    Applies to linear, convolution, transposed-convolution and embedding layers; batch norm
    keeps PyTorch's scale 1 and shift 0, which are Keras's too.
    """
    if isinstance(module, _WEIGHTED):
        nn.init.xavier_uniform_(module.weight)
        bias = getattr(module, "bias", None)  # embeddings have none
        if isinstance(bias, Tensor):
            nn.init.zeros_(bias)


def init_like_dcgan_paper(module: nn.Module) -> None:
    """The DCGAN paper's init: weights N(0, 0.02), zero biases; batch-norm scales N(1, 0.02), shifts 0.

    pix2pix and CycleGAN's reference code use the same ("normal", gain 0.02). Linear,
    convolution, transposed-convolution and embedding weights are drawn; layer, group and
    instance norm keep scale 1 and shift 0.
    """
    if isinstance(module, _WEIGHTED):
        nn.init.normal_(module.weight, 0.0, 0.02)
        bias = getattr(module, "bias", None)  # embeddings have none
        if isinstance(bias, Tensor):
            nn.init.zeros_(bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
