"""`ganzoo demo` as a command: its one-line answer without the extra, and its refusals before serving."""

from __future__ import annotations

import os
import subprocess
import sys


def test_without_the_extra_it_says_how_to_install_it(tmp_path):
    blocker = tmp_path / "no_gradio"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'gradio':\n"
        "            raise ModuleNotFoundError(\"No module named 'gradio'\", name='gradio')\n"
        "sys.meta_path.insert(0, Block())\n")
    env = {**os.environ, "PYTHONPATH": f"{blocker}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run([sys.executable, "-m", "ganzoo", "demo"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "ganzoo: error: ganzoo demo needs the demo extra: pip install 'ganzoo[demo]'"


def test_an_unknown_model_fails_before_the_server_starts():
    proc = subprocess.run([sys.executable, "-m", "ganzoo", "demo", "no-such-model", "--port", "0"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "no-such-model" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
