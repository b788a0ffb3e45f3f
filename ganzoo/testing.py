"""Conformance checks that a plugin package runs from its own tests.

The registry writes the tests: every check runs against every entry a plugin registered, so a
plugin author adds one line and inherits every rule the family contract states. One call runs
everything and reports every failure at once::

    # tests/test_conformance.py of a plugin package
    from ganzoo.testing import check_plugin

    def test_plugin_conforms():
        check_plugin("ganzoo-plugin-example")     # distribution or entry-point name

or one pytest case per (entry, check), so a failure names exactly what broke::

    import pytest
    from ganzoo import testing

    @pytest.mark.parametrize("case", testing.cases(plugin="example"), ids=str)
    def test_conformance(case):
        case.run()

Architectures are checked with the tiny constructor arguments they declare in
``metadata["test_kwargs"]`` (defaults otherwise), on random data, on the CPU. ``import
ganzoo.testing`` stays cheap: torch is imported only when a check runs.

**Extension point.** Other parts of ganzoo add checks with :func:`conformance_check`, in a
module listed in :data:`CHECK_MODULES`; such modules are imported (when they exist) before any
check is listed. The training engine is expected to provide ``ganzoo/train/conformance.py`` with,
for instance, ``@conformance_check("architectures", "trains-two-steps", tasks=GAN_TASKS)``, which
gets a :class:`CheckContext` (``build()``, ``batch()``, ``objective()``, ``tmp_path``).
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ganzoo.errors import UnknownNameError
from ganzoo.registry import KINDS, Spec, get_registry

if TYPE_CHECKING:
    from torch import Tensor, nn

    from ganzoo.losses import Objective
    from ganzoo.plugins import PluginInfo

__all__ = [
    "CHECK_MODULES",
    "GAN_TASKS",
    "HEAVY_MODULES",
    "Case",
    "CheckContext",
    "ConformanceError",
    "cases",
    "check_architecture",
    "check_loss",
    "check_plugin",
    "conformance_check",
    "plugin_cases",
]

#: Tasks whose models have a generator, a discriminator and adversarial losses.
GAN_TASKS: tuple[str, ...] = ("unconditional", "class-conditional", "image-to-image")
#: Modules a hook module must not import (top-level package names).
HEAVY_MODULES: tuple[str, ...] = ("torch", "torchvision")
#: Modules that add checks with :func:`conformance_check`; imported when listing checks, skipped
#: when not installed. This is where the training engine plugs in its "trains two steps" check.
CHECK_MODULES: tuple[str, ...] = ("ganzoo.train.conformance",)


class ConformanceError(AssertionError):
    """A plugin or entry breaks the plugin contract; the message says which rule and how."""


# -- the check registry (the extension point) ---------------------------------------------------

CheckFunction = Callable[["CheckContext"], None]


@dataclass(frozen=True)
class _Check:
    kind: str  # "plugins" or a registry kind
    name: str
    function: CheckFunction
    tasks: tuple[str, ...] | None  # architectures only: which tasks it applies to (None = all)

    def applies_to(self, spec: Spec | None) -> bool:
        if self.tasks is None or spec is None:
            return True
        return _task_of(spec) in self.tasks


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
    if kind != "plugins" and kind not in KINDS:
        raise ValueError(f"unknown check kind {kind!r}; expected 'plugins' or one of {', '.join(KINDS)}")

    def decorate(function: CheckFunction) -> CheckFunction:
        _CHECKS[(kind, name)] = _Check(kind, name, function, tuple(tasks) if tasks is not None else None)
        return function

    return decorate


def _load_extensions() -> None:
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


def _checks(kind: str) -> list[_Check]:
    _load_extensions()
    return [check for (k, _), check in _CHECKS.items() if k == kind]


# -- what a check receives ---------------------------------------------------------------------


@dataclass
class CheckContext:
    """What a check works with: the entry (or plugin) and helpers for tiny models and data."""

    kind: str
    name: str
    tmp_path: Path
    spec: Spec | None = None
    plugin: "PluginInfo | None" = None

    @property
    def test_kwargs(self) -> dict[str, Any]:
        """Tiny constructor arguments the architecture declares (``metadata["test_kwargs"]``)."""
        return dict(self.spec.metadata.get("test_kwargs", {})) if self.spec else {}

    @property
    def task(self) -> str:
        return _task_of(self.spec) if self.spec else ""

    def factory(self) -> Callable[..., Any]:
        """The registered target, imported."""
        assert self.spec is not None, "plugin checks have no single target"
        return self.spec.load()

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


def _task_of(spec: Spec) -> str:
    return str(spec.metadata.get("task", "unconditional"))


# -- cases: one (entry, check) pair, for pytest parametrisation ---------------------------------


@dataclass(frozen=True)
class Case:
    """One check on one entry or plugin; ``str(case)`` is a readable pytest id."""

    kind: str
    name: str
    check: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}:{self.check}"

    def run(self) -> None:
        """Run the check; raise :class:`ConformanceError` naming the case when it fails."""
        import torch

        _load_extensions()
        check = _CHECKS.get((self.kind, self.check))
        if check is None:
            known = ", ".join(name for kind, name in _CHECKS if kind == self.kind)
            raise ConformanceError(f"{self}: no such check; the {self.kind} checks are: {known}")
        spec, plugin = None, None
        if self.kind == "plugins":
            plugin = _plugin_info(self.name)
        else:
            spec = get_registry(self.kind).get(self.name)
        with tempfile.TemporaryDirectory(prefix="ganzoo-check-") as tmp, torch.random.fork_rng(devices=[]):
            context = CheckContext(self.kind, self.name, Path(tmp), spec=spec, plugin=plugin)
            try:
                check.function(context)
            except ConformanceError as exc:
                raise ConformanceError(f"{self}: {exc}") from exc
            except Exception as exc:
                raise ConformanceError(f"{self}: {type(exc).__name__}: {exc}") from exc


def cases(plugin: str | None = None, *, kinds: Iterable[str] = ("architectures", "losses")) -> list[Case]:
    """Every (entry, check) pair for the entries ``plugin`` registered (all plugins when None).

    ``plugin`` is an entry-point name or a distribution name (``ganzoo`` means the built-ins).
    """
    owners = {info.name for info in _plugin_infos(plugin)} if plugin is not None else None
    found = []
    for kind in kinds:
        checks = _checks(kind)
        for spec in get_registry(kind).specs():
            if owners is not None and spec.plugin not in owners:
                continue
            found += [Case(kind, spec.name, check.name) for check in checks if check.applies_to(spec)]
    return found


def plugin_cases(plugin: str | None = None, *, builtin_only: bool = False) -> list[Case]:
    """Every plugin-level check (loads, hook module torch-free, targets resolve) per plugin."""
    from ganzoo.plugins import get_manager

    infos = _plugin_infos(plugin) if plugin is not None else list(get_manager().plugins.values())
    if builtin_only:
        infos = [info for info in infos if info.builtin]
    return [Case("plugins", info.name, check.name) for info in infos for check in _checks("plugins")]


def _run_all(found: list[Case]) -> None:
    failures = []
    for case in found:
        try:
            case.run()
        except ConformanceError as exc:
            failures.append(str(exc))
    if failures:
        raise ConformanceError(f"{len(failures)} of {len(found)} checks failed:\n" + "\n".join(failures))


def check_plugin(plugin: str) -> None:
    """Run every check on ``plugin`` and everything it registered; report all failures at once.

    >>> check_plugin("ganzoo-plugin-example")   # doctest: +SKIP
    """
    _run_all(plugin_cases(plugin) + cases(plugin, kinds=KINDS))


def check_architecture(name: str) -> None:
    """Run every architecture check on the registered architecture ``name``."""
    spec = get_registry("architectures").get(name)
    _run_all([Case("architectures", name, c.name) for c in _checks("architectures") if c.applies_to(spec)])


def check_loss(name: str) -> None:
    """Run every loss check on the registered loss or regulariser ``name``."""
    get_registry("losses").get(name)
    _run_all([Case("losses", name, c.name) for c in _checks("losses")])


def _plugin_infos(name: str) -> list["PluginInfo"]:
    """The loaded plugins called ``name``, or shipped by the distribution ``name``."""
    from ganzoo.plugins import _normalise, get_manager

    manager = get_manager()
    if name in manager.plugins:
        return [manager.plugins[name]]
    by_dist = [i for i in manager.plugins.values() if i.distribution and _normalise(i.distribution) == _normalise(name)]
    if by_dist:
        return by_dist
    wanted = _normalise(name)
    skipped = [i.name for i in manager.skipped if _normalise(i.distribution or "") == wanted or i.name == name]
    if skipped:
        raise UnknownNameError(
            f"plugin '{name}' is installed but GANZOO_LOAD_PLUGINS leaves it out; add it to that list or unset it"
        )
    loaded = ", ".join(sorted(manager.plugins)) or "none"
    raise UnknownNameError(
        f"no plugin or distribution called '{name}' is loaded (loaded: {loaded}); "
        f"install it (pip install -e .) and check GANZOO_LOAD_PLUGINS"
    )


def _plugin_info(name: str) -> "PluginInfo":
    from ganzoo.plugins import get_manager

    info = get_manager().plugins.get(name)
    return info if info is not None else _plugin_infos(name)[0]


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise ConformanceError(message)


# -- plugin checks ------------------------------------------------------------------------------


@conformance_check("plugins", "loads")
def _plugin_loads(ctx: CheckContext) -> None:
    info = ctx.plugin
    assert info is not None
    if info.error:
        raise ConformanceError(f"plugin failed to load: {info.error}\n{info.details or ''}".rstrip())
    _expect(not info.clashes, "plugin names clash with earlier plugins: " + "; ".join(info.clashes))


_TORCH_FREE_SCRIPT = textwrap.dedent(
    """
    import importlib, inspect, json, sys
    module_name, _, attr = sys.argv[1].partition(":")
    obj = importlib.import_module(module_name)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    registered = []
    def register(name, target, **kwargs):
        registered.append(name)
    for hook in sys.argv[2].split(","):
        function = getattr(obj, hook, None)
        if function is None or not hasattr(function, "ganzoo_impl"):
            continue
        params = inspect.signature(function).parameters
        function(**({"register": register} if "register" in params else {}))
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[3].split(","))
    print(json.dumps({"heavy": heavy, "registered": registered}))
    """
)


@conformance_check("plugins", "hook-module-torch-free")
def _hook_module_torch_free(ctx: CheckContext) -> None:
    """Import the hook module and call its register hooks in a fresh interpreter: no torch."""
    from ganzoo.hookspecs import REGISTER_HOOKS

    info = ctx.plugin
    assert info is not None
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    proc = subprocess.run(
        [sys.executable, "-c", _TORCH_FREE_SCRIPT, info.module, ",".join(REGISTER_HOOKS), ",".join(HEAVY_MODULES)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    _expect(proc.returncode == 0, f"hook module {info.module} cannot be imported on its own:\n{proc.stderr.strip()}")
    heavy = json.loads(proc.stdout.strip().splitlines()[-1])["heavy"]
    _expect(
        not heavy,
        f"hook module {info.module} imports {', '.join(heavy[:3])}: hook modules must stay torch-free "
        f"so 'ganzoo list' stays fast; import heavy code only in the registered targets",
    )


@conformance_check("plugins", "targets-resolve")
def _targets_resolve(ctx: CheckContext) -> None:
    """Every target the plugin registered imports (``Spec.load()``)."""
    info = ctx.plugin
    assert info is not None
    broken = []
    for kind, names in info.registered.items():
        for name in names:
            try:
                get_registry(kind).get(name).load()
            except Exception as exc:
                broken.append(f"{KINDS[kind]} '{name}': {exc}")
    _expect(not broken, "targets that do not load: " + "; ".join(broken))


# -- architecture checks --------------------------------------------------------------------------


def _module_shapes(model: "nn.Module") -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


@conformance_check("architectures", "builds-with-defaults")
def _builds_with_defaults(ctx: CheckContext) -> None:
    """The factory builds with no arguments and says what it is (task, image_shape, config)."""
    import torch

    torch.manual_seed(0)
    if ctx.task == "style-transfer":
        model = _style_defaults(ctx)
    else:
        model = ctx.factory()()
    _expect(isinstance(model, torch.nn.Module), f"factory returned {type(model).__name__}, not an nn.Module")
    _check_declarations(ctx, model)


def _style_defaults(ctx: CheckContext) -> Any:
    """Style-transfer defaults usually mean pretrained feature weights (VGG19 on ImageNet).

    The check never downloads them (``HF_HUB_OFFLINE=1`` while building). Where they are not
    on this machine, a one-line :class:`~ganzoo.errors.GanzooError` saying where to get them is
    the contract; the tiny build (``test_kwargs``) stands in for the declarations.
    """
    from ganzoo.errors import GanzooError

    previous = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        return ctx.factory()()
    except GanzooError as exc:
        _expect(bool(str(exc)) and "\n" not in str(exc), f"the error without default weights must be one line: {exc!r}")
        return ctx.build()
    finally:
        if previous is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = previous


def _check_declarations(ctx: CheckContext, model: Any) -> None:
    declared = getattr(model, "task", None)
    _expect(declared == ctx.task, f"model.task is {declared!r} but the registry metadata says {ctx.task!r}")
    _expect(isinstance(getattr(model, "config", None), dict), "model.config must be a dict of constructor kwargs")
    if ctx.task in GAN_TASKS:
        for part in ("generator", "discriminator"):
            _expect(hasattr(model, part), f"a {ctx.task} model needs a .{part}")
        shape = tuple(getattr(model, "image_shape", ()))
        _expect(
            len(shape) == 3 and all(isinstance(s, int) and s > 0 for s in shape),
            f"image_shape must be (C, H, W) of positive ints, got {shape}",
        )
    if ctx.task == "style-transfer":
        _expect(callable(getattr(model, "transfer", None)), "a style-transfer model needs a transfer method")
    sizes = ctx.spec.metadata.get("image_sizes") if ctx.spec else None
    if sizes and ctx.task in GAN_TASKS and not ctx.test_kwargs:
        size = model.image_shape[-1]
        _expect(size in sizes, f"default image size {size} not in image_sizes {sizes}")


@conformance_check("architectures", "builds-tiny")
def _builds_tiny(ctx: CheckContext) -> None:
    """The tiny test configuration builds too (it is what the other checks use)."""
    _check_declarations(ctx, ctx.build())


@conformance_check("architectures", "samples", tasks=GAN_TASKS)
def _samples(ctx: CheckContext) -> None:
    """``sample`` gives finite images of ``image_shape`` in [-1, 1], repeatable with a seed."""
    import torch

    model = ctx.build()
    model.train()
    n = 3
    if ctx.task == "image-to-image":
        inputs = ctx.batch(model, n)["source"]
        first = model.sample(inputs=inputs, generator=torch.Generator().manual_seed(0))
        again = model.sample(inputs=inputs, generator=torch.Generator().manual_seed(0))
    else:
        first = model.sample(n, generator=torch.Generator().manual_seed(0))
        again = model.sample(n, generator=torch.Generator().manual_seed(0))
    expected = (n, *model.image_shape)
    _expect(tuple(first.shape) == expected, f"sample gave shape {tuple(first.shape)}, expected {expected}")
    _expect(bool(torch.isfinite(first).all()), "sample gave NaN or inf")
    _expect(float(first.min()) >= -1.0 and float(first.max()) <= 1.0,
            f"sample left [-1, 1]: [{float(first.min()):.3f}, {float(first.max()):.3f}]")
    _expect(torch.equal(first, again), "sample with the same seeded generator gave different images")
    _expect(model.training, "sample must restore training mode")
    _expect(not first.requires_grad, "sample must run without autograd")


@conformance_check("architectures", "transfers", tasks=("style-transfer",))
def _transfers(ctx: CheckContext) -> None:
    """``transfer(content, style, steps=, seed=)`` restyles a tiny image: its shape, in [-1, 1], per seed."""
    import torch

    model = ctx.build()
    generator = torch.Generator().manual_seed(1)
    content = torch.rand(3, 24, 32, generator=generator) * 2 - 1
    style = torch.rand(3, 20, 20, generator=generator) * 2 - 1
    first = model.transfer(content, style, steps=2, seed=0)
    again = model.transfer(content, style, steps=2, seed=0)
    _expect(tuple(first.shape) == (3, 24, 32), f"transfer gave shape {tuple(first.shape)}, expected (3, 24, 32)")
    _expect(bool(torch.isfinite(first).all()), "transfer gave NaN or inf")
    _expect(float(first.min()) >= -1.0 and float(first.max()) <= 1.0, "transfer left [-1, 1]")
    _expect(not torch.equal(first, content), "transfer returned the content unchanged")
    _expect(torch.equal(first, again), "transfer with the same seed gave different images")
    _expect(not first.requires_grad, "transfer must return an image without autograd history")


@conformance_check("architectures", "discriminates", tasks=("unconditional", "class-conditional"))
def _discriminates(ctx: CheckContext) -> None:
    """``discriminate`` gives one finite logit per image: shape ``[N]``."""
    import torch

    model = ctx.build()
    batch = ctx.batch(model, 3)
    logits = model.discriminate(batch["image"], batch.get("label"))
    _expect(tuple(logits.shape) == (3,), f"discriminate gave shape {tuple(logits.shape)}, expected (3,)")
    _expect(bool(torch.isfinite(logits).all()), "discriminate gave NaN or inf")


@conformance_check("architectures", "losses", tasks=GAN_TASKS)
def _losses(ctx: CheckContext) -> None:
    """``d_loss``/``g_loss`` give finite scalars whose gradients reach D and G respectively.

    Run with the default objective and with a Wasserstein critic plus gradient penalty, which
    needs double backward through the discriminator.
    """
    import torch

    for objective in (ctx.objective(), ctx.objective("wasserstein", {"gradient-penalty": 10.0})):
        name = type(objective.adversarial).__name__
        model = ctx.build()
        model.train()
        batch = ctx.batch(model, 2)
        for which, part in (("d_loss", "discriminator"), ("g_loss", "generator")):
            model.zero_grad(set_to_none=True)
            loss, logs = getattr(model, which)(batch, objective)
            _expect(isinstance(loss, torch.Tensor) and loss.dim() == 0, f"{which} ({name}) must return a scalar tensor")
            _expect(bool(torch.isfinite(loss.detach())), f"{which} ({name}) is not finite: {float(loss.detach())}")
            _expect(
                isinstance(logs, dict) and all(isinstance(v, float) and math.isfinite(v) for v in logs.values()),
                f"{which} ({name}) logs must map names to finite floats, got {logs!r}",
            )
            loss.backward()
            grads = [p.grad for p in getattr(model, part).parameters() if p.grad is not None]
            _expect(bool(grads) and any(bool(g.abs().sum() > 0) for g in grads),
                    f"{which} ({name}) gives no gradient to the {part}")
            _expect(all(bool(torch.isfinite(g).all()) for g in grads), f"{which} ({name}) gives non-finite gradients")


@conformance_check("architectures", "config-rebuilds")
def _config_rebuilds(ctx: CheckContext) -> None:
    """``config`` survives JSON and rebuilds a model with the same parameter names and shapes."""
    model = ctx.build()
    try:
        text = json.dumps(model.config, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ConformanceError(f"model.config is not JSON-able: {exc}") from exc
    rebuilt = ctx.factory()(**json.loads(text))
    _expect(_module_shapes(rebuilt) == _module_shapes(model), "the model rebuilt from config has other parameters")
    _expect(json.dumps(rebuilt.config, sort_keys=True) == text, "the rebuilt model reports a different config")


@conformance_check("architectures", "safetensors-round-trip")
def _safetensors_round_trip(ctx: CheckContext) -> None:
    """The state dict saves to safetensors and loads strictly into a model rebuilt from config."""
    import torch
    from safetensors.torch import load_file, save_file

    model = ctx.build()
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    path = ctx.tmp_path / "model.safetensors"
    try:
        save_file(state, str(path))
    except Exception as exc:
        raise ConformanceError(f"state_dict cannot be saved as safetensors (shared or odd tensors?): {exc}") from exc
    torch.manual_seed(1)
    fresh = ctx.factory()(**json.loads(json.dumps(model.config)))
    fresh.load_state_dict(load_file(str(path)), strict=True)
    for key, value in fresh.state_dict().items():
        _expect(torch.equal(value, state[key]), f"tensor '{key}' changed in the round trip")


# -- loss checks ----------------------------------------------------------------------------------


def _loss_instance(ctx: CheckContext, **kwargs: Any) -> Any:
    from ganzoo.losses import AdversarialLoss, Regulariser

    role = ctx.spec.metadata.get("role") if ctx.spec else None
    _expect(role in ("adversarial", "regulariser"),
            f"metadata['role'] must be 'adversarial' or 'regulariser', got {role!r}")
    instance = ctx.factory()(**kwargs)
    base = AdversarialLoss if role == "adversarial" else Regulariser
    noun = "an adversarial loss" if role == "adversarial" else "a regulariser"
    got = type(instance).__name__
    _expect(isinstance(instance, base), f"{noun} must be a ganzoo.losses.{base.__name__}, got {got}")
    return instance


@conformance_check("losses", "computes")
def _loss_computes(ctx: CheckContext) -> None:
    """Finite scalar losses with gradients: on logits, or on a linear critic for regularisers."""
    import torch

    if ctx.spec is not None and ctx.spec.metadata.get("role") == "regulariser":
        reg = _loss_instance(ctx, weight=2.0)
        weight = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
        real = torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]])
        fake = torch.tensor([[0.0, 1.0, 0.0], [-0.5, 0.2, 0.1]])
        penalty = reg(lambda x: x.flatten(1) @ weight, real, fake)
        _expect(penalty.dim() == 0 and bool(torch.isfinite(penalty)), "the penalty must be a finite scalar")
        _expect(float(penalty.detach()) >= 0, f"a penalty should not be negative, got {float(penalty.detach())}")
        penalty.backward()
        _expect(weight.grad is not None and bool(torch.isfinite(weight.grad).all()),
                "the penalty gives no gradient to the critic's parameters (create_graph=True?)")
        return
    loss = _loss_instance(ctx)
    real = torch.tensor([1.5, -0.5, 0.3], requires_grad=True)
    fake = torch.tensor([-1.0, 0.7, -0.2], requires_grad=True)
    d = loss.d_loss(real, fake)
    g = loss.g_loss(fake, real.detach()) if loss.uses_real_in_g else loss.g_loss(fake)
    for which, value in (("d_loss", d), ("g_loss", g)):
        _expect(value.dim() == 0 and bool(torch.isfinite(value)), f"{which} must be a finite scalar")
    d.backward()
    _expect(real.grad is not None and fake.grad is not None, "d_loss must depend on real and fake logits")
    fake.grad = None
    g.backward()
    _expect(fake.grad is not None and bool(fake.grad.abs().sum() > 0), "g_loss must depend on the fake logits")
    if loss.supports_soft_labels:
        soft = loss.d_loss(real.detach(), fake.detach(), 0.9, 0.1)
        _expect(bool(torch.isfinite(soft)), "d_loss with soft targets must be finite")


@conformance_check("losses", "builds-objective")
def _loss_builds_objective(ctx: CheckContext) -> None:
    """The loss works by name through ``build_objective`` (``--loss`` / ``--reg``)."""
    from ganzoo.losses import build_objective

    if ctx.spec is not None and ctx.spec.metadata.get("role") == "regulariser":
        objective = build_objective("wasserstein", {ctx.name: 1.0})
        _expect(len(objective.regularisers) == 1, "build_objective lost the regulariser")
    else:
        import torch

        objective = build_objective(ctx.name)
        real, fake = torch.tensor([0.2, -0.4]), torch.tensor([-0.3, 0.9])
        g = objective.g_loss(fake, real if objective.g_needs_real else None)
        _expect(bool(torch.isfinite(objective.d_loss(real, fake))) and bool(torch.isfinite(g)),
                "the objective built from this loss gives non-finite values")

