"""Walks through a generator's latent space: seeded waypoints, spherical or linear paths, class blends.

A *path* starts at one latent and passes through each waypoint in turn; each leg has ``steps``
frames with both its ends, and a leg's last frame is the next one's first, so a path of ``k``
waypoints has ``(k - 1) * (steps - 1) + 1`` frames (``k * (steps - 1)`` when it loops back).
Several paths are walked at once, one per row of the output, so that the rows of an animation
move together.

Why spherical by default: Gaussian latents of dimension ``d`` lie near the sphere of radius
``sqrt(d)``; a straight line between two of them passes close to the origin, through latents the
generator never saw in training (their norm shrinks by about ``1/sqrt(2)`` half-way), and the
images there fade. ``slerp`` follows the great circle instead and keeps the norm (White 2016,
"Sampling generative networks").

Waypoints are drawn from seeds: waypoint seed ``s`` gives ``torch.Generator().manual_seed(s)``'s
first ``rows`` latents, one per path, exactly as ``model.sample_latent(rows)`` would (truncated
when asked), so the same seeds give the same walk on any machine. For class-conditional models
a path keeps its class, or blends two classes at a fixed latent (:func:`class_blend`), by mixing
the rows of the generator's label embeddings.

    >>> frames = walk(model, seeds=[0, 1, 2], steps=16, rows=4)     # doctest: +SKIP
    >>> frames.shape                                                # [frames, rows, C, H, W]
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from ganzoo.errors import UsageError

if TYPE_CHECKING:
    from torch import Tensor, nn

MODES = ("slerp", "linear")
#: The most frames a walk may have (a GIF of 28x28 rows stays a few MB at this length).
MAX_FRAMES = 2000
#: The most paths a walk may have (rows of the animation).
MAX_ROWS = 64


def slerp(a: "Tensor", b: "Tensor", t: "Tensor") -> "Tensor":
    """Spherical interpolation between rows of ``a`` and ``b`` ``[N, D]`` at fractions ``t`` ``[T]``: ``[T, N, D]``.

    The norm is interpolated linearly and the direction along the great circle; nearly parallel
    rows (angle below 1e-4 rad) fall back to a straight line, where both agree.
    """
    import torch

    a64, b64, t64 = a.double(), b.double(), t.double().reshape(-1, 1, 1)
    norm_a, norm_b = a64.norm(dim=-1, keepdim=True), b64.norm(dim=-1, keepdim=True)
    unit_a, unit_b = a64 / norm_a.clamp_min(1e-12), b64 / norm_b.clamp_min(1e-12)
    omega = torch.arccos((unit_a * unit_b).sum(-1, keepdim=True).clamp(-1.0, 1.0))
    sin_omega = torch.sin(omega)
    small = sin_omega.abs() < 1e-4
    safe = torch.where(small, torch.ones_like(sin_omega), sin_omega)
    wa = torch.where(small, 1 - t64, torch.sin((1 - t64) * omega) / safe)
    wb = torch.where(small, t64, torch.sin(t64 * omega) / safe)
    direction = wa * unit_a + wb * unit_b
    direction = direction / direction.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    radius = (1 - t64) * norm_a + t64 * norm_b
    result: Tensor = (direction * radius).to(a.dtype)
    return result


def lerp(a: "Tensor", b: "Tensor", t: "Tensor") -> "Tensor":
    """Straight-line interpolation, shaped like :func:`slerp`'s result."""
    t = t.to(a.dtype).reshape(-1, 1, 1)
    return (1 - t) * a + t * b


def check_walk(mode: str, steps: int, waypoints: int, rows: int, loop: bool = False) -> int:
    """The number of frames of a walk, after checking its shape; one-line errors name the option to change."""
    if mode not in MODES:
        raise UsageError(f"unknown interpolation mode {mode!r}; choose slerp (spherical, the default) or linear")
    if steps < 2:
        raise UsageError(f"--steps must be at least 2 (frames per leg, both ends included), got {steps}")
    if waypoints < 2 and not loop:
        raise UsageError("a walk needs at least two waypoints: give two seeds or more, like --seeds 0,1")
    if not 1 <= rows <= MAX_ROWS:
        raise UsageError(f"--rows must be between 1 and {MAX_ROWS}, got {rows}")
    legs = waypoints if loop else waypoints - 1
    frames = legs * (steps - 1) + (0 if loop else 1)
    if frames > MAX_FRAMES:
        raise UsageError(f"that walk has {frames} frames, more than {MAX_FRAMES}; use fewer --steps or waypoints")
    return frames


def path_through(waypoints: "Tensor", steps: int, *, mode: str = "slerp", loop: bool = False) -> "Tensor":
    """Frames through ``waypoints`` ``[K, N, D]`` (K waypoints of N paths): ``[frames, N, D]``.

    Each leg holds ``steps`` frames with both ends; a leg's last frame is the next leg's first,
    so it appears once. ``loop`` adds the leg back to the first waypoint (and leaves out the
    repeated last frame, so the animation cycles without a stall).
    """
    import torch

    count = waypoints.shape[0]
    check_walk(mode, steps, count, waypoints.shape[1], loop)
    blend = slerp if mode == "slerp" else lerp
    t = torch.linspace(0, 1, steps, dtype=torch.float64)
    legs = [(waypoints[i], waypoints[(i + 1) % count]) for i in range(count if loop else count - 1)]
    frames = [blend(a, b, t)[:-1] for a, b in legs]
    if not loop:
        frames.append(waypoints[-1:])
    return torch.cat(frames)


def seeded_waypoints(model: "nn.Module", seeds: Sequence[int], rows: int, *,
                     truncation: float | None = None) -> "Tensor":
    """``[len(seeds), rows, latent_dim]``: for each seed, the first ``rows`` latents the model draws from it."""
    import torch

    if not getattr(model, "latent_dim", 0):
        raise UsageError(f"{getattr(model, 'registry_name', type(model).__name__)} has no latent space to walk; "
                         "interpolation is for models that sample from noise")
    points = []
    for seed in seeds:
        generator = torch.Generator().manual_seed(int(seed))
        if truncation is None:
            points.append(model.sample_latent(rows, generator=generator, device="cpu"))  # type: ignore[operator]
        else:
            points.append(model.sample_latent(rows, generator=generator, device="cpu",  # type: ignore[operator]
                                              truncation=truncation))
    return torch.stack(points)


def _embeddings(generator: "nn.Module") -> list["nn.Embedding"]:
    from torch import nn

    return [m for m in generator.modules() if isinstance(m, nn.Embedding)]


@contextlib.contextmanager
def class_blend(model: "nn.Module", start: "Tensor", end: "Tensor", weight: "Tensor") -> Iterator[None]:
    """While inside, the generator's label embeddings give ``(1 - w) E[start] + w E[end]`` for each image.

    ``start``, ``end`` and ``weight`` have one entry per image of the next ``generate`` call.
    Every ``nn.Embedding`` that sampling reads (see :func:`ganzoo.models.sampling_module`) is
    blended (cgan's label embedding, SNGAN-projection's conditional batch-norm gains and biases
    alike), so any family that reads its class through embeddings can be walked from class to class.
    """
    inner = getattr(model, "model", model)  # a PretrainedGAN wraps its GAN
    if hasattr(inner, "sampling_modules"):
        from ganzoo.models import sampling_module

        embeddings = _embeddings(sampling_module(inner))  # an embedding kept beside the generator too
    else:
        embeddings = _embeddings(getattr(model, "generator", model))
    if not embeddings:
        raise UsageError(f"{getattr(model, 'registry_name', type(model).__name__)} reads its classes without "
                         "an embedding, so classes cannot be blended; walk its latents with a fixed class instead")

    def hook(module: "nn.Module", _inputs: tuple[object, ...], output: "Tensor") -> "Tensor":
        table: Tensor = module.weight  # type: ignore[assignment]
        w = weight.to(table.device, table.dtype).reshape(-1, *([1] * (output.dim() - 1)))
        return (1 - w) * table[start.to(table.device)] + w * table[end.to(table.device)]

    handles = [e.register_forward_hook(hook) for e in embeddings]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def walk(model: "nn.Module", *, seeds: Sequence[int] = (0, 1), steps: int = 16, rows: int = 1,
         mode: str = "slerp", loop: bool = False, latents: "Tensor | None" = None,
         labels: "Tensor | None" = None, classes: tuple[int, int] | None = None,
         truncation: float | None = None, batch_size: int = 256) -> "Tensor":
    """Images along the walk, ``[frames, rows, C, H, W]`` in [-1, 1], in eval mode.

    * ``latents`` ``[K, rows, D]`` (or ``[K, D]`` for one row) replace the seeded waypoints;
    * ``labels`` ``[rows]`` fix each path's class (class-conditional models; default: row ``r``
      shows class ``r`` modulo the number of classes);
    * ``classes=(a, b)`` walks from class ``a`` to class ``b`` at each row's first waypoint
      instead of walking the latents, ``steps`` frames.
    """
    import torch

    if latents is not None:
        waypoints = latents.float().cpu()
        if waypoints.dim() == 2:
            waypoints = waypoints[:, None, :]
        if waypoints.dim() != 3 or waypoints.shape[-1] != getattr(model, "latent_dim", -1):
            raise UsageError(f"saved latents must be [waypoints, rows, {getattr(model, 'latent_dim', '?')}] or "
                             f"[waypoints, {getattr(model, 'latent_dim', '?')}], got {list(latents.shape)}")
        rows = waypoints.shape[1]
    else:
        waypoints = seeded_waypoints(model, seeds, rows, truncation=truncation)
    num_classes = int(getattr(model, "num_classes", 0) or 0)
    if (labels is not None or classes is not None) and not num_classes:
        raise UsageError("classes are for class-conditional models; this one takes no labels, so drop --class")
    if num_classes and labels is None:
        labels = torch.arange(rows) % num_classes
    if labels is not None:
        labels = torch.as_tensor(labels, dtype=torch.long).reshape(-1)
        if labels.numel() != rows:
            labels = labels.repeat(-(-rows // labels.numel()))[:rows]
        if int(labels.min()) < 0 or int(labels.max()) >= num_classes:
            raise UsageError(f"class indices must be 0-{num_classes - 1}")
    if classes is not None:
        check_walk(mode, steps, 2, rows)
        z = waypoints[0].expand(steps, rows, -1)
        weight = torch.linspace(0, 1, steps).repeat_interleave(rows)
        start = torch.full((steps * rows,), int(classes[0]), dtype=torch.long)
        end = torch.full((steps * rows,), int(classes[1]), dtype=torch.long)
    else:
        z = path_through(waypoints, steps, mode=mode, loop=loop).float()
        weight = start = end = None  # type: ignore[assignment]
    frames = z.shape[0]
    flat_z = z.reshape(frames * rows, -1)
    flat_labels = None if labels is None else labels.repeat(frames)
    out = []
    for first in range(0, flat_z.shape[0], batch_size):
        part = slice(first, first + batch_size)
        batch_labels = None if flat_labels is None else flat_labels[part]
        if weight is not None and start is not None and end is not None:
            with class_blend(model, start[part], end[part], weight[part]):
                out.append(model.sample(z=flat_z[part], labels=start[part]).float().cpu())  # type: ignore[operator]
        else:
            out.append(model.sample(z=flat_z[part], labels=batch_labels).float().cpu())  # type: ignore[operator]
    images = torch.cat(out)
    return images.reshape(frames, rows, *images.shape[1:])
