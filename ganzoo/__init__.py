"""ganzoo: a plugin-based GAN model zoo.

``import ganzoo`` is cheap: nothing here imports torch until a function that needs it runs.

    >>> import ganzoo
    >>> ganzoo.list_models("dc*")          # doctest: +SKIP
    ['dcgan']
    >>> model = ganzoo.create_model("dcgan", latent_dim=64)   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ganzoo.errors import GanzooError
from ganzoo.hookspecs import hookimpl
from ganzoo.version import __version__

if TYPE_CHECKING:
    import torch

    from ganzoo.hub.pretrained import PretrainedGAN as PretrainedGAN

__all__ = ["GanzooError", "PretrainedGAN", "__version__", "create_model", "hookimpl", "list_models",
           "load_pretrained"]


def list_models(pattern: str | None = None, *, tags: tuple[str, ...] = ()) -> list[str]:
    """Names of registered architectures matching a glob ``pattern`` and ``tags``.

    >>> ganzoo.list_models(tags=("unconditional",))   # doctest: +SKIP
    """
    from ganzoo.plugins import get_registry

    return get_registry("architectures").names(pattern, tags)


def create_model(name: str, **kwargs: Any) -> "torch.nn.Module":
    """Build the architecture ``name`` with constructor ``kwargs`` (random weights).

    >>> gan = ganzoo.create_model("vanilla", latent_dim=32)   # doctest: +SKIP
    """
    from ganzoo.models import build_model

    return build_model(name, **kwargs)


def load_pretrained(name: str, **kwargs: Any) -> Any:
    """Load a pretrained model: a zoo name, ``hf:owner/repo[@revision]`` or a local folder.

    Returns a :class:`ganzoo.hub.pretrained.PretrainedGAN` with ``.sample(n, seed=...)``,
    ``.generator``, ``.config``, ``.save_pretrained(dir)`` and ``.push_to_hub(repo_id)``.

    >>> images = ganzoo.load_pretrained("dcgan-fashion").sample(16, seed=0)   # doctest: +SKIP
    """
    from ganzoo.hub.pretrained import load_pretrained as _load

    return _load(name, **kwargs)


def __getattr__(name: str) -> Any:
    """``ganzoo.PretrainedGAN``, imported (with torch) only when it is asked for."""
    if name == "PretrainedGAN":
        from ganzoo.hub.pretrained import PretrainedGAN

        return PretrainedGAN
    raise AttributeError(f"module 'ganzoo' has no attribute {name!r}")
