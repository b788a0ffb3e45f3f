"""The family contract: the base class every GAN family builds on, and model construction.

A family's registered factory returns a :class:`GAN`: one ``nn.Module`` that owns its
``generator`` and ``discriminator`` and knows its own losses (``d_loss``/``g_loss``), so the
training engine can train any family without knowing it. Unconditional and class-conditional
families only implement ``generate`` and ``discriminate``; image-to-image families subclass
:class:`ImageToImageGAN`, implement ``_translate`` and override ``d_loss``/``g_loss``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from ganzoo.errors import PluginError, UsageError
from ganzoo.losses import Objective
from ganzoo.noise import check_truncation_bound
from ganzoo.plugins import get_registry, plugin_code
from ganzoo.sharing import SharedFakes
from ganzoo.translation import check_direction

TASKS = ("unconditional", "class-conditional", "image-to-image", "style-transfer")

Logs = dict[str, float]


class GAN(nn.Module):
    """Base class of the GAN families.

    Subclasses call ``super().__init__(config)`` with the keyword arguments that rebuild them
    (they end up in checkpoints' ``config.json``), set ``generator``, ``discriminator``,
    ``latent_dim``, ``image_shape`` (C, H, W) and, for class-conditional models,
    ``num_classes``; then implement :meth:`generate` and :meth:`discriminate`.
    """

    task: ClassVar[str] = "unconditional"
    #: How :meth:`sample_latent` draws latents; truncation is defined for ``"normal"`` only.
    latent_distribution: ClassVar[str] = "normal"
    #: Set by each family's ``__init__`` (declared here for type checkers only).
    generator: nn.Module
    discriminator: nn.Module
    #: The architecture's registry name, set by :func:`build_model` (absent on models built directly).
    registry_name: str
    #: The attributes whose weights :meth:`generate` (or ``_translate``) reads: modules, parameters or
    #: buffers of the model. EMA averages them, export writes them, every loader loads them and ONNX
    #: traces them; a family that keeps a class embedding beside its generator lists both,
    #: ``("generator", "embed")``. See :func:`sampling_module`.
    sampling_modules: ClassVar[tuple[str, ...]] = ("generator",)

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self.config: dict[str, Any] = dict(config)
        self.latent_dim: int = 0
        self.num_classes: int = 0
        self.image_shape: tuple[int, int, int] = (0, 0, 0)

    # -- what a family implements --------------------------------------------------------------
    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """Images in [-1, 1] from latents ``z`` (and ``labels`` when class-conditional)."""
        raise NotImplementedError

    def discriminate(self, images: Tensor, labels: Tensor | None = None) -> Tensor:
        """One logit (or critic score) per image, shape ``[N]``."""
        raise NotImplementedError

    # -- shared behaviour ----------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def sampling_module(self) -> nn.Module:
        """Everything :meth:`generate` reads, as one module (see :func:`sampling_module`)."""
        return sampling_module(self)

    def sample_latent(self, n: int, *, generator: torch.Generator | None = None,
                      device: torch.device | str | None = None, truncation: float | None = None) -> Tensor:
        """Standard-normal latents; pass a seeded ``torch.Generator`` for reproducibility.

        ``truncation=T`` redraws every value outside ``[-T, T]`` until none is left (the
        truncation trick of BigGAN, Brock et al. 2019): less varied, more typical samples.
        """
        device = device or self.device
        z = torch.randn(n, self.latent_dim, generator=generator, device="cpu")
        if truncation is not None:
            z = truncate_normal(z, check_truncation(self, truncation), generator=generator)
        return z.to(device)

    def random_labels(self, n: int, *, generator: torch.Generator | None = None) -> Tensor | None:
        if not self.num_classes:
            return None
        return torch.randint(0, self.num_classes, (n,), generator=generator).to(self.device)

    def _labels(self, batch: dict[str, Tensor]) -> Tensor | None:
        if not self.num_classes:
            return None
        if "label" not in batch:
            raise UsageError("this class-conditional model needs a dataset with labels")
        return batch["label"]

    def d_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """The discriminator's loss on one batch, penalties included, with logs for metrics."""
        real = batch["image"]
        labels = self._labels(batch)
        with torch.no_grad():
            fake = self.generate(self.sample_latent(real.shape[0]), labels)
        real_in, fake_in = objective.noisy(real), objective.noisy(fake)
        real_logits = self.discriminate(real_in, labels)
        fake_logits = self.discriminate(fake_in, labels)
        critic = lambda x: self.discriminate(x, labels)  # noqa: E731
        return discriminator_objective(objective, critic, real_in, fake_in, real_logits, fake_logits)

    def g_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """The generator's loss on one batch (its size and labels come from ``batch``)."""
        n = batch["image"].shape[0]
        labels = self._labels(batch)
        fake = self.generate(self.sample_latent(n), labels)
        loss = generator_adversarial(objective, lambda x: self.discriminate(x, labels), fake, batch["image"])
        return loss, {"g_loss": loss.detach().float().item()}

    @torch.no_grad()
    def sample(
        self,
        n: int | None = None,
        *,
        z: Tensor | None = None,
        labels: Tensor | None = None,
        inputs: Tensor | None = None,
        generator: torch.Generator | None = None,
        truncation: float | None = None,
    ) -> Tensor:
        """``n`` new images in [-1, 1] (or images from the given ``z``), in eval mode.

        ``truncation`` bounds newly drawn latents to ``[-T, T]`` (see :meth:`sample_latent`).
        """
        if inputs is not None:
            raise UsageError(f"{type(self).__name__} is {self.task}; it takes no input images")
        if z is None:
            if n is None:
                raise UsageError("sample() needs n or z")
            # Families may override sample_latent without the truncation keyword: pass it only when asked for.
            if truncation is None:
                z = self.sample_latent(n, generator=generator)
            else:
                z = self.sample_latent(n, generator=generator, truncation=truncation)
        if self.num_classes and labels is None:
            labels = self.random_labels(z.shape[0], generator=generator)
        was_training = self.training
        self.eval()
        try:
            return self.generate(z.to(self.device), None if labels is None else labels.to(self.device)).clamp(-1, 1)
        finally:
            self.train(was_training)


class OneGeneratorPassGAN(GAN):
    """An unconditional family's losses with one generator pass per training step.

    The discriminator step keeps its fakes, with their graph, for the generator step (when
    ``share_fakes`` is true; see :class:`ganzoo.sharing.SharedFakes`), as the reference DCGAN
    loops do, and a discriminator without batch norm scores real and fake images in one pass
    (:func:`score_together`). The maths are the base class's. Subclasses set ``share_fakes``
    in ``__init__``; ``_joint_d_pass`` is worked out from the discriminator on first use.
    """

    share_fakes: bool = True
    _joint_d_pass: bool | None = None

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._shared = SharedFakes()

    def d_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """The base class's discriminator loss with fewer passes; the fakes are kept for :meth:`g_loss`."""
        real = batch["image"]
        n = real.shape[0]
        z = self.sample_latent(n)
        fake = self._shared.make(self.generator, lambda: self.generate(z), share=self.share_fakes, key=(n,))
        real_in, fake_in = objective.noisy(real), objective.noisy(fake.to(real.dtype))
        if self._joint_d_pass is None:
            self._joint_d_pass = not has_batch_norm(self.discriminator)
        if self._joint_d_pass:
            real_logits, fake_logits = score_together(self.discriminate, real_in, fake_in)
        else:
            real_logits, fake_logits = self.discriminate(real_in), self.discriminate(fake_in)
        return discriminator_objective(objective, self.discriminate, real_in, fake_in, real_logits, fake_logits)

    def g_loss(self, batch: dict[str, Tensor], objective: Objective) -> tuple[Tensor, Logs]:
        """The generator's loss, on the fakes the discriminator step just saw while they are still valid."""
        n = batch["image"].shape[0]
        fake = self._shared.take(self.generator, key=(n,))
        if fake is None:
            fake = self.generate(self.sample_latent(n))
        loss = generator_adversarial(objective, self.discriminate, fake, batch["image"])
        return loss, {"g_loss": loss.detach().float().item()}


class ImageToImageGAN(GAN):
    """Base class of the image-to-image families: images of domain A in, images of domain B out.

    Subclasses set ``input_shape`` (C, H, W of the domain A inputs) besides ``image_shape``
    (domain B, the outputs of ``a2b``), ``domains`` (human names of A and B, see
    :meth:`domain_names`) and, for more than one direction, the class attribute ``directions``;
    then implement :meth:`_translate` and override ``d_loss``/``g_loss`` (batches hold
    ``source``, the A image, and ``image``, the B image). The base class supplies
    :meth:`translate`, ``sample(inputs=...)`` and the errors for the noise-driven members an
    image-to-image model does not have.
    """

    task: ClassVar[str] = "image-to-image"
    directions: tuple[str, ...] = ("a2b",)

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.input_shape: tuple[int, int, int] = (0, 0, 0)
        self.domains: dict[str, str] = {}

    # -- what a family implements --------------------------------------------------------------
    def _translate(self, inputs: Tensor, direction: str) -> Tensor:
        """Outputs for ``inputs`` (already checked, on the model's device) in ``direction``."""
        raise NotImplementedError

    # -- shared behaviour ----------------------------------------------------------------------
    @property
    def family(self) -> str:
        """The name errors use: the registered architecture's, else the class's."""
        return str(getattr(self, "registry_name", type(self).__name__))

    @torch.no_grad()
    def translate(self, inputs: Tensor, direction: str = "a2b") -> Tensor:
        """Outputs in [-1, 1] for ``inputs`` in [-1, 1] (``[N, *input_shape_for(direction)]``), in eval mode.

        Eval mode makes an output depend on its own input alone (no dropout, no batch
        statistics); the previous train/eval mode is restored. An unknown ``direction`` or a
        wrong input shape is a one-line usage error. ``ganzoo.translation.translate`` resizes
        and batches arbitrary images before calling this.
        """
        direction = check_direction(self, direction)
        self.check_inputs(inputs, direction)
        was_training = self.training
        self.eval()
        try:
            return self._translate(inputs.to(self.device), direction).clamp(-1, 1)
        finally:
            self.train(was_training)

    def input_shape_for(self, direction: str) -> tuple[int, int, int]:
        """``(C, H, W)`` of ``direction``'s inputs: ``input_shape`` from domain A, ``image_shape`` from B."""
        source = direction.partition("2")[0]
        return tuple(self.image_shape if source == "b" else self.input_shape)  # type: ignore[return-value]

    def check_inputs(self, inputs: Tensor, direction: str = "a2b") -> None:
        """A usage error unless ``inputs`` is a batch of ``direction``'s inputs, ``[N, C, H, W]``."""
        expected = self.input_shape_for(direction)
        if inputs.dim() != 4 or tuple(inputs.shape[1:]) != expected:
            c, h, w = expected
            raise UsageError(f"{self.family} expects input images [N, {c}, {h}, {w}], got {list(inputs.shape)}; "
                             f"resize them to {h}x{w} with {c} channel(s)")

    @torch.no_grad()
    def sample(self, n: int | None = None, *, z: Tensor | None = None, labels: Tensor | None = None,
               inputs: Tensor | None = None, generator: torch.Generator | None = None,
               truncation: float | None = None) -> Tensor:
        """``translate(inputs)`` in the first direction: there is no noise to sample from (nor to truncate)."""
        if truncation is not None:
            raise UsageError(f"{self.family} has no latent space; truncation does not apply to it")
        if inputs is None:
            raise UsageError(f"{self.family} translates images rather than sampling from noise; pass inputs=IMAGES "
                             f"(or call translate(images)), or use 'ganzoo translate MODEL IMAGE -o OUT'")
        return self.translate(inputs, self.directions[0])

    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        raise UsageError(f"{self.family} has no latent space; translate images with translate(inputs, direction)")

    @staticmethod
    def domain_names(family: str, value: Mapping[str, str] | None, default: Mapping[str, str],
                     example: str = '{"a": "edge map", "b": "garment"}') -> dict[str, str]:
        """The ``domains`` option checked: a mapping with exactly the keys ``a`` and ``b`` (``default`` if ``None``)."""
        value = default if value is None else value
        if not isinstance(value, Mapping) or set(value) != {"a", "b"}:
            raise UsageError(f"{family} option domains must name domains a and b, like {example}; got {value!r}")
        return {"a": str(value["a"]), "b": str(value["b"])}


class SamplingParts(nn.Module):
    """A view of several of a model's parts as one module: their state dict keys are prefixed by name.

    It holds the model's own modules, parameters and buffers (no copies), so loading a state dict
    into it loads the model, and ``copy.deepcopy`` of it copies all of them together (EMA).
    """

    def __init__(self, model: nn.Module, names: tuple[str, ...]) -> None:
        super().__init__()
        for name in names:
            part = getattr(model, name)
            if isinstance(part, nn.Parameter):
                self.register_parameter(name, part)
            elif isinstance(part, nn.Module):
                self.add_module(name, part)
            else:
                self.register_buffer(name, part)


def sampling_names(model: nn.Module) -> tuple[str, ...]:
    """The model's declared :attr:`GAN.sampling_modules`, checked; a wrong declaration is its plugin's bug."""
    names = getattr(model, "sampling_modules", ("generator",))
    family = getattr(model, "registry_name", type(model).__name__)
    if isinstance(names, str) or not isinstance(names, (tuple, list)) or not names:
        raise PluginError(f"{family}.sampling_modules must be a tuple of attribute names such as "
                          f"('generator', 'embed'), got {names!r}; this is a bug in the plugin that provides it")
    for name in names:
        part = getattr(model, name, None) if isinstance(name, str) else None
        if not isinstance(part, (nn.Module, torch.Tensor)):
            raise PluginError(f"{family}.sampling_modules names {name!r}, which is not a module, parameter or buffer "
                              f"of the model; this is a bug in the plugin that provides it")
    return tuple(names)


def sampling_module(model: nn.Module) -> nn.Module:
    """The one module holding every weight ``model.generate`` reads: what EMA, export and loaders use.

    For the usual declaration, ``sampling_modules = ("generator",)``, it is ``model.generator``
    itself, so weight files keep the generator's own keys; for more names it is a
    :class:`SamplingParts` whose keys are prefixed by attribute (``generator.net.0.weight``,
    ``embed.weight``), so a file that lacks one of them is refused by name.

    >>> sampling_module(model).state_dict().keys()   # doctest: +SKIP
    """
    names = sampling_names(model)
    if names == ("generator",):
        generator: nn.Module = model.generator  # type: ignore[assignment]
        return generator
    return SamplingParts(model, names)


@contextlib.contextmanager
def sampling_swapped(model: nn.Module, module: nn.Module) -> Iterator[nn.Module]:
    """Temporarily put ``module`` (a copy of :func:`sampling_module`, the EMA one) into ``model``."""
    names = sampling_names(model)
    if names == ("generator",):
        parts = {"generator": module}
    else:
        parts = {name: getattr(module, name) for name in names}
    live = {name: getattr(model, name) for name in names}
    try:
        for name, part in parts.items():
            _put(model, name, part)
        yield model
    finally:
        for name, part in live.items():
            _put(model, name, part)


def _put(model: nn.Module, name: str, part: Any) -> None:
    if name in model._buffers:
        model._buffers[name] = part
    else:
        setattr(model, name, part)


def check_truncation(model: nn.Module, truncation: float) -> float:
    """``truncation`` as a float, refused for models whose latents are not standard normal."""
    name = getattr(model, "registry_name", type(model).__name__)
    distribution = getattr(model, "latent_distribution", None)
    if getattr(model, "task", None) in ("image-to-image", "style-transfer") or not getattr(model, "latent_dim", 0):
        raise UsageError(f"{name} has no latent space to truncate; drop --truncation")
    if distribution != "normal":
        raise UsageError(f"{name} draws its latents from a {distribution} distribution; --truncation is defined "
                         f"for normal latents only, so drop it")
    return check_truncation_bound(truncation)


def truncate_normal(z: Tensor, bound: float, *, generator: torch.Generator | None = None) -> Tensor:
    """``z`` with every value outside ``[-bound, bound]`` redrawn from N(0, 1) until all are inside."""
    z = z.clone()
    outside = z.abs() > bound
    while bool(outside.any()):
        z[outside] = torch.randn(int(outside.sum()), generator=generator, device=z.device, dtype=z.dtype)
        outside = z.abs() > bound
    return z


def discriminator_objective(
    objective: Objective,
    critic: Callable[[Tensor], Tensor],
    real_in: Tensor,
    fake_in: Tensor,
    real_logits: Tensor,
    fake_logits: Tensor,
) -> tuple[Tensor, Logs]:
    """The discriminator's adversarial loss plus penalties, with the logs every family reports.

    Families that compute the logits their own way (one joint pass, say) finish with this, so
    every family logs ``d_adv``, ``d_penalty``, ``d_loss``, ``d_real`` and ``d_fake`` alike.
    Under a loss whose class says what ``E[D(x)] - E[D(G(z))]`` estimates (its ``estimates``
    attribute), that gap is logged too: ``wasserstein``, the critic's estimate of the
    Wasserstein distance, under ``--loss wasserstein``.
    """
    loss = objective.d_loss(real_logits, fake_logits)
    logs: Logs = {"d_adv": loss.detach().float().item()}
    penalty = objective.penalty(critic, real_in, fake_in)
    if penalty is not None:
        loss = loss + penalty
        logs["d_penalty"] = penalty.detach().float().item()
    logs["d_loss"] = loss.detach().float().item()
    logs["d_real"] = real_logits.detach().float().mean().item()
    logs["d_fake"] = fake_logits.detach().float().mean().item()
    estimate = estimate_name(type(objective.adversarial))
    if estimate:
        logs[estimate] = logs["d_real"] - logs["d_fake"]
    return loss, logs


def generator_adversarial(objective: Objective, critic: Callable[[Tensor], Tensor], fake: Tensor,
                          real: Tensor) -> Tensor:
    """The generator's adversarial loss on ``critic(fake)``, instance noise included.

    Relativistic losses (``objective.g_needs_real``) compare with the real images' scores too;
    those do not depend on the generator, so they are computed without autograd. A family that
    writes its own ``g_loss`` calls this, and every registered loss works with it.
    """
    real_scores = None
    if objective.g_needs_real:
        with torch.no_grad():
            real_scores = critic(objective.noisy(real))
    return objective.g_loss(critic(objective.noisy(fake)), real_scores)


def score_together(critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor) -> tuple[Tensor, Tensor]:
    """``(critic(real), critic(fake))`` from one pass over both batches: less work, the same scores.

    Only for critics that treat each image on its own (no batch norm in training mode, see
    :func:`has_batch_norm`). The joined batch keeps ``real``'s channels_last layout.
    """
    both = torch.cat([real, fake])
    if real.dim() == 4 and real.is_contiguous(memory_format=torch.channels_last):
        both = both.contiguous(memory_format=torch.channels_last)
    real_scores, fake_scores = torch.split(critic(both), real.shape[0])
    return real_scores, fake_scores


def has_batch_norm(module: nn.Module) -> bool:
    """Whether ``module`` holds batch norm, which makes each image's score depend on its whole batch."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


def estimate_name(loss_class: type) -> str | None:
    """What ``E[D(x)] - E[D(G(z))]`` estimates under the adversarial loss ``loss_class``, if anything.

    The loss class says so itself (:attr:`ganzoo.losses.AdversarialLoss.estimates`), so a
    plugin's loss can declare it too.

    >>> estimate_name(type(create_loss("wasserstein")))   # doctest: +SKIP
    'wasserstein'
    """
    name = getattr(loss_class, "estimates", None)
    return str(name) if name else None


def penalty_caveat(model: nn.Module, objective: Objective) -> str | None:
    """A one-line warning when input-gradient penalties meet a discriminator with batch norm.

    Gradient penalty and R1 constrain each image's own gradient ``d D(x_i) / d x_i``. Batch
    norm in training mode makes every score depend on the whole batch, so the penalised
    gradient includes the batch statistics' terms: it still trains, but it is not the
    per-sample constraint the papers analyse (Gulrajani et al. 2017, section 4, drop batch norm
    from the critic for this reason). Returns ``None`` when there is nothing to say.
    """
    if not objective.regularisers:
        return None
    discriminator = getattr(model, "discriminator", None)
    if not isinstance(discriminator, nn.Module) or not has_batch_norm(discriminator):
        return None
    name = getattr(model, "registry_name", type(model).__name__)
    return (f"ganzoo: note: {name}'s discriminator has batch norm, so the penalty on its input gradients mixes "
            f"the images of a batch instead of constraining each one; it trains, but a critic without batch norm "
            f"(wgan-gp, or dcgan at 28x28) is the setup such penalties were designed for")


class ArchitectureOptionError(UsageError):
    """Keyword arguments an architecture does not take; ``key`` and ``value`` name the unexpected one.

    Callers that know other kinds of options (the training engine's) can word a better hint
    from ``key`` (see :meth:`with_hint`).
    """

    def __init__(self, architecture: str, reason: str, hint: str, key: str | None = None,
                 value: Any = None) -> None:
        super().__init__(f"bad options for architecture '{architecture}': {reason}; {hint}")
        self.architecture, self.reason, self.key, self.value = architecture, reason, key, value

    def with_hint(self, hint: str) -> "ArchitectureOptionError":
        """The same error with ``hint`` as its next step."""
        return ArchitectureOptionError(self.architecture, self.reason, hint, self.key, self.value)


def build_model(name: str, **kwargs: Any) -> GAN:
    """Build the registered architecture ``name``; bad keyword arguments are a usage error."""
    spec = get_registry("architectures").get(name)
    factory = spec.load()
    with plugin_code(factory, what=f"building '{name}'"):  # a third-party family's bug names its plugin
        try:
            model: GAN = factory(**kwargs)
        except TypeError as exc:
            match = re.search(r"unexpected keyword argument '([^']+)'", str(exc))
            key = match.group(1) if match and match.group(1) in kwargs else None
            value = kwargs.get(key) if key else None
            hint = (_loss_option_hint(key, value) if key else None) or f"see 'ganzoo info {name}'"
            raise ArchitectureOptionError(name, str(exc), hint, key, value) from exc
    model.registry_name = name
    return model


def _loss_option_hint(key: str, value: Any) -> str | None:
    """``--set gp=10``: the unexpected keyword is a loss or a regulariser, not a model option."""
    if key in get_registry("regularisers"):
        return f"'{key}' is a regulariser, not an architecture option: use --reg {key}={value}"
    if key in get_registry("losses"):
        return f"'{key}' is a loss, not an architecture option: use --loss {key}"
    return None
