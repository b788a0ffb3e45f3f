"""Run ``ganzoo ARGS`` in a fresh interpreter and report its exit code and the modules it imported.

The start-up and torch-free tests all ask the same question of a real process (a test process has
imported everything already), so they share this one probe.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_PROBE = """
import json, sys
if sys.argv[1] == "block-torch":
    sys.modules["torch"] = None  # 'import torch' now raises ImportError
from ganzoo.cli import main
try:
    main(sys.argv[2:])
except SystemExit as exc:
    code = exc.code
else:
    code = 0
loaded = sorted(m for m, v in sys.modules.items() if v is not None)
sys.stderr.write("PROBE " + json.dumps({"code": code, "modules": loaded}) + "\\n")
"""


def probe(*args: str, block_torch: bool = False, cwd: Path | None = None, env: dict[str, str] | None = None,
          timeout: int = 60) -> tuple[int | None, list[str], subprocess.CompletedProcess[str]]:
    """Exit code, imported module names and the process of ``ganzoo ARGS`` (every installed plugin loads)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("GANZOO_")}
    proc = subprocess.run([sys.executable, "-c", _PROBE, "block-torch" if block_torch else "-", *args],
                          capture_output=True, text=True, cwd=cwd, env={**base, **(env or {})}, timeout=timeout)
    report = json.loads(proc.stderr.strip().splitlines()[-1].removeprefix("PROBE "))
    return report["code"], report["modules"], proc


def top_level_in(modules: list[str], names: tuple[str, ...]) -> list[str]:
    """The modules whose top-level package is one of ``names``."""
    return [m for m in modules if m.split(".")[0] in names]
