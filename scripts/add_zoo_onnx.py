"""Write generator.onnx (and its record) into the bundled zoo folders, for the torch-free sampler.

    python scripts/add_zoo_onnx.py                    # every bundled noise-to-image zoo model
    python scripts/add_zoo_onnx.py sngan-fashion wgan-gp-fashion

``ganzoo export`` writes the file itself when the onnx extra is installed; run this after a zoo
folder's weights changed any other way (``scripts/restand_zoo_model.py``, a hand copy), or to add
the file to folders exported before. A folder whose ``generator.onnx`` no longer matches its
weights is sampled with PyTorch, with a note, until this is run again. The pinned sha256s in the
plugins' ``register_pretrained`` cover config.json and the safetensors only, so they do not change.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(names: list[str]) -> int:
    from ganzoo.errors import GanzooError
    from ganzoo.hub.fast import FastPathUnavailable, open_fast_sampler
    from ganzoo.plugins import get_registry
    from ganzoo.publish.onnx import bundle_onnx

    registry = get_registry("pretrained")
    specs = [registry.get(name) for name in names] if names else list(registry)
    failed = 0
    for spec in specs:
        target = spec.load()
        if target is None or not Path(str(target)).is_dir():
            print(f"{spec.name}: not bundled, skipped")
            continue
        if spec.metadata.get("task") not in ("unconditional", "class-conditional"):
            print(f"{spec.name}: {spec.metadata.get('task')}, skipped")
            continue
        try:
            written = bundle_onnx(Path(str(target)), name=spec.name, required=True)
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
