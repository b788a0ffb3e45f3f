"""torch.hub entry points for ganzoo's zoo: ``torch.hub.load(repo, "dcgan_fashion")`` returns the loaded model.

Each entry returns a :class:`ganzoo.PretrainedGAN` (``.sample(n, seed=...)``, ``.translate(...)``,
``.model`` the ``nn.Module``), loaded from the bundled files, offline. ganzoo itself must be
installed (``pip install ganzoo``, or ``pip install -e .`` in this checkout): its families are
plugins found through entry points, which only an installed package has.

    >>> model = torch.hub.load(".", "dcgan_fashion", source="local")   # doctest: +SKIP
    >>> model.sample(16, seed=0).shape
    torch.Size([16, 1, 28, 28])
"""

dependencies = ["torch", "ganzoo"]


def _load(name: str, device: str | None = None):  # type: ignore[no-untyped-def]
    import ganzoo

    return ganzoo.load_pretrained(name, device=device, offline=True)


def dcgan_fashion(device: str | None = None):  # type: ignore[no-untyped-def]
    """DCGAN on Fashion-MNIST (28x28 grey): unconditional garments."""
    return _load("dcgan-fashion", device)


def cgan_fashion(device: str | None = None):  # type: ignore[no-untyped-def]
    """Class-conditional DCGAN on Fashion-MNIST: ``model.sample(10, labels=["Sneaker"])``."""
    return _load("cgan-fashion", device)


def wgan_gp_fashion(device: str | None = None):  # type: ignore[no-untyped-def]
    """WGAN-GP on Fashion-MNIST."""
    return _load("wgan-gp-fashion", device)


def sngan_fashion(device: str | None = None):  # type: ignore[no-untyped-def]
    """SNGAN (ResNet, spectral norm) on Fashion-MNIST."""
    return _load("sngan-fashion", device)


def sngan_projection_fashion(device: str | None = None):  # type: ignore[no-untyped-def]
    """Class-conditional SNGAN with a projection discriminator on Fashion-MNIST."""
    return _load("sngan-projection-fashion", device)


def pix2pix_edges2fashion(device: str | None = None):  # type: ignore[no-untyped-def]
    """pix2pix: edge map -> garment, ``model.translate(edges)``."""
    return _load("pix2pix-edges2fashion", device)


def cyclegan_sneaker2boot(device: str | None = None):  # type: ignore[no-untyped-def]
    """CycleGAN between sneakers and ankle boots: ``model.translate(images, direction="a2b")``."""
    return _load("cyclegan-sneaker2boot", device)
