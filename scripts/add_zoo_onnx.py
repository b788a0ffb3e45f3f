"""Write generator.onnx (and its record) into the bundled zoo folders, for the torch-free sampler.

    python scripts/add_zoo_onnx.py                    # every bundled noise-to-image zoo model
    python scripts/add_zoo_onnx.py sngan-fashion wgan-gp-fashion

``ganzoo export`` writes the file itself when the onnx extra is installed; run this after a zoo
folder's weights changed any other way (``scripts/restand_zoo_model.py``, a hand copy), or to add
the file to folders exported before. A folder whose ``generator.onnx`` no longer matches its
weights is sampled with PyTorch, with a note, until this is run again. The folder's record then
lists the new files and its pin is renewed (``refresh_record``), as export does.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(names: list[str]) -> int:
    from ganzoo.errors import GanzooError
    from ganzoo.hub.fast import FastPathUnavailable, open_fast_sampler
    from ganzoo.hub.zoo import locate
    from ganzoo.plugins import get_registry
    from ganzoo.publish.export import refresh_record
    from ganzoo.publish.onnx import bundle_onnx

    registry = get_registry("pretrained")
    specs = [registry.get(name) for name in names] if names else list(registry)
    failed = 0
    for spec in specs:
        target = locate(spec).folder
        if target is None:
            print(f"{spec.name}: not bundled, skipped")
            continue
        task = next((t for t in spec.tags if t in ("unconditional", "class-conditional", "image-to-image")), None)
        if task not in ("unconditional", "class-conditional"):
            print(f"{spec.name}: {task}, skipped")
            continue
        try:
            written = bundle_onnx(target, name=spec.name, required=True)
            refresh_record(target, name=spec.name)
            open_fast_sampler(spec.name)  # the file just written must pass the checks sampling makes
        except (GanzooError, FastPathUnavailable) as exc:
            print(f"{spec.name}: FAILED: {exc}")
            failed += 1
            continue
        size = Path(str(written)).stat().st_size / 2**20
        print(f"{spec.name}: wrote {written} ({size:.1f} MiB)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
