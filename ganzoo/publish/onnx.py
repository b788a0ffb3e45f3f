"""Generators as ONNX files: named, typed inputs, a dynamic batch axis, the model's facts in the metadata.

What goes in and out, by task (every image in [-1, 1], ``NCHW``):

============================  =========================================  ==================
task                          inputs                                     output
============================  =========================================  ==================
unconditional                 ``latent`` float ``[batch, latent_dim]``   ``image``
class-conditional             ``latent`` and ``label`` int64 ``[batch]`` ``image``
image-to-image                ``image`` float ``[batch, C, H, W]``       ``translated``
============================  =========================================  ==================

A CycleGAN has two generators: one file per ``direction``. The graph is traced by
``torch.onnx.export`` (the ``torch.export`` based exporter) in eval mode, so batch norm uses its
stored statistics and pix2pix's dropout is off, exactly as ``sample`` and ``translate`` run;
outputs are clamped to [-1, 1] as theirs are. ``float16`` stores weights and computation in
half precision while the inputs and output stay float32 (casts at both ends), so callers do
not change. The metadata (``ganzoo.*`` keys) holds the checkpoint's config, the task, the
direction, class names and the card's metrics, so a file explains itself without ganzoo.

    >>> export_onnx("dcgan-fashion", "dcgan.onnx")                       # doctest: +SKIP
    >>> import onnxruntime; onnxruntime.InferenceSession("dcgan.onnx")   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ganzoo.errors import GanzooError, UsageError
from ganzoo.io import atomic_path

if TYPE_CHECKING:
    import torch
    from torch import Tensor, nn

#: The ONNX opset the files are written for (what onnxruntime 1.17+ runs).
OPSET = 18
DTYPES = ("float32", "float16")
ONNX_HINT = "ONNX export needs the onnx extra: pip install 'ganzoo[onnx]'"


class ExportError(GanzooError):
    """A model, or one of its layers, that the ONNX exporter cannot express."""

    exit_code = 1


def check_onnx_support() -> None:
    """A one-line error naming the extra when onnx or onnxscript (the exporter's needs) are missing."""
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError:
        raise UsageError(ONNX_HINT) from None


def _wrapper(model: Any, direction: str | None, dtype: "torch.dtype") -> "nn.Module":
    """The generator as a module with the inputs and output the file will have."""
    from torch import nn

    task = model.task

    class Sampler(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, latent: Tensor) -> Tensor:
            images: Tensor = self.model.generate(latent.to(dtype))
            return images.clamp(-1, 1).float()

    class ConditionalSampler(Sampler):
        def forward(self, latent: Tensor, label: Tensor) -> Tensor:  # type: ignore[override]
            images: Tensor = self.model.generate(latent.to(dtype), label)
            return images.clamp(-1, 1).float()

    class Translator(Sampler):
        def forward(self, image: Tensor) -> Tensor:
            images: Tensor = self.model._translate(image.to(dtype), direction)
            return images.clamp(-1, 1).float()

    if task == "image-to-image":
        wrapper: nn.Module = Translator()
    elif task == "class-conditional" or getattr(model, "num_classes", 0):
        wrapper = ConditionalSampler()
    elif task == "unconditional":
        wrapper = Sampler()
    else:
        raise ExportError(f"{getattr(model, 'registry_name', type(model).__name__)} is {task}: only generators "
                          "(unconditional, class-conditional, image-to-image) can be exported to ONNX")
    return wrapper.eval()


def example_inputs(model: Any, direction: str | None = None, batch: int = 2) -> dict[str, "Tensor"]:
    """Inputs of the exported graph for ``model``, by name (what onnxruntime is fed)."""
    import torch

    if model.task == "image-to-image":
        shape = model.input_shape_for(direction or "a2b")
        return {"image": torch.zeros(batch, *shape)}
    inputs = {"latent": torch.zeros(batch, model.latent_dim)}
    if getattr(model, "num_classes", 0):
        inputs["label"] = torch.zeros(batch, dtype=torch.long)
    return inputs


def export_onnx(name: str, output: str | os.PathLike[str], *, direction: str | None = None, dtype: str = "float32",
                opset: int = OPSET, overwrite: bool = False) -> Path:
    """Write the generator of model ``name`` (zoo, Hub, checkpoint folder or run) to ``output`` as ONNX."""
    from ganzoo.hub.resolve import open_model
    from ganzoo.outputs import check_file, model_inputs

    target = Path(output)
    if target.suffix.lower() != ".onnx":
        raise UsageError(f"the ONNX file's name should end in .onnx, not {target.name}")
    if dtype not in DTYPES:
        raise UsageError(f"--dtype is float32 or float16, not {dtype!r}")
    check_file(target, overwrite=overwrite, inputs=model_inputs(name), option="-o", image=False)
    check_onnx_support()
    opened = open_model(name)
    model = opened.model.eval()
    if model.task == "image-to-image":
        from ganzoo.translation import check_direction

        direction = check_direction(model, direction)
    elif direction is not None:
        raise UsageError(f"--direction is for image-to-image models; {opened.label} is {model.task}")
    return write_onnx(model, target, direction=direction, dtype=dtype, opset=opset,
                      metadata=_metadata(opened, direction, dtype, opset))


def write_onnx(model: Any, target: Path, *, direction: str | None = None, dtype: str = "float32",
               opset: int = OPSET, metadata: dict[str, str] | None = None) -> Path:
    """Trace ``model`` (a ganzoo GAN, eval mode) into ``target``; names the layer when the exporter refuses one."""
    import copy

    import onnx
    import torch

    torch_dtype = torch.float16 if dtype == "float16" else torch.float32
    if dtype == "float16":
        check_float16_range(model)
    model = copy.deepcopy(model).to(torch_dtype).eval() if dtype == "float16" else model.eval()
    wrapper = _wrapper(model, direction, torch_dtype)
    inputs = example_inputs(model, direction)
    batch = torch.export.Dim("batch", min=1, max=65536)
    dynamic = {key: {0: batch} for key in inputs}
    output_name = "translated" if model.task == "image-to-image" else "image"
    quiet = io.StringIO()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            warnings.simplefilter("ignore")
            program = torch.onnx.export(wrapper, tuple(inputs.values()), input_names=list(inputs),
                                        output_names=[output_name], dynamic_shapes=dynamic, opset_version=opset,
                                        dynamo=True, verbose=False)
    except Exception as exc:  # the exporter's own errors are long and internal: name the family and the op
        raise ExportError(f"{getattr(model, 'registry_name', type(model).__name__)} cannot be exported to ONNX: "
                          f"{_export_reason(exc)}") from None
    if program is None:
        raise ExportError("the ONNX exporter returned no program")
    proto = program.model_proto
    for key, value in (metadata or {}).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    proto.doc_string = (metadata or {}).get("ganzoo.summary", "a ganzoo generator")
    with atomic_path(target) as tmp:
        onnx.save_model(proto, str(tmp))
    return target


def check_float16_range(model: Any) -> None:
    """Refuse ``--dtype float16`` for weights float16 cannot hold: they would become inf and every output NaN."""
    import torch

    limit = torch.finfo(torch.float16).max
    for key, tensor in model.state_dict().items():
        if tensor.is_floating_point() and tensor.numel():
            largest = float(tensor.detach().abs().max())
            if largest > limit:
                raise UsageError(f"tensor {key!r} holds {largest:.4g}, beyond float16's range ({limit:g}), so a "
                                 f"float16 model would output NaN; export with --dtype float32")


def _export_reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    for marker in ("Unsupported", "unsupported", "not supported", "No decomposition"):
        if marker in text:
            start = text.index(marker)
            return text[max(0, start - 80):start + 160]
    return f"{type(exc).__name__}: {text[:240]}"


def _metadata(opened: Any, direction: str | None, dtype: str, opset: int) -> dict[str, str]:
    """``ganzoo.*`` facts for the file's metadata_props: strings, JSON where structured."""
    from ganzoo.version import __version__

    model = opened.model
    facts: dict[str, Any] = {
        "ganzoo.version": __version__,
        "ganzoo.name": opened.label,
        "ganzoo.architecture": opened.provenance.get("architecture"),
        "ganzoo.task": model.task,
        "ganzoo.dtype": dtype,
        "ganzoo.opset": opset,
        "ganzoo.image_shape": list(model.image_shape),
        "ganzoo.latent_dim": getattr(model, "latent_dim", 0),
        "ganzoo.value_range": "[-1, 1]; pixels = (x + 1) * 127.5",
    }
    if direction is not None:
        from ganzoo.translation import describe_direction, domains_of

        facts["ganzoo.direction"] = direction
        facts["ganzoo.direction_description"] = describe_direction(direction, domains_of(model))
        facts["ganzoo.input_shape"] = list(model.input_shape_for(direction))
    checkpoint = opened.checkpoint
    if checkpoint is not None:
        facts["ganzoo.classes"] = checkpoint.classes
        facts["ganzoo.dataset"] = checkpoint.dataset_name
        facts["ganzoo.metrics"] = checkpoint.metrics
        facts["ganzoo.summary"] = f"{opened.label}: {facts['ganzoo.architecture']} ({model.task}) trained with ganzoo"
    facts["ganzoo.config"] = opened.config
    return {key: value if isinstance(value, str) else json.dumps(value, default=str)
            for key, value in facts.items() if value is not None}


def bundle_onnx(folder: str | os.PathLike[str], *, name: str | None = None, required: bool = False) -> Path | None:
    """Write ``generator.onnx`` and its record ``generator.onnx.json`` into a checkpoint folder.

    The generator is traced as :func:`ganzoo.hub.pretrained.load_pretrained` loads it from the
    folder (weights stored in float16 are traced as the float32 values PyTorch computes with), so
    both backends of ``ganzoo pretrained NAME sample`` run the same numbers. The record pins the
    file's sha256 and the weights it came from (:mod:`ganzoo.hub.fast`). Returns ``None`` when
    the onnx extra is missing, the model is not a noise-to-image generator, or the exporter
    refuses it; ``required=True`` makes those errors instead.

    >>> bundle_onnx("OUT/dcgan-fashion")          # doctest: +SKIP
    """
    from ganzoo.hub.fast import ONNX_FILE, write_record
    from ganzoo.hub.resolve import open_model

    folder = Path(folder)
    try:
        check_onnx_support()
    except UsageError:
        if required:
            raise
        return None
    opened = open_model(str(folder.resolve()), accept=("checkpoint",))
    model = opened.model.eval()
    noise = getattr(model, "latent_distribution", None) == "normal" and getattr(model, "latent_dim", 0)
    if model.task not in ("unconditional", "class-conditional") or not noise:
        if required:
            raise UsageError(f"{name or folder.name} is {model.task}: only generators of Gaussian noise are "
                             "bundled as generator.onnx (the file 'ganzoo onnx' writes serves the others)")
        return None
    metadata = _metadata(opened, None, "float32", OPSET)
    metadata["ganzoo.name"] = name or folder.name
    try:
        write_onnx(model, folder / ONNX_FILE, metadata=metadata)
    except ExportError:
        if required:
            raise
        return None
    write_record(folder, opset=OPSET, dtype="float32")
    return folder / ONNX_FILE
