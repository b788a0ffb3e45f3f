"""Re-record bundled zoo folders: list their files in config.json, re-render the card, renew the pin.

    python scripts/refresh_zoo_record.py                  # every bundled zoo model
    python scripts/refresh_zoo_record.py dcgan-fashion

``ganzoo export`` does this itself when it writes into a zoo folder (one whose parent holds a
``pins.json``), and so do ``scripts/add_zoo_onnx.py`` and ``scripts/score_zoo_model.py``. Run this
after changing a zoo folder any other way; the weights are read, never written. A plugin folder
without ``pins.json`` gets one.
"""

from __future__ import annotations

import sys


def main(names: list[str]) -> int:
    from ganzoo.hub.record import PINS_NAME
    from ganzoo.hub.zoo import locate
    from ganzoo.io import write_json
    from ganzoo.plugins import get_registry
    from ganzoo.publish.export import refresh_record

    registry = get_registry("pretrained")
    for spec in [registry.get(name) for name in names] if names else list(registry):
        folder = locate(spec).folder
        if folder is None:
            print(f"{spec.name}: not bundled, skipped")
            continue
        if not (folder.parent / PINS_NAME).is_file():
            write_json(folder.parent / PINS_NAME, {})
        print(f"{spec.name}: record {refresh_record(folder, name=spec.name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
