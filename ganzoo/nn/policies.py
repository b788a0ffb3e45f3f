"""The names of the augmentation policies, torch-free, so option parsing and ``--help`` stay cheap.

:mod:`ganzoo.nn.augment` implements them.
"""

from __future__ import annotations

from ganzoo.errors import UsageError

POLICIES = ("translation", "cutout", "color")
_ALIASES = {"colour": "color", "translate": "translation"}


def parse_policy(text: str | None) -> tuple[str, ...]:
    """``"translation,cutout"`` as a tuple of known policy names (empty for ``""``/``None``/``"none"``)."""
    if text is None:
        return ()
    names = [part.strip().lower() for part in str(text).split(",") if part.strip()]
    if names in ([], ["none"]):
        return ()
    out: list[str] = []
    for name in names:
        name = _ALIASES.get(name, name)
        if name not in POLICIES:
            raise UsageError(f"unknown augmentation {name!r}; choose from {', '.join(POLICIES)} "
                             f"(comma-separated, e.g. --augment translation,cutout)")
        if name not in out:
            out.append(name)
    return tuple(sorted(out, key=POLICIES.index))
