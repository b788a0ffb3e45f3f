"""The hooks a ganzoo plugin can implement.

Each ``register_*`` hook receives a ``register`` callback instead of returning values, so a
plugin says exactly what it adds and ganzoo knows which plugin added it. Hook modules must not
import torch: ganzoo calls them to build its registries, including for ``ganzoo list``.

A plugin module marks its implementations with :data:`ganzoo.hookimpl`::

    from ganzoo import hookimpl

    @hookimpl
    def register_architectures(register):
        register("tinygan", "my_pkg.models:build", summary="A tiny GAN", tags=["unconditional"])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:
    import click

hookspec = pluggy.HookspecMarker("ganzoo")
#: Marks a plugin's hook implementations; plugins import it as ``ganzoo.plugin.hookimpl``.
hookimpl = pluggy.HookimplMarker("ganzoo")


class Register(Protocol):
    """The callback passed to every ``register_*`` hook."""

    def __call__(
        self,
        name: str,
        target: str,
        *,
        summary: str,
        tags: Iterable[str] = (),
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Register ``name`` whose code lives at ``target`` (``"package.module:attr"``).

        :param name: lower-case registry name, unique within its kind (``"dcgan"``).
        :param target: the object to import on use; never imported at registration.
        :param summary: one line shown by ``ganzoo list``.
        :param tags: words that ``ganzoo list --tag`` filters on.
        :param metadata: JSON-able facts shown by ``ganzoo info`` (sizes, task, license ...).
        """


@hookspec
def register_architectures(register: Register) -> None:
    """Register GAN families and other image models.

    Called once per process, with the other ``register_*`` hooks, the first time any registry
    is used. The target is a
    factory ``build(**kwargs) -> torch.nn.Module`` following the family contract in
    ``docs/plugins.md``. Useful metadata: ``task`` (``unconditional``, ``class-conditional``,
    ``image-to-image``, ``style-transfer``), ``image_sizes``, and ``test_kwargs`` -- tiny
    constructor arguments with which :mod:`ganzoo.testing` checks the family in seconds.

    :param register: the :class:`Register` callback.
    """


@hookspec
def register_losses(register: Register) -> None:
    """Register adversarial losses (what ``--loss`` names).

    Called once per process, with the other ``register_*`` hooks, the first time any registry
    is used. The target is a subclass of :class:`ganzoo.plugin.AdversarialLoss`, checked when
    it is first loaded. A loss whose generator step also needs the real images' logits
    (relativistic losses) sets the class attribute ``uses_real_in_g = True``; a loss whose
    ``E[D(x)] - E[D(G(z))]`` estimates a distance names it in ``estimates`` (``"wasserstein"``).
    Regularisers go to :func:`register_regularisers`.

    :param register: the :class:`Register` callback.
    """


@hookspec
def register_regularisers(register: Register) -> None:
    """Register discriminator regularisers (what ``--reg`` names: gradient penalty, R1 ...).

    Called once per process, with the other ``register_*`` hooks, the first time any registry
    is used. The target is a subclass of :class:`ganzoo.plugin.Regulariser` taking a ``weight``
    keyword. Useful metadata: ``default_weight`` (used by ``--reg NAME`` without ``=W``) and
    ``aliases`` (``["gp"]``).

    :param register: the :class:`Register` callback.
    """


@hookspec
def register_datasets(register: Register) -> None:
    """Register datasets.

    Called once per process, with the other ``register_*`` hooks, the first time any registry
    is used. The target is a
    factory ``build(split="train", **options) -> torch.utils.data.Dataset`` whose items are dicts
    (``{"image": FloatTensor[C, H, W] in [-1, 1], "label": int}``). Useful metadata:
    ``channels``, ``size``, ``classes``, ``license``, ``splits``.

    :param register: the :class:`Register` callback.
    """


@hookspec
def register_metrics(register: Register) -> None:
    """Register evaluation metrics (FID, KID ...).

    Called once per process, with the other ``register_*`` hooks, the first time any registry
    is used. The target is a metric class; see :mod:`ganzoo.eval` for the base class. Feature
    extractors the metrics use go to :func:`register_features`.

    :param register: the :class:`Register` callback.
    """


@hookspec
def register_features(register: Register) -> None:
    """Register feature extractors (Inception, a dataset's own classifier ...) for the metrics.

    Called once per process, with the other ``register_*`` hooks, the first time any registry
    is used. The target is a feature-extractor class or factory; see :mod:`ganzoo.eval`.

    :param register: the :class:`Register` callback.
    """


@hookspec
def register_pretrained(register: Register) -> None:
    """Register pretrained models of the zoo.

    Called once per process, with the other ``register_*`` hooks, the first time any registry
    is used. Register a bundled checkpoint folder with ``ganzoo.plugin.register_bundled(register,
    __file__, NAME, summary=...)``: the entry says where the folder is (``pretrained/NAME`` beside
    the hook module, and optionally a Hub ``repo_id`` and ``revision``) and pins its record (the
    folder's config.json, by the sha256 ``ganzoo export`` writes to ``pretrained/pins.json``); the
    record says everything else. Older entries whose target loads to the folder, with ``files``
    (``{file name: sha256}``) in their metadata, still work.

    :param register: the :class:`Register` callback.
    """


@hookspec
def register_commands(cli: "click.Group") -> None:
    """Add commands to the ``ganzoo`` command line.

    Called while the CLI is being built, before arguments are parsed. Add commands with
    ``cli.add_command(...)``; keep heavy imports inside the command's function.

    :param cli: the top-level ``ganzoo`` click group.
    """


#: Hooks whose ``register`` callback feeds a registry, and which registry.
REGISTER_HOOKS: dict[str, str] = {
    "register_architectures": "architectures",
    "register_losses": "losses",
    "register_regularisers": "regularisers",
    "register_datasets": "datasets",
    "register_metrics": "metrics",
    "register_features": "features",
    "register_pretrained": "pretrained",
}
