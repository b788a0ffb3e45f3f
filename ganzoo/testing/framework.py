"""The check framework: :func:`conformance_check`, what a check receives and how it fails.

Every module of :mod:`ganzoo.testing` that holds checks registers them here with
:func:`conformance_check`; :data:`CHECK_MODULES` lists those modules (and is the extension point:
another module listed there is imported before any check is listed).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.registry import KINDS, Spec

if TYPE_CHECKING:
    from torch import Tensor

    from ganzoo.losses import Objective
    from ganzoo.plugins import PluginInfo

#: Tasks whose models have a generator, a discriminator and adversarial losses.
GAN_TASKS: tuple[str, ...] = ("unconditional", "class-conditional", "image-to-image")
#: Modules a hook module must not import (top-level package names).
HEAVY_MODULES: tuple[str, ...] = ("torch", "torchvision")
#: Modules that add checks with :func:`conformance_check`; imported when listing checks, skipped
#: when not installed. Each holds one group of checks; the training engine's "trains two steps"
#: is in :mod:`ganzoo.testing.training`.
CHECK_MODULES: tuple[str, ...] = (
    "ganzoo.testing.plugin_checks",
    "ganzoo.testing.architectures",
    "ganzoo.testing.losses",
    "ganzoo.testing.datasets",
    "ganzoo.testing.scoring",
    "ganzoo.testing.commands",
    "ganzoo.testing.training",
)
#: What a check can run on besides the registry kinds: whole plugins, and their CLI commands.
EXTRA_KINDS: tuple[str, ...] = ("plugins", "commands")


class ConformanceError(AssertionError):
    """A plugin or entry breaks the plugin contract; the message says which rule and how."""


# -- the check registry (the extension point) ---------------------------------------------------

CheckFunction = Callable[["CheckContext"], None]


@dataclass(frozen=True)
class _Check:
    kind: str  # "plugins", "commands" or a registry kind
    name: str
    function: CheckFunction
    tasks: tuple[str, ...] | None  # architectures only: which tasks it applies to (None = all)

    def applies_to(self, spec: Spec | None) -> bool:
        if self.tasks is None or spec is None:
            return True
        return task_of(spec) in self.tasks


_CHECKS: dict[tuple[str, str], _Check] = {}
_extensions_loaded = False


def conformance_check(
    kind: str, name: str, *, tasks: Iterable[str] | None = None
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check run on every entry of ``kind`` (or every plugin, for ``"plugins"``).

    The function receives a :class:`CheckContext` and raises :class:`ConformanceError` (or any
    exception) when the entry breaks the contract. ``tasks`` limits an architecture check to
    those tasks. Registering an existing ``(kind, name)`` replaces it.

    >>> @conformance_check("architectures", "trains-two-steps", tasks=GAN_TASKS)  # doctest: +SKIP
    ... def trains_two_steps(ctx): ...
    """
    if kind not in EXTRA_KINDS and kind not in KINDS:
        raise ValueError(f"unknown check kind {kind!r}; expected 'plugins', 'commands' or one of {', '.join(KINDS)}")

    def decorate(function: CheckFunction) -> CheckFunction:
        _CHECKS[(kind, name)] = _Check(kind, name, function, tuple(tasks) if tasks is not None else None)
        return function

    return decorate


def load_extensions() -> None:
    """Import every module of :data:`CHECK_MODULES` once (a missing one adds no checks)."""
    global _extensions_loaded
    if _extensions_loaded:
        return
    for module_name in CHECK_MODULES:
        try:
            importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # that part of ganzoo is not there (yet): no checks
            if exc.name is None or not module_name.startswith(exc.name):
                raise
    _extensions_loaded = True


def checks(kind: str) -> list[_Check]:
    """The checks registered for ``kind``, in registration order."""
    load_extensions()
    return [check for (k, _), check in _CHECKS.items() if k == kind]


def get_check(kind: str, name: str) -> _Check | None:
    load_extensions()
    return _CHECKS.get((kind, name))


def expect(condition: bool, message: str) -> None:
    """Raise :class:`ConformanceError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise ConformanceError(message)


# -- what a check receives ---------------------------------------------------------------------


@dataclass
class CheckContext:
    """What a check works with: the entry (or plugin) and helpers for tiny models and data."""

    kind: str
    name: str
    tmp_path: Path
    spec: Spec | None = None
    plugin: "PluginInfo | None" = None
    #: For ``"commands"`` checks: the click command under test.
    command: Any = None

    @property
    def test_kwargs(self) -> dict[str, Any]:
        """Tiny constructor arguments the architecture declares (``metadata["test_kwargs"]``)."""
        return dict(self.spec.metadata.get("test_kwargs", {})) if self.spec else {}

    @property
    def task(self) -> str:
        return task_of(self.spec) if self.spec else ""

    def factory(self) -> Callable[..., Any]:
        """The registered target, imported."""
        assert self.spec is not None, "plugin checks have no single target"
        target: Callable[..., Any] = self.spec.load()
        return target

    def build(self, **overrides: Any) -> Any:
        """A model built from ``test_kwargs`` updated with ``overrides``, seeded for repeatability."""
        import torch

        kwargs = {**self.test_kwargs, **overrides}
        torch.manual_seed(0)
        try:
            return self.factory()(**kwargs)
        except TypeError as exc:
            raise ConformanceError(f"cannot build {self.name} with {kwargs}: {exc}") from exc

    def batch(self, model: Any, n: int = 2) -> dict[str, "Tensor"]:
        """A random batch shaped like the data ``model`` trains on: image, label, source."""
        import torch

        generator = torch.Generator().manual_seed(1)
        batch = {"image": torch.rand(n, *model.image_shape, generator=generator) * 2 - 1}
        if getattr(model, "num_classes", 0):
            batch["label"] = torch.randint(0, model.num_classes, (n,), generator=generator)
        if self.task == "image-to-image":
            shape = tuple(getattr(model, "input_shape", model.image_shape))
            batch["source"] = torch.rand(n, *shape, generator=generator) * 2 - 1
        return batch

    def objective(self, loss: str = "non-saturating", regularisers: dict[str, float] | None = None) -> "Objective":
        """An objective from the losses registry, as the training engine would build it."""
        from ganzoo.losses import build_objective

        return build_objective(loss, regularisers)


def task_of(spec: Spec) -> str:
    """An architecture's task (``metadata["task"]``, unconditional when not said)."""
    return str(spec.metadata.get("task", "unconditional"))
