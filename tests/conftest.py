"""Test-wide settings: nothing may leave this machine, and plugins load predictably.

The Hub variables are set before anything imports huggingface_hub, so no test can send
telemetry or reach the real Hub; tests that need a Hub start a local server on 127.0.0.1.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ["HF_ENDPOINT"] = "http://127.0.0.1:9"  # a dead loopback port: any stray request fails fast
os.environ["GANZOO_LOAD_PLUGINS"] = ""  # built-ins only, unless a test says otherwise
os.environ.pop("GANZOO_STRICT_PLUGINS", None)
os.environ.pop("GANZOO_TRACE_PLUGINS", None)

import pytest  # noqa: E402

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


@pytest.fixture(autouse=True)
def _fresh_plugin_manager():
    """Each test sees plugins loaded from its own environment, not an earlier test's."""
    from ganzoo.plugins import reset_manager

    reset_manager()
    yield
    reset_manager()


@pytest.fixture
def ganzoo_home(tmp_path, monkeypatch):
    """A private cache/data home so tests never touch the user's files."""
    monkeypatch.setenv("GANZOO_HOME", str(tmp_path / "ganzoo-home"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    return tmp_path


@pytest.fixture
def one_thread():
    """Tiny models train faster on one thread, and the CPU is shared with other tests."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def real_data(name: str, split: str = "train", **options):
    """A real dataset for a test, or a skip that says why when its files are not on this machine.

    CI installs Debian's Fashion-MNIST, so these tests always run there.
    """
    from ganzoo.data import build_dataset
    from ganzoo.errors import DataUnavailableError

    try:
        return build_dataset(name, split, **options)
    except DataUnavailableError as exc:
        pytest.skip(f"{name} is not available here: {exc}")
