"""Conformance checks that a plugin package runs from its own tests.

The registry writes the tests: every check runs against every entry a plugin registered, so a
plugin author adds one line and inherits every rule the family contract states. One call runs
everything and reports every failure at once::

    # tests/plugins/test_conformance.py of a plugin package
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

Datasets are built with ``metadata["test_kwargs"]`` too; data that is not on this machine is
fine when the dataset says so with a one-line ``DataUnavailableError``. A plugin's commands are
checked for a ``--help`` that exits 0.

The package holds one group of checks per module, each importing only :mod:`.framework`:
:mod:`.plugin_checks`, :mod:`.architectures`, :mod:`.losses` (losses and regularisers),
:mod:`.datasets`, :mod:`.scoring` (metrics and feature extractors), :mod:`.commands` and
:mod:`.training` (the engine's "trains two steps");
:mod:`.cases` lists and runs them. **Extension point**: :func:`conformance_check` in a module
listed in :data:`CHECK_MODULES` adds a check, which gets a :class:`CheckContext` (``build()``,
``batch()``, ``objective()``, ``tmp_path``).
"""


from __future__ import annotations

from ganzoo.testing import (  # noqa: F401  (their checks)
    architectures,
    commands,
    datasets,
    losses,
    plugin_checks,
    scoring,
    training,
)
from ganzoo.testing.cases import (
    DEFAULT_KINDS,
    Case,
    cases,
    check_architecture,
    check_dataset,
    check_loss,
    check_plugin,
    plugin_cases,
)
from ganzoo.testing.framework import (
    CHECK_MODULES,
    GAN_TASKS,
    HEAVY_MODULES,
    CheckContext,
    ConformanceError,
    conformance_check,
)

__all__ = [
    "CHECK_MODULES",
    "DEFAULT_KINDS",
    "GAN_TASKS",
    "HEAVY_MODULES",
    "Case",
    "CheckContext",
    "ConformanceError",
    "cases",
    "check_architecture",
    "check_dataset",
    "check_loss",
    "check_plugin",
    "conformance_check",
    "plugin_cases",
]

