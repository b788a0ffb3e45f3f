"""A real Hub-compatible server for tests: olah serving local git repos on 127.0.0.1.

olah (a self-hosted Hugging Face mirror) answers huggingface_hub's API and file routes from
ordinary git repositories under ``<mirrors>/models/<org>/<name>`` (and data sets under
``<mirrors>/datasets/<org>/<name>``). Upstream Hub addresses point
at a dead loopback port and olah runs offline, so nothing leaves this machine.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "ganzoo-tests", "GIT_AUTHOR_EMAIL": "tests@localhost",
           "GIT_COMMITTER_NAME": "ganzoo-tests", "GIT_COMMITTER_EMAIL": "tests@localhost"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


class LocalHub:
    """Start with :meth:`start`, publish folders with :meth:`publish`, stop with :meth:`stop`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.mirrors = root / "mirrors"
        self.repos = root / "repos"
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def publish(self, repo_id: str, folder: Path, message: str = "add checkpoint", *, repo_type: str = "model") -> str:
        """Commit ``folder``'s files as repo ``repo_id`` (new commit on main); return the sha.

        ``repo_type="dataset"`` publishes a data set repo (``datasets/<org>/<name>``), which olah
        serves to the ``datasets`` library like the Hub: info, tree listings and file downloads.
        """
        repo = self.mirrors / f"{repo_type}s" / repo_id
        if not (repo / ".git").exists():
            repo.mkdir(parents=True)
            _git(repo, "init", "-q", "-b", "main")
        for item in repo.iterdir():
            if item.name != ".git":
                shutil.rmtree(item) if item.is_dir() else item.unlink()
        for item in folder.iterdir():
            if item.is_dir():  # data sets keep their files in folders (data/, plain_text/)
                shutil.copytree(item, repo / item.name)
            else:
                shutil.copy2(item, repo / item.name)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", message)
        sha = _git(repo, "rev-parse", "HEAD")
        meta = self.repos / "api" / f"{repo_type}s" / repo_id / "revision" / sha
        meta.mkdir(parents=True, exist_ok=True)
        (meta / "meta_head.json").write_text(json.dumps({"id": repo_id, "sha": sha}))
        return sha

    def start(self, timeout: float = 30.0) -> None:
        self.mirrors.mkdir(parents=True, exist_ok=True)
        self.repos.mkdir(parents=True, exist_ok=True)
        config = self.root / "olah.toml"
        config.write_text(
            "[basic]\n"
            f'host = "127.0.0.1"\nport = {self.port}\n'
            f'repos-path = "{self.repos}"\n'
            f'mirrors-path = ["{self.mirrors}"]\n'
            'hf-scheme = "http"\nhf-netloc = "127.0.0.1:9"\nhf-lfs-netloc = "127.0.0.1:9"\n'
            'mirror-scheme = "http"\n'
            f'mirror-netloc = "127.0.0.1:{self.port}"\nmirror-lfs-netloc = "127.0.0.1:{self.port}"\n'
            "\n[accessibility]\noffline = true\n"
        )
        log = open(self.root / "olah.log", "wb")  # noqa: SIM115 - the server's log outlives this method
        env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "olah.server", "--config", str(config)],
            cwd=self.root, stdout=log, stderr=subprocess.STDOUT, env=env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"olah exited early:\n{(self.root / 'olah.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/api/models/ganzoo-probe/none/revision/main", timeout=1):
                    return
            except urllib.error.HTTPError:
                return  # the server answers (an error for a missing repo is still an answer)
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("olah did not start in time")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
