"""Checks on every registered architecture: the family contract of docs/plugins.md."""

from __future__ import annotations

import json
import math
import os
from typing import TYPE_CHECKING, Any

from ganzoo.testing.framework import GAN_TASKS, CheckContext, ConformanceError, conformance_check
from ganzoo.testing.framework import expect as _expect

if TYPE_CHECKING:
    from torch import nn


def _module_shapes(model: "nn.Module") -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


@conformance_check("architectures", "builds-with-defaults")
def _builds_with_defaults(ctx: CheckContext) -> None:
    """The factory builds with no arguments and says what it is (task, image_shape, config)."""
    import torch

    torch.manual_seed(0)
    if ctx.task == "style-transfer":
        model = _style_defaults(ctx)
    else:
        model = ctx.factory()()
    _expect(isinstance(model, torch.nn.Module), f"factory returned {type(model).__name__}, not an nn.Module")
    _check_declarations(ctx, model)


def _style_defaults(ctx: CheckContext) -> Any:
    """Style-transfer defaults usually mean pretrained feature weights (VGG19 on ImageNet).

    The check never downloads them (``HF_HUB_OFFLINE=1`` while building). Where they are not
    on this machine, a one-line :class:`~ganzoo.errors.GanzooError` saying where to get them is
    the contract; the tiny build (``test_kwargs``) stands in for the declarations.
    """
    from ganzoo.errors import GanzooError

    previous = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        return ctx.factory()()
    except GanzooError as exc:
        _expect(bool(str(exc)) and "\n" not in str(exc), f"the error without default weights must be one line: {exc!r}")
        return ctx.build()
    finally:
        if previous is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = previous


def _check_declarations(ctx: CheckContext, model: Any) -> None:
    declared = getattr(model, "task", None)
    _expect(declared == ctx.task, f"model.task is {declared!r} but the registry metadata says {ctx.task!r}")
    _expect(isinstance(getattr(model, "config", None), dict), "model.config must be a dict of constructor kwargs")
    if ctx.task in GAN_TASKS:
        for part in ("generator", "discriminator"):
            _expect(hasattr(model, part), f"a {ctx.task} model needs a .{part}")
        shape = tuple(getattr(model, "image_shape", ()))
        _expect(
            len(shape) == 3 and all(isinstance(s, int) and s > 0 for s in shape),
            f"image_shape must be (C, H, W) of positive ints, got {shape}",
        )
    if ctx.task == "style-transfer":
        _expect(callable(getattr(model, "transfer", None)), "a style-transfer model needs a transfer method")
    sizes = ctx.spec.metadata.get("image_sizes") if ctx.spec else None
    if sizes and ctx.task in GAN_TASKS and not ctx.test_kwargs:
        size = model.image_shape[-1]
        _expect(size in sizes, f"default image size {size} not in image_sizes {sizes}")


@conformance_check("architectures", "builds-tiny")
def _builds_tiny(ctx: CheckContext) -> None:
    """The tiny test configuration builds too (it is what the other checks use)."""
    _check_declarations(ctx, ctx.build())


@conformance_check("architectures", "samples", tasks=GAN_TASKS)
def _samples(ctx: CheckContext) -> None:
    """``sample`` gives finite images of ``image_shape`` in [-1, 1], repeatable with a seed."""
    import torch

    model = ctx.build()
    model.train()
    n = 3
    if ctx.task == "image-to-image":
        inputs = ctx.batch(model, n)["source"]
        first = model.sample(inputs=inputs, generator=torch.Generator().manual_seed(0))
        again = model.sample(inputs=inputs, generator=torch.Generator().manual_seed(0))
    else:
        first = model.sample(n, generator=torch.Generator().manual_seed(0))
        again = model.sample(n, generator=torch.Generator().manual_seed(0))
    expected = (n, *model.image_shape)
    _expect(tuple(first.shape) == expected, f"sample gave shape {tuple(first.shape)}, expected {expected}")
    _expect(bool(torch.isfinite(first).all()), "sample gave NaN or inf")
    _expect(float(first.min()) >= -1.0 and float(first.max()) <= 1.0,
            f"sample left [-1, 1]: [{float(first.min()):.3f}, {float(first.max()):.3f}]")
    _expect(torch.equal(first, again), "sample with the same seeded generator gave different images")
    _expect(model.training, "sample must restore training mode")
    _expect(not first.requires_grad, "sample must run without autograd")


@conformance_check("architectures", "transfers", tasks=("style-transfer",))
def _transfers(ctx: CheckContext) -> None:
    """``transfer(content, style, steps=, seed=)`` restyles a tiny image: its shape, in [-1, 1], per seed."""
    import torch

    model = ctx.build()
    generator = torch.Generator().manual_seed(1)
    content = torch.rand(3, 24, 32, generator=generator) * 2 - 1
    style = torch.rand(3, 20, 20, generator=generator) * 2 - 1
    first = model.transfer(content, style, steps=2, seed=0)
    again = model.transfer(content, style, steps=2, seed=0)
    _expect(tuple(first.shape) == (3, 24, 32), f"transfer gave shape {tuple(first.shape)}, expected (3, 24, 32)")
    _expect(bool(torch.isfinite(first).all()), "transfer gave NaN or inf")
    _expect(float(first.min()) >= -1.0 and float(first.max()) <= 1.0, "transfer left [-1, 1]")
    _expect(not torch.equal(first, content), "transfer returned the content unchanged")
    _expect(torch.equal(first, again), "transfer with the same seed gave different images")
    _expect(not first.requires_grad, "transfer must return an image without autograd history")


@conformance_check("architectures", "discriminates", tasks=("unconditional", "class-conditional"))
def _discriminates(ctx: CheckContext) -> None:
    """``discriminate`` gives one finite logit per image: shape ``[N]``."""
    import torch

    model = ctx.build()
    batch = ctx.batch(model, 3)
    logits = model.discriminate(batch["image"], batch.get("label"))
    _expect(tuple(logits.shape) == (3,), f"discriminate gave shape {tuple(logits.shape)}, expected (3,)")
    _expect(bool(torch.isfinite(logits).all()), "discriminate gave NaN or inf")


@conformance_check("architectures", "losses", tasks=GAN_TASKS)
def _losses(ctx: CheckContext) -> None:
    """``d_loss``/``g_loss`` give finite scalars whose gradients reach D and G respectively.

    Run with the default objective and with a Wasserstein critic plus gradient penalty, which
    needs double backward through the discriminator.
    """
    import torch

    for objective in (ctx.objective(), ctx.objective("wasserstein", {"gradient-penalty": 10.0})):
        name = type(objective.adversarial).__name__
        model = ctx.build()
        model.train()
        batch = ctx.batch(model, 2)
        for which, part in (("d_loss", "discriminator"), ("g_loss", "generator")):
            model.zero_grad(set_to_none=True)
            loss, logs = getattr(model, which)(batch, objective)
            _expect(isinstance(loss, torch.Tensor) and loss.dim() == 0, f"{which} ({name}) must return a scalar tensor")
            _expect(bool(torch.isfinite(loss.detach())), f"{which} ({name}) is not finite: {float(loss.detach())}")
            _expect(
                isinstance(logs, dict) and all(isinstance(v, float) and math.isfinite(v) for v in logs.values()),
                f"{which} ({name}) logs must map names to finite floats, got {logs!r}",
            )
            loss.backward()
            grads = [p.grad for p in getattr(model, part).parameters() if p.grad is not None]
            _expect(bool(grads) and any(bool(g.abs().sum() > 0) for g in grads),
                    f"{which} ({name}) gives no gradient to the {part}")
            _expect(all(bool(torch.isfinite(g).all()) for g in grads), f"{which} ({name}) gives non-finite gradients")


@conformance_check("architectures", "config-rebuilds")
def _config_rebuilds(ctx: CheckContext) -> None:
    """``config`` survives JSON and rebuilds a model with the same parameter names and shapes."""
    model = ctx.build()
    try:
        text = json.dumps(model.config, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ConformanceError(f"model.config is not JSON-able: {exc}") from exc
    rebuilt = ctx.factory()(**json.loads(text))
    _expect(_module_shapes(rebuilt) == _module_shapes(model), "the model rebuilt from config has other parameters")
    _expect(json.dumps(rebuilt.config, sort_keys=True) == text, "the rebuilt model reports a different config")


@conformance_check("architectures", "safetensors-round-trip")
def _safetensors_round_trip(ctx: CheckContext) -> None:
    """The state dict saves to safetensors and loads strictly into a model rebuilt from config."""
    import torch
    from safetensors.torch import load_file, save_file

    model = ctx.build()
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    path = ctx.tmp_path / "model.safetensors"
    try:
        save_file(state, str(path))
    except Exception as exc:
        raise ConformanceError(f"state_dict cannot be saved as safetensors (shared or odd tensors?): {exc}") from exc
    torch.manual_seed(1)
    fresh = ctx.factory()(**json.loads(json.dumps(model.config)))
    fresh.load_state_dict(load_file(str(path)), strict=True)
    for key, value in fresh.state_dict().items():
        _expect(torch.equal(value, state[key]), f"tensor '{key}' changed in the round trip")


def _same_seed_samples(model: Any, inputs: Any) -> Any:
    """Images of ``model`` for seed 0 (from ``inputs`` for image-to-image models)."""
    import torch

    if model.task == "image-to-image":
        return model.sample(inputs=inputs)
    return model.sample(3, generator=torch.Generator().manual_seed(0))


@conformance_check("architectures", "export-round-trip", tasks=GAN_TASKS)
def _export_round_trip(ctx: CheckContext) -> None:
    """A model rebuilt from its exported files (config.json + generator.safetensors) samples the same images.

    The rebuilt model starts from other random weights, so anything ``generate`` reads that the
    export leaves out (a class embedding beside ``generator`` not listed in ``sampling_modules``)
    makes the images differ.
    """
    import torch

    from ganzoo.hub.checkpoint import checkpoint_config, load_checkpoint, write_checkpoint

    torch.manual_seed(0)
    model = ctx.build().eval()
    inputs = ctx.batch(model, 3)["source"] if model.task == "image-to-image" else None
    folder = ctx.tmp_path / "exported"
    write_checkpoint(folder, model, checkpoint_config(model, architecture=ctx.name))
    torch.manual_seed(1)
    rebuilt, _ = load_checkpoint(folder)
    first, again = _same_seed_samples(model, inputs), _same_seed_samples(rebuilt, inputs)
    gap = float((first - again).abs().max())
    _expect(gap == 0.0, f"the model rebuilt from its exported files samples other images for the same seed "
                        f"(up to {gap:.3g} apart): generate() reads weights the export leaves out; list every "
                        f"attribute it reads in sampling_modules (now {tuple(model.sampling_modules)})")


@conformance_check("architectures", "ema-covers-sampling", tasks=GAN_TASKS)
def _ema_covers_sampling(ctx: CheckContext) -> None:
    """Every parameter ``generate`` (or ``_translate``) reads is in ``sampling_module()``: EMA averages it.

    Found by autograd: each parameter that receives a gradient from the generated images must
    be one EMA copies, export writes and ONNX traces.
    """
    from ganzoo.models import sampling_module
    from ganzoo.train.ema import EMA

    model = ctx.build().eval()
    batch = ctx.batch(model, 2)
    if model.task == "image-to-image":
        outputs = [model._translate(batch["source"] if d.startswith("a") else batch["image"], d)
                   for d in model.directions]
    else:
        outputs = [model.generate(model.sample_latent(2), batch.get("label") if model.num_classes else None)]
    model.zero_grad(set_to_none=True)
    sum(out.float().sum() for out in outputs).backward()
    covered = {id(p) for p in sampling_module(model).parameters()}
    missed = [name for name, p in model.named_parameters() if p.grad is not None and id(p) not in covered]
    _expect(not missed, f"generate() reads parameter(s) {', '.join(missed[:3])} that sampling_modules "
                        f"{tuple(model.sampling_modules)} leaves out, so EMA, export and ONNX would lose them; "
                        f"add their attribute to sampling_modules")
    averaged = EMA(sampling_module(model), 0.999).module
    names = [name for name, _ in sampling_module(model).named_parameters()]
    _expect([name for name, _ in averaged.named_parameters()] == names,
            "the EMA copy does not hold the same parameters as sampling_module()")
    model.zero_grad(set_to_none=True)
