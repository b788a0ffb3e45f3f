"""ganzoo's conformance suite, run against everything this plugin registers.

The registry writes these tests: add an architecture or a loss to ``plugin.py`` and it is
checked here without a new line of test code.
"""

import pytest

from ganzoo import testing

DISTRIBUTION = "ganzoo-plugin-example"


@pytest.mark.parametrize("case", testing.plugin_cases(DISTRIBUTION) + testing.cases(DISTRIBUTION), ids=str)
def test_conformance(case):
    case.run()
