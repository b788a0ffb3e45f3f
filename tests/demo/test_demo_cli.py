"""`ganzoo demo` as a command: its one-line answer without the extra, and its refusals before serving."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from demo_helpers import free_port


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


# Before (issue 22): SIGTERM ended the process on the spot and its ganzoo-demo-* work folder stayed in /tmp.
def test_sigterm_stops_the_demo_and_removes_its_work_folder(tmp_path):
    pytest.importorskip("gradio", reason="the demo extra is not installed (make test installs it)")
    temp = tmp_path / "tmp"
    temp.mkdir()
    port = free_port()
    env = {**os.environ, "TMPDIR": str(temp), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    demo = subprocess.Popen([sys.executable, "-m", "ganzoo", "demo", "dcgan-fashion", "--no-style", "--offline",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    try:
        deadline = time.monotonic() + 240
        while True:  # until the page answers
            assert demo.poll() is None, demo.communicate()
            assert time.monotonic() < deadline, "the demo never answered"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                    break
            except OSError:
                time.sleep(0.2)
        assert list(temp.glob("ganzoo-demo-*")), "the demo made no work folder"
        demo.send_signal(signal.SIGTERM)
        _, stderr = demo.communicate(timeout=60)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.communicate()
    assert "Traceback" not in stderr, stderr
    assert demo.returncode in (0, 130), stderr  # as after Ctrl-C: 0 from gradio's loop, 130 from ganzoo's
    assert list(temp.glob("ganzoo-demo-*")) == []
