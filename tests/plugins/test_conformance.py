"""The conformance suite: run on every registered entry and built-in plugin, and shown to catch
the mistakes it is there to catch.

The registry writes the first two tests: a new architecture or loss is checked here the moment
its plugin registers it, without a new line of test code.
"""

from __future__ import annotations

import importlib
import sys

import pytest
from plugin_fixtures import FIXTURES_DIR

from ganzoo import hookimpl, testing
from ganzoo.errors import UnknownNameError
from ganzoo.plugins import get_manager


@pytest.mark.parametrize("case", testing.cases(), ids=str)
def test_registered_entries_conform(case):
    case.run()


@pytest.mark.parametrize("case", testing.plugin_cases(builtin_only=True), ids=str)
def test_builtin_plugins_conform(case):
    case.run()


def test_every_builtin_architecture_and_loss_is_covered():
    covered = {(c.kind, c.name) for c in testing.cases()}
    assert ("architectures", "vanilla") in covered
    assert {("losses", n) for n in ("non-saturating", "minimax", "lsgan", "hinge", "wasserstein")} <= covered
    assert {("regularisers", "gradient-penalty"), ("regularisers", "r1")} <= covered
    assert {("datasets", "fake"), ("datasets", "fashion-mnist")} <= covered
    checks = {c.check for c in testing.cases() if c.name == "vanilla"}
    assert {"builds-with-defaults", "builds-tiny", "samples", "discriminates", "losses", "config-rebuilds",
            "safetensors-round-trip"} <= checks


# -- the suite catches what it should --------------------------------------------------------------------


class BadArchitectures:
    @hookimpl
    def register_architectures(self, register):
        for name, cls in [("bad-tiny", "Tiny"), ("bad-range", "OutOfRange"), ("bad-logits", "WrongLogitShape"),
                          ("bad-config", "OpaqueConfig"), ("bad-seed", "Unseeded")]:
            register(name, f"ganzoo_fake_badarch:{cls}", summary=cls, metadata={"task": "unconditional"})
        register("bad-task", "ganzoo_fake_badarch:Tiny", summary="Declares the wrong task",
                 metadata={"task": "class-conditional"})
        register("bad-kwargs", "ganzoo_fake_badarch:Tiny", summary="Declares kwargs it does not take",
                 metadata={"task": "unconditional", "test_kwargs": {"width": 3}})

    @hookimpl
    def register_losses(self, register):
        register("bad-function", "ganzoo_losses.losses:_input_gradients", summary="A plain function")
        register("bad-class", "ganzoo_losses.losses:R1", summary="A regulariser claiming to be a loss")
        register("bad-import", "ganzoo_fake_nowhere:Loss", summary="A target that does not import")


@pytest.fixture
def bad_plugin(monkeypatch):
    monkeypatch.syspath_prepend(str(FIXTURES_DIR))
    get_manager().add_plugin(BadArchitectures(), "bad")
    yield
    sys.modules.pop("ganzoo_fake_badarch", None)


def test_a_correct_architecture_passes(bad_plugin):
    testing.check_architecture("bad-tiny")


@pytest.mark.parametrize(
    ("kind", "name", "check", "message"),
    [
        ("architectures", "bad-range", "samples", "sample left [-1, 1]"),
        ("architectures", "bad-logits", "discriminates", "discriminate gave shape (3, 1), expected (3,)"),
        ("architectures", "bad-config", "config-rebuilds", "model.config is not JSON-able"),
        ("architectures", "bad-seed", "samples", "same seeded generator gave different images"),
        ("architectures", "bad-task", "builds-with-defaults", "model.task is 'unconditional' but the registry"),
        ("architectures", "bad-kwargs", "builds-tiny", "cannot build bad-kwargs with {'width': 3}"),
        ("losses", "bad-function", "computes", "plugin 'bad' registered loss 'bad-function' as "
         "'ganzoo_losses.losses:_input_gradients', which is a function, not a subclass of "
         "ganzoo.plugin.AdversarialLoss"),
        ("losses", "bad-class", "computes", "which is class R1, not a subclass of ganzoo.plugin.AdversarialLoss"),
    ],
)
def test_a_broken_entry_fails_its_check(bad_plugin, kind, name, check, message):
    with pytest.raises(testing.ConformanceError) as caught:
        testing.Case(kind, name, check).run()
    assert str(caught.value).startswith(f"{kind}:{name}:{check}: ") and message in str(caught.value)


def test_check_plugin_reports_every_failure_at_once(bad_plugin):
    with pytest.raises(testing.ConformanceError) as caught:
        testing.check_plugin("bad")
    text = str(caught.value)
    assert text.splitlines()[0].endswith("checks failed:")
    for name in ("bad-range", "bad-logits", "bad-config", "bad-seed", "bad-task", "bad-kwargs", "bad-function"):
        assert f":{name}:" in text
    assert ":bad-tiny:" not in text
    # a target that does not import is one failure, not one per check
    assert text.count("losses:bad-import:") == 1 and "losses:bad-import:target-loads:" in text


def test_a_hook_module_that_imports_torch_fails(monkeypatch):
    monkeypatch.syspath_prepend(str(FIXTURES_DIR))
    get_manager().add_plugin(importlib.import_module("ganzoo_fake_torchy"), "torchy")
    with pytest.raises(testing.ConformanceError, match="hook module ganzoo_fake_torchy imports torch"):
        testing.Case("plugins", "torchy", "hook-module-torch-free").run()
    sys.modules.pop("ganzoo_fake_torchy", None)


def test_a_failed_plugin_fails_the_loads_check():
    class Raises:
        @hookimpl
        def register_architectures(self, register):
            raise RuntimeError("nope")

    get_manager().add_plugin(Raises(), "raises")
    with pytest.raises(testing.ConformanceError, match="plugin failed to load: a hook raised: RuntimeError: nope"):
        testing.Case("plugins", "raises", "loads").run()


def test_plugins_are_found_by_entry_point_or_distribution_name():
    builtins = {name for name, info in get_manager().plugins.items() if info.builtin}
    assert {"losses", "vanilla"} <= builtins
    assert {c.name for c in testing.plugin_cases("ganzoo")} == builtins  # the distribution's entry points
    assert {c.name for c in testing.plugin_cases("vanilla")} == {"vanilla"}
    assert {(c.name, c.check) for c in testing.cases("vanilla")} >= {("vanilla", "samples")}
    with pytest.raises(UnknownNameError, match="no plugin or distribution called 'nope' is loaded"):
        testing.check_plugin("nope")


# -- the extension point ----------------------------------------------------------------------------------


def test_other_parts_of_ganzoo_can_add_checks():
    seen = []

    @testing.conformance_check("architectures", "test-extra", tasks=("unconditional",))
    def extra(ctx: testing.CheckContext) -> None:
        model = ctx.build()
        batch = ctx.batch(model, 2)
        seen.append((ctx.name, tuple(batch["image"].shape), type(ctx.objective().adversarial).__name__))

    try:
        case = testing.Case("architectures", "vanilla", "test-extra")
        assert case in testing.cases()
        case.run()
        assert seen == [("vanilla", (2, 1, 28, 28), "NonSaturating")]
    finally:
        del testing.framework._CHECKS[("architectures", "test-extra")]
    with pytest.raises(ValueError, match="unknown check kind"):
        testing.conformance_check("models", "x")
    assert "ganzoo.testing.training" in testing.CHECK_MODULES


# -- kinds, datasets and commands ------------------------------------------------------------------------


def test_cases_of_datasets_and_commands_exist():
    datasets = testing.cases("ganzoo", kinds=("datasets",))
    assert {("fake", "builds"), ("fake", "items")} <= {(c.name, c.check) for c in datasets}
    assert all(c.kind == "datasets" for c in datasets)
    commands = testing.cases(kinds=("commands",))
    assert all(c.kind == "commands" and c.check == "help" for c in commands)


def test_unknown_kinds_are_refused_in_one_line():
    from ganzoo.errors import UsageError

    with pytest.raises(UsageError, match=r"^unknown check kind\(s\) 'dataset'; expected some of architectures, "):
        testing.cases(kinds=("dataset",))


def test_a_dataset_with_bad_items_fails_its_check(monkeypatch):
    class BadData:
        @hookimpl
        def register_datasets(self, register):
            register("bad-items", "ganzoo_fake_badarch:out_of_range_dataset", summary="Pixels in [0, 255]",
                     metadata={"channels": 1})

    monkeypatch.syspath_prepend(str(FIXTURES_DIR))
    get_manager().add_plugin(BadData(), "bad-data")
    testing.Case("datasets", "bad-items", "builds").run()
    with pytest.raises(testing.ConformanceError, match=r"datasets:bad-items:items: item 0's image leaves \[-1, 1\]"):
        testing.Case("datasets", "bad-items", "items").run()
    sys.modules.pop("ganzoo_fake_badarch", None)


def test_missing_data_is_no_failure_when_said_in_one_line(monkeypatch):
    class NoData:
        @hookimpl
        def register_datasets(self, register):
            register("no-data", "ganzoo_fake_badarch:unavailable_dataset", summary="Not on this machine")

    monkeypatch.syspath_prepend(str(FIXTURES_DIR))
    get_manager().add_plugin(NoData(), "no-data")
    testing.check_dataset("no-data")
    sys.modules.pop("ganzoo_fake_badarch", None)
