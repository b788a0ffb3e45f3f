"""The declared plugin API: everything a third-party plugin imports from ganzoo, in one module.

A plugin -- a GAN family, dataset, loss, regulariser, metric, feature extractor or command --
imports ganzoo only from here (and :mod:`ganzoo.testing` in its tests)::

    from ganzoo.plugin import GAN, Logs, discriminator_objective, hookimpl

These names are the stable surface, versioned by ``API_VERSION`` (``MAJOR.MINOR``: a minor
release only adds names or announces deprecations, a major one may change or drop them); every
other ganzoo module is internal and may change in any release. The building blocks the built-in
plugins share (DCGAN layouts, initialisers, file-output helpers) are in
:mod:`ganzoo.plugin_blocks`, which is provisional. docs/plugins.md documents each name.

The names are written once, in the stub ``plugin.pyi`` beside this file: one
``from ganzoo.x import Name as Name`` line each, which is what type checkers read. This module
parses that stub when it is imported and imports each name from where it lives on first use,
so importing it is cheap and never imports torch (hook modules import it, and ``ganzoo list``
loads every hook module).
"""

from __future__ import annotations

import ast
import importlib
import warnings
from pathlib import Path
from typing import Any


def _read_stub(module_file: str) -> tuple[dict[str, str], dict[str, Any]]:
    """What the ``.pyi`` stub beside ``module_file`` exports: ``({name: module}, {name: constant})``.

    Only explicit re-exports count (``from ganzoo.x import Name as Name``, PEP 484's rule, so
    the runtime and type checkers agree on the names); a constant is an annotated assignment of
    a literal (``API_VERSION: Final = "1.2"``). Anything else in the stub is refused, so a stub
    line the loader would silently skip cannot exist.

        >>> exports, constants = _read_stub(__file__)
        >>> exports["GAN"], constants["API_VERSION"]   # doctest: +SKIP
        ('ganzoo.models', '1.2')
    """
    path = Path(module_file).with_suffix(".pyi")
    exports: dict[str, str] = {}
    constants: dict[str, Any] = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        if isinstance(node, ast.ImportFrom) and node.module == "typing":
            continue  # typing.Final and friends, for the stub's own annotations
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if alias.asname != alias.name:
                    raise ImportError(f"{path}:{node.lineno}: write 'from {node.module} import {alias.name} as "
                                      f"{alias.name}' (an explicit re-export), or move the import out of the stub")
                exports[alias.name] = node.module
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            constants[node.target.id] = ast.literal_eval(node.value)
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):  # docstrings pass
            raise ImportError(f"{path}:{node.lineno}: a stub of the plugin API holds only 'from M import X as X' "
                              "lines and 'NAME: Final = literal' constants")
    return exports, constants


def _load(namespace: dict[str, Any], exports: dict[str, str], name: str) -> Any:
    """Import ``name`` from the module the stub names, and keep it in ``namespace`` for next time."""
    value = getattr(importlib.import_module(exports[name]), name)
    namespace[name] = value
    return value


_EXPORTS, _CONSTANTS = _read_stub(__file__)
globals().update(_CONSTANTS)

#: Names of API 1.1 that moved to the provisional :mod:`ganzoo.plugin_blocks` in 1.2. They still
#: resolve here, with a DeprecationWarning, and are removed from this module in 2.0.
_MOVED_TO_BLOCKS = frozenset({
    "FastDropout", "FlattenHWC", "OVERWRITE_HELP", "ToImageHWC", "apply_spectral_norm", "arch_train_defaults",
    "check_distinct", "check_file", "check_folder", "check_image_size", "example_convs", "example_generator",
    "image_to_tensor", "init_like_dcgan_paper", "init_like_tensorflow", "live_folder", "make_gif",
    "max_image_pixels", "open_image", "read_image", "select_device", "tensor_to_image", "tutorial_convs",
    "tutorial_generator", "warn", "write_image", "writing",
})

__all__ = sorted([*_CONSTANTS, *_EXPORTS])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return _load(globals(), _EXPORTS, name)
    if name in _MOVED_TO_BLOCKS:
        warnings.warn(f"ganzoo.plugin.{name} moved to ganzoo.plugin_blocks in plugin API 1.2 (provisional: it may "
                      f"change in any minor release); import it from there: ganzoo.plugin drops it in 2.0",
                      DeprecationWarning, stacklevel=2)
        blocks, _ = _read_stub(str(Path(__file__).with_name("plugin_blocks.py")))
        return getattr(importlib.import_module(blocks[name]), name)  # not kept: each use warns
    raise AttributeError(
        f"module 'ganzoo.plugin' has no attribute {name!r}; the plugin API is: {', '.join(__all__)}"
    )


def __dir__() -> list[str]:
    return sorted({n for n in globals() if n.startswith("__")} | set(__all__))
