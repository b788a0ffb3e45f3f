"""Run ``python -m ganzoo ARGS`` in a fresh process and measure its peak resident memory.

The command runs as the only child of a small wrapper process, so the wrapper's
``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is that command's peak and nothing else's (the test
process's own children would mix in). An address-space ceiling turns a regression that asks for
tens of gigabytes into a failed allocation instead of a machine out of memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

WRAPPER = """
import json, resource, subprocess, sys
ceiling = int(sys.argv[1])
def limit():
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
done = subprocess.run([sys.executable, "-m", "ganzoo", *sys.argv[2:]], capture_output=True, text=True,
                      preexec_fn=limit)
print(json.dumps({"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr,
                  "peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


@dataclass
class Measured:
    returncode: int
    stdout: str
    stderr: str
    peak_mb: float


def run_measured(*args: str | os.PathLike[str], cwd: Path | None = None, env: dict[str, str] | None = None,
                 ceiling_gb: int = 16, timeout: int = 600) -> Measured:
    """``ganzoo ARGS`` with its peak RSS in MB (Linux reports ``ru_maxrss`` in KB)."""
    result = subprocess.run([sys.executable, "-c", WRAPPER, str(ceiling_gb << 30), *map(str, args)],
                            capture_output=True, text=True, timeout=timeout, cwd=cwd,
                            env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    return Measured(report["returncode"], report["stdout"], report["stderr"], report["peak_kb"] / 1024)


def one_error_line(result: Measured | subprocess.CompletedProcess[str], code: int) -> str:
    """The single ``ganzoo: error:`` line of a refused command; no traceback, no internal error."""
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganzoo: error: "), result.stderr
    assert result.returncode == code, (result.returncode, result.stderr)
    return lines[0]
