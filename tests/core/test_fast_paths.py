"""The families' fast paths keep the maths of the plain ones.

* dcgan and cgan score real and fake images in one discriminator pass when it has no batch norm;
* vanilla, dcgan, cgan and pix2pix let the generator step reuse the discriminator step's fakes
  (:class:`ganzoo.sharing.SharedFakes`): one generator pass per step instead of two, the same
  loss, and fresh fakes whenever what they depend on changed (batch size, labels, inputs, weights);
* cyclegan keeps both generators' translations and identity outputs of the discriminator step
  for the generator step: four generator passes per step instead of six.

The helper's own guarantees are tested in ``tests/core/test_sharing.py``; here, that each family
wires it up with the right key.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
import torch

import ganzoo
from ganzoo.losses import build_objective
from ganzoo.plugins import get_registry

pytestmark = pytest.mark.usefixtures("one_thread")

Batch = dict[str, torch.Tensor]


def tiny(name: str, **kwargs) -> torch.nn.Module:
    torch.manual_seed(0)
    return ganzoo.create_model(name, **{**get_registry("architectures").get(name).metadata["test_kwargs"], **kwargs})


def batch_for(model, n: int = 4, seed: int = 1) -> Batch:
    generator = torch.Generator().manual_seed(seed)
    batch = {"image": torch.rand(n, *model.image_shape, generator=generator) * 2 - 1}
    if model.num_classes:
        batch["label"] = torch.arange(n) % model.num_classes
    if model.task == "image-to-image":
        batch["source"] = torch.rand(n, *model.input_shape, generator=generator) * 2 - 1
    return batch


def count_generator_passes(model) -> list[int]:
    calls: list[int] = []
    model.generator.register_forward_hook(lambda *args: calls.append(1))
    return calls


# -- one discriminator pass -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["dcgan", "cgan"])
def test_joint_discriminator_pass_is_the_same_loss(name):
    losses = []
    for joint in (True, False):
        model = tiny(name).eval()  # eval: no dropout, so both ways see identical numbers
        assert model._joint_d_pass  # 28x28: no batch norm in the discriminator
        model._joint_d_pass = joint
        torch.manual_seed(5)
        losses.append(model.d_loss(batch_for(model, 6), build_objective())[0])
    assert torch.allclose(losses[0], losses[1], atol=1e-5)


# -- one generator pass -----------------------------------------------------------------------------
#: Options without randomness besides the latents, so shared and fresh fakes are the same numbers.
QUIET = {"dcgan": {"dropout": 0.0}, "cgan": {"dropout": 0.0}, "pix2pix": {"dropout": 0.0, "norm": "instance"},
         "vanilla": {"dropout": 0.0}}


@pytest.mark.parametrize("name", sorted(QUIET))
def test_the_generator_step_reuses_the_fakes_with_the_same_maths(name):
    def g_step(share: bool) -> tuple[int, float, list[torch.Tensor]]:
        model = tiny(name, share_fakes=share, **QUIET[name]).train()
        calls = count_generator_passes(model)
        batch = batch_for(model)
        torch.manual_seed(3)
        model.d_loss(batch, build_objective())
        torch.manual_seed(3)  # without sharing, the generator step draws the discriminator step's latents again
        loss, _ = model.g_loss(batch, build_objective())
        loss.backward()
        return len(calls), float(loss.detach()), [p.grad for p in model.generator.parameters()]

    (shared, shared_loss, grads), (fresh, fresh_loss, _) = g_step(True), g_step(False)
    assert (shared, fresh) == (1, 2)
    assert shared_loss == pytest.approx(fresh_loss, rel=1e-6)
    assert all(g is not None for g in grads)


def smaller(batch: Batch) -> Batch:
    return {key: value[:2] for key, value in batch.items()}


def other_labels(batch: Batch) -> Batch:
    return {**batch, "label": batch["label"].flip(0)}


def other_inputs(batch: Batch) -> Batch:
    return {**batch, "source": -batch["source"]}


def other_images(batch: Batch) -> Batch:
    return {**batch, "image": -batch["image"]}


@pytest.mark.parametrize(("name", "change", "reused"), [
    ("dcgan", smaller, False), ("dcgan", other_images, True),  # fakes depend on the batch size only
    ("vanilla", smaller, False), ("vanilla", other_images, True),
    ("cgan", other_labels, False), ("cgan", smaller, False), ("cgan", other_images, True),
    ("pix2pix", other_inputs, False), ("pix2pix", smaller, False),
])
def test_fakes_are_reused_only_for_what_they_were_made_for(name, change: Callable[[Batch], Batch], reused):
    model = tiny(name).train()
    calls = count_generator_passes(model)
    batch = batch_for(model)
    model.d_loss(batch, build_objective())
    model.g_loss(change(batch), build_objective())
    assert len(calls) == (1 if reused else 2)


@pytest.mark.parametrize("name", sorted(QUIET))
def test_fakes_are_never_reused_after_a_generator_update(name):
    model = tiny(name).train()
    calls = count_generator_passes(model)
    batch = batch_for(model)
    model.d_loss(batch, build_objective())
    with torch.no_grad():
        next(model.generator.parameters()).add_(0.01)  # as an optimiser step would
    model.g_loss(batch, build_objective())
    assert len(calls) == 2
    model.d_loss(batch, build_objective())
    twin = copy.deepcopy(model)  # a kept graph must not stop copies, nor travel with them
    twin.g_loss(batch, build_objective())
    assert len(calls) == 4  # the twin (its hook copied along) drew fresh fakes


def test_vanilla_scores_real_and_fake_images_in_one_pass_with_the_base_class_maths():
    model = tiny("vanilla", dropout=0.0).train()
    passes: list[int] = []
    model.discriminator.register_forward_hook(lambda module, args, out: passes.append(args[0].shape[0]))
    batch = batch_for(model, 6)
    torch.manual_seed(5)
    joint, _ = model.d_loss(batch, build_objective())
    torch.manual_seed(5)
    plain, _ = ganzoo.models.GAN.d_loss(model, batch, build_objective())
    assert passes[0] == 12 and passes[1:] == [6, 6]
    assert torch.allclose(joint, plain, atol=1e-6)


# -- cyclegan: the discriminator step's translations serve the generator step --------------------------
def count_cyclegan_passes(model) -> list[str]:
    calls: list[str] = []
    for direction, generator in model.generator.items():
        generator.register_forward_hook(lambda *args, d=direction: calls.append(d))
    return calls


def test_cyclegan_generator_step_reuses_the_translations_with_the_same_maths():
    def g_step(share: bool) -> tuple[list[str], float, list[torch.Tensor | None]]:
        model = tiny("cyclegan", share_fakes=share, pool_size=0).train()
        calls = count_cyclegan_passes(model)
        batch = batch_for(model)
        model.d_loss(batch, build_objective("lsgan"))
        loss, logs = model.g_loss(batch, build_objective("lsgan"))
        loss.backward()
        assert "g_identity" in logs
        return calls, float(loss.detach()), [p.grad for p in model.generator.parameters()]

    (shared, shared_loss, grads), (fresh, fresh_loss, _) = g_step(True), g_step(False)
    assert sorted(shared) == ["a2b", "a2b", "b2a", "b2a"] and len(fresh) == 6
    assert shared_loss == pytest.approx(fresh_loss, rel=1e-5)
    assert all(g is not None for g in grads)


def test_cyclegan_translates_afresh_after_a_generator_update_or_for_other_inputs():
    model = tiny("cyclegan").train()
    calls = count_cyclegan_passes(model)
    batch = batch_for(model)
    model.d_loss(batch, build_objective("lsgan"))
    model.g_loss(other_inputs(batch), build_objective("lsgan"))
    assert len(calls) == 2 + 4  # the kept translations were of other inputs
    model.d_loss(batch, build_objective("lsgan"))
    with torch.no_grad():
        next(model.generator.parameters()).add_(0.01)
    model.g_loss(batch, build_objective("lsgan"))
    assert len(calls) == 6 + 2 + 4
    with torch.no_grad():  # evaluation: nothing kept, only the two translations
        model.d_loss(batch, build_objective("lsgan"))
    assert len(calls) == 12 + 2


def test_cyclegan_without_identity_terms_shares_the_two_translations():
    model = tiny("cyclegan", identity_weight=0.0).train()
    calls = count_cyclegan_passes(model)
    batch = batch_for(model)
    model.d_loss(batch, build_objective("lsgan"))
    _, logs = model.g_loss(batch, build_objective("lsgan"))
    assert "g_identity" not in logs
    assert sorted(calls) == ["a2b", "a2b", "b2a", "b2a"]  # translate (shared) and translate back
