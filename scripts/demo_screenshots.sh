#!/usr/bin/env bash
# Takes the screenshots docs/demo.md shows: the browser tests of the web demo, with their
# screenshots kept in docs/images (demo-sample.png, demo-classes.png, demo-translate.png
# and demo-walk.png). Needs the test extra and Debian's chromium (make test installs both).
set -euo pipefail
cd "$(dirname "$0")/.."
GANZOO_DEMO_SCREENSHOTS=docs/images .venv/bin/python -m pytest -q tests/demo/test_demo_browser.py "$@"
