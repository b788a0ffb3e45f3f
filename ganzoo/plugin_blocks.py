"""Provisional building blocks that the built-in plugins share: they may change in any minor release.

The DCGAN layouts and initialisers that dcgan, cgan and wgan-gp share, fast dropout, spectral
norm, the image readers and writers, and the output-file helpers of the style-transfer
command. They serve ganzoo's own plugins (``plugins/ganzoo_*``), which import ganzoo only from
:mod:`ganzoo.plugin` and from here. A third-party plugin may import them too, but they carry no
promise: a name here can change or go in any minor release, with a line in the changelog. The
stable API is :mod:`ganzoo.plugin`; a block that third parties come to rely on moves there.

    >>> from ganzoo.plugin_blocks import init_like_dcgan_paper, tutorial_generator   # doctest: +SKIP

As in :mod:`ganzoo.plugin`, the names are written once, in the stub ``plugin_blocks.pyi``
beside this file, and each is imported from where it lives on first use: importing this module
never imports torch.
"""

from __future__ import annotations

from typing import Any

from ganzoo.plugin import _load, _read_stub

_EXPORTS, _ = _read_stub(__file__)

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return _load(globals(), _EXPORTS, name)
    raise AttributeError(f"module 'ganzoo.plugin_blocks' has no attribute {name!r}; its names are: "
                         f"{', '.join(__all__)} (the stable plugin API is ganzoo.plugin)")


def __dir__() -> list[str]:
    return sorted({n for n in globals() if n.startswith("__")} | set(__all__))
