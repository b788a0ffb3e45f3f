"""torch.hub entry points for every zoo model: ``torch.hub.load(repo, "dcgan_fashion")`` returns it loaded.

One entry per name in ganzoo's pretrained registry, third-party plugins' included, made by the
loop below (a zoo name's ``-`` becomes ``_``). Each returns a :class:`ganzoo.PretrainedGAN`
(``.sample(n, seed=...)``, ``.translate(...)``, ``.model`` the ``nn.Module``) loaded offline from
the plugin's bundled files. ganzoo itself must be installed (``pip install ganzoo``, or
``pip install -e .`` in this checkout): its families are plugins found through entry points,
which only an installed package has.

    >>> torch.hub.list(".", source="local")                                # doctest: +SKIP
    ['cgan_fashion', 'cyclegan_sneaker2boot', 'dcgan_fashion', ...]
    >>> model = torch.hub.load(".", "dcgan_fashion", source="local")      # doctest: +SKIP
    >>> model.sample(16, seed=0).shape
    torch.Size([16, 1, 28, 28])
"""

from collections.abc import Callable as _Callable
from typing import Any as _Any

dependencies = ["torch", "ganzoo"]


def _entry(name: str, summary: str) -> _Callable[..., _Any]:
    def load(device: str | None = None) -> _Any:
        import ganzoo

        return ganzoo.load_pretrained(name, device=device, offline=True)

    load.__name__ = load.__qualname__ = name.replace("-", "_").replace(".", "_")
    load.__doc__ = f"{summary}\n\nThe zoo model '{name}' (``ganzoo pretrained {name} info``); ``device`` as in " \
                   f"``ganzoo.load_pretrained``."
    return load


def _entries() -> dict[str, _Callable[..., _Any]]:
    from ganzoo.plugins import get_registry

    return {entry.__name__: entry for entry in (_entry(spec.name, spec.summary) for spec in get_registry("pretrained"))}


globals().update(_entries())
