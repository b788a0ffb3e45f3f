"""Fake plugins for the plugin tests, and a helper that "installs" them as real distributions.

Each ``ganzoo_fake_*`` module here is a plugin hook module, broken in one particular way.
:func:`write_distribution` writes a ``*.dist-info`` folder (METADATA + entry_points.txt) so that
``importlib.metadata`` finds it as an installed distribution once its folder is on ``sys.path``
or ``PYTHONPATH`` -- the same path a ``pip install`` takes, without pip.
"""

from __future__ import annotations

from pathlib import Path

FIXTURES_DIR = Path(__file__).resolve().parent

#: entry-point name -> (distribution, hook module) of every fake plugin distribution.
FAKE_PLUGINS: dict[str, tuple[str, str]] = {
    "broken-import": ("ganzoo-fake-broken-import", "ganzoo_fake_broken_import"),
    "unknown-hook": ("ganzoo-fake-unknown-hook", "ganzoo_fake_unknown_hook"),
    "halfway": ("ganzoo-fake-halfway", "ganzoo_fake_halfway"),
    "clash": ("ganzoo-fake-clash", "ganzoo_fake_clash"),
    "good": ("ganzoo-fake-good", "ganzoo_fake_good"),
}


def write_distribution(site: Path, distribution: str, version: str, entry_points: dict[str, str]) -> Path:
    """Write ``<site>/<distribution>-<version>.dist-info`` with entry points in group ``ganzoo``."""
    folder = site / f"{distribution.replace('-', '_')}-{version}.dist-info"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n")
    lines = ["[ganzoo]"] + [f"{name} = {target}" for name, target in entry_points.items()]
    (folder / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return folder


def install_fakes(site: Path, names: list[str] | None = None) -> Path:
    """Write dist-infos for the fake plugins ``names`` (all by default) under ``site``."""
    for name in names or list(FAKE_PLUGINS):
        distribution, module = FAKE_PLUGINS[name]
        write_distribution(site, distribution, "1.0", {name: module})
    return site
