"""``ganzoo export``: a training run becomes a checkpoint folder (config, weights, card, samples)."""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ganzoo.devices import cpu_name
from ganzoo.errors import GanzooError, UsageError
from ganzoo.hub.card import write_card
from ganzoo.hub.checkpoint import checkpoint_config, load_checkpoint, write_checkpoint
from ganzoo.hub.config import DatasetRecord
from ganzoo.hub.record import PINS_NAME, seal, update_pin
from ganzoo.io import current_umask, replace_dir
from ganzoo.outputs import check_replaced_folder, writing


def _command_line(argv: Any) -> str | None:
    """The training command as a user would type it: ``ganzoo train ...``, not a venv path."""
    if not isinstance(argv, list) or not argv:
        return argv if isinstance(argv, str) else None
    program = Path(str(argv[0])).name
    if program in {"ganzoo", "__main__.py", "ganzoo.exe"} or program.startswith("python"):
        argv = ["ganzoo", *argv[1:]]
    return shlex.join(str(a) for a in argv)


def _training_facts(run_config: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    recorded = run_config.get("dataset") or {}
    return {
        # a run records a table (a hand-written config may give a bare name, kept as it is)
        "dataset": (DatasetRecord.of(recorded) or DatasetRecord(None)).as_training_record()
        if isinstance(recorded, dict) else recorded,
        "command": _command_line(run_config.get("argv")),
        "steps": state.get("step"),
        "epochs": state.get("epoch"),
        "seed": run_config.get("seed"),
        "batch_size": run_config.get("batch_size"),
        "loss": run_config.get("loss"),
        "optimizer": run_config.get("optimizer"),
        "precision": run_config.get("precision"),
        "ganzoo_version": run_config.get("ganzoo_version"),
        # what training cost, as the checkpoint counted it (absent from runs before --max-minutes)
        "train_seconds": state.get("train_seconds"),
        "images_seen": state.get("images_seen"),
        "device": run_config.get("device"),
        "cpu": cpu_name() if str(run_config.get("device") or "cpu").startswith("cpu") else None,
    }



def _evaluate(model: Any, dataset: DatasetRecord | None, evaluation: dict[str, Any]) -> list[dict[str, Any]]:
    """Score the exported generator against its dataset's test split (or the given reference).

    An image-to-image model translates the test split's inputs instead, and is scored against
    their targets (:func:`ganzoo.eval.translation.evaluate_translation`).
    """
    from ganzoo.eval.api import evaluate
    from ganzoo.eval.results import checkpoint_metrics
    from ganzoo.translation import is_translator

    dataset_name = dataset.name if dataset else None
    features = _features(evaluation.get("feature"))
    rows: list[dict[str, Any]] = []
    if is_translator(model):
        from ganzoo.eval.translation import evaluate_translation

        for index, feature in enumerate(features):
            translated = evaluate_translation(
                model,
                dataset=evaluation.get("reference") or dataset_name,
                dataset_options=None if evaluation.get("reference") or dataset is None else dataset.options,
                metrics=_metrics_for(evaluation["metrics"], first=index == 0),
                num_samples=int(evaluation.get("num_samples") or 10_000),
                feature=feature,  # None: the dataset's own extractor
            )
            rows += translated.checkpoint_metrics()
        return rows
    reference = evaluation.get("reference") or (f"{dataset_name}:test" if dataset_name else None)
    if reference is None:
        raise UsageError("the run does not name its dataset; pass --reference DATASET:SPLIT or an image folder")
    for index, feature in enumerate(features):
        # truncated scores only in the first feature space: each further one costs a full pass
        truncations = (evaluation.get("truncations") or []) if index == 0 else []
        for truncation in [None, *truncations]:  # untruncated first: what cards lead with
            results = evaluate(
                model,
                metrics=_metrics_for(evaluation["metrics"], first=index == 0),
                num_samples=int(evaluation.get("num_samples") or 10_000),
                reference=reference,
                feature=feature,  # None: the reference dataset's own extractor
                truncation=truncation,
            )
            rows += checkpoint_metrics(results)
    return rows


#: Scored in the first feature space only: metrics that read a classifier's decisions or pixels, not
#: features, and IS, which needs logits that the offline Inception weights do not carry.
_FIRST_FEATURE_ONLY = {"class-accuracy", "acc", "class-agreement", "l1", "is"}


def _features(text: str | None) -> list[str | None]:
    """``"fmnist-cnn,inception"`` -> both, in order; nothing -> the dataset's own extractor."""
    names = [part.strip() for part in (text or "").split(",") if part.strip()]
    return list(dict.fromkeys(names)) or [None]


def _metrics_for(metrics: str, *, first: bool) -> str:
    """The first feature space scores every metric; each further one its feature-space metrics only."""
    if first:
        return metrics
    kept = [name.strip() for name in metrics.split(",") if name.strip().lower() not in _FIRST_FEATURE_ONLY]
    return ",".join(kept)


#: The files of a checkpoint folder besides its weights (what ``--overwrite`` may replace).
_CHECKPOINT_FILES = ("config.json", "README.md", "samples.png")
#: Endings of the weights export writes: safetensors, and the ONNX generator with its record.
_CHECKPOINT_ENDINGS = (".safetensors", ".onnx", ".onnx.json")


def _ours(entry: Path) -> bool:
    """An entry of a checkpoint folder that ``ganzoo export`` writes; anything else (``.git``) is the user's."""
    if not entry.is_file() or entry.is_symlink():
        return False
    return entry.name in _CHECKPOINT_FILES or entry.name.endswith(_CHECKPOINT_ENDINGS)


def _is_zoo_name(name: str) -> bool:
    from ganzoo.plugins import get_registry

    return name in get_registry("pretrained")


def export_run(
    run_dir: str | Path,
    out_dir: str | Path,
    *,
    ema: bool | None = None,
    checkpoint: str | None = None,
    dtype: str = "float32",
    include_discriminator: bool = False,
    name: str | None = None,
    overwrite: bool = False,
    metrics: list[dict[str, Any]] | None = None,
    evaluation: dict[str, Any] | None = None,
    onnx: bool | None = None,
) -> Path:
    """Write the checkpoint folder of ``run_dir`` to ``out_dir``; EMA weights when the run has them.

    The folder is built in a temporary sibling and moved into place at the end, so an existing
    ``out_dir`` is only replaced (with ``overwrite``) once the new one is complete. ``metrics``
    are recorded as given; ``evaluation`` (``{"metrics": "fid,kid", "num_samples": ...,
    "reference": ..., "feature": ...}``) computes them first with :func:`ganzoo.eval.evaluate`.
    ``onnx`` adds ``generator.onnx`` (and its record) for the torch-free sampler of ``ganzoo
    pretrained NAME sample``: ``None`` when the onnx extra is installed and the exporter takes the
    model, ``True`` always (an error otherwise), ``False`` never.
    """
    from ganzoo.hub.pretrained import PretrainedGAN
    from ganzoo.hub.resolve import open_model, parse_model_name

    out_dir = Path(out_dir)
    # Before the run loads (and long before --metrics): OUT_DIR, replaced as a whole, must neither
    # hold nor lie inside the run or the reference images, and it must be writable.
    inputs = [Path(run_dir)]
    reference = (evaluation or {}).get("reference")
    if reference and Path(reference).exists():
        inputs.append(Path(reference))
    check_replaced_folder(out_dir, overwrite=overwrite, inputs=inputs, option="OUT_DIR", ours=_ours,
                          maker="ganzoo export")
    opened = open_model(parse_model_name(run_dir, accept=("run",)), ema=ema, checkpoint=checkpoint)
    model, run_config, state = opened.model, opened.config, opened.state
    used_ema = bool(state.get("ema_loaded"))
    dataset = DatasetRecord.of(run_config.get("dataset"))
    dataset_name = dataset.name if dataset else None
    classes = None
    if model.num_classes:
        # The run's own class names first: a classes= subset is relabelled 0..k-1 in class order.
        classes = dataset.info.get("classes") if dataset else None
        if not classes and dataset_name:
            from ganzoo.plugins import get_registry

            registry = get_registry("datasets")
            if dataset_name in registry:
                classes = registry.get(dataset_name).metadata.get("classes")
        if classes and len(classes) != model.num_classes:
            classes = None  # names that do not match the model would mislabel every class
    config = checkpoint_config(
        model,
        architecture=run_config["architecture"]["name"],
        weights_dtype=dtype,
        ema=used_ema,
        classes=classes,
        training=_training_facts(run_config, state),
        metrics=metrics if metrics is not None else run_config.get("metrics_for_export"),
    )
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    except OSError as exc:
        raise GanzooError(f"could not create {out_dir} ({exc.strerror or exc}); choose another OUT_DIR") from None
    os.chmod(staging, 0o777 & ~current_umask())
    try:
        with writing(out_dir, "OUT_DIR"):
            # The weights go to disk first; everything after reads them back, as users will.
            write_checkpoint(staging, model, config, include_discriminator=include_discriminator)
            reloaded, written = load_checkpoint(staging, discriminator=include_discriminator)
            check_reloaded(model, reloaded, dtype)
            if evaluation:
                written["metrics"] = _evaluate(reloaded, dataset, evaluation)
            pretrained = PretrainedGAN(written, reloaded)
            pretrained.name = name or out_dir.name
            in_zoo = (name and _is_zoo_name(name)) or (out_dir.parent / PINS_NAME).is_file()  # a zoo folder
            pretrained.load_as = pretrained.name if in_zoo else f"./{out_dir.name}"
            pretrained.save_pretrained(staging)
            if include_discriminator:  # save_pretrained wrote the generator's record only
                write_checkpoint(staging, reloaded, written, include_discriminator=True)
            if onnx is not False:
                from ganzoo.publish.onnx import bundle_onnx

                bundle_onnx(staging, name=pretrained.name, required=bool(onnx))
            seal(staging)
            write_card(staging, name=pretrained.name, load_as=pretrained.load_as,
                       samples_note=pretrained._samples_note)
            replace_dir(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    update_pin(out_dir)
    return out_dir


def refresh_record(folder: str | Path, *, name: str | None = None, load_as: str | None = None) -> str | None:
    """After a checkpoint folder's files changed: list them in its record, re-render its card, re-pin it.

    What scripts run after they add a file (``generator.onnx``) or a metric to a zoo folder, so
    no hash, size or metric is ever copied by hand. Returns the new pin (``None`` outside a zoo).
    """
    folder = Path(folder)
    seal(folder)
    write_card(folder, name=name or folder.name, load_as=load_as or name or folder.name)
    return update_pin(folder)


#: How far the reloaded generator's images may be from the in-memory one's: float32 weights are
#: the same numbers; float16/bfloat16 round every weight (about 1e-3 / 1e-2 relative).
_RELOAD_TOLERANCE = {"float32": 1e-4, "float16": 0.05, "bfloat16": 0.25}


def check_reloaded(model: Any, reloaded: Any, dtype: str) -> None:
    """The folder just written must rebuild a generator that makes what the trained one made.

    Compares images for one seed (translations of one input batch, for image-to-image models);
    a difference beyond what the storage dtype's rounding explains means the folder does not
    hold this model (a family whose sampling reads weights export does not write), so nothing
    is published.
    """
    import torch

    from ganzoo.translation import is_translator, translate

    with torch.no_grad():
        if is_translator(model):
            source = torch.Generator().manual_seed(0)
            inputs = torch.rand((2, *tuple(getattr(model, "input_shape", None) or model.image_shape)),
                                generator=source) * 2 - 1
            before, after = (translate(m, inputs) for m in (model, reloaded))
        else:
            from ganzoo.noise import draw_inputs

            z, labels = draw_inputs(4, int(model.latent_dim), seed=0, num_classes=model.num_classes)
            label_tensor = None if labels is None else torch.from_numpy(labels)
            before, after = (m.sample(z=torch.from_numpy(z).to(next(m.parameters()).device), labels=label_tensor)
                             for m in (model, reloaded))
    gap = float((before.float().cpu() - after.float().cpu()).abs().mean())
    limit = _RELOAD_TOLERANCE.get(dtype, 0.25)
    if not gap <= limit:
        raise GanzooError(f"the exported folder does not reproduce the model: its images differ from the trained "
                          f"generator's by {gap:.3g} on average (at most {limit} is rounding to {dtype}); "
                          f"nothing was written. Report it to the family's plugin")
