"""Standing statistics: the averaged generator's batch norms re-estimated for its own weights."""

from __future__ import annotations

import pytest
import torch

from ganzoo.models import build_model
from ganzoo.train.ema import EMA, standing_statistics

pytestmark = pytest.mark.usefixtures("one_thread")


def _trained_a_little(arch: str, **kwargs):
    torch.manual_seed(0)
    gan = build_model(arch, **kwargs)
    ema = EMA(gan.generator, 0.9)
    with torch.no_grad():  # move the live weights so the average differs from them
        for _ in range(3):
            for p in gan.generator.parameters():
                p.add_(0.05 * torch.randn_like(p))
            gan.generator.train()
            gan.generate(torch.randn(16, gan.latent_dim), gan.random_labels(16))
            ema.update(gan.generator)
    return gan, ema


def _split(module):
    norms = {n for n, m in module.named_modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)}
    state = {k: v.clone() for k, v in module.state_dict().items()}
    is_bn = lambda key: key.rpartition(".")[0] in norms  # noqa: E731
    return ({k: v for k, v in state.items() if is_bn(k) and not k.endswith("weight") and not k.endswith("bias")},
            {k: v for k, v in state.items() if not (is_bn(k) and not k.endswith("weight") and not k.endswith("bias"))})


@pytest.mark.parametrize("arch,kwargs", [("dcgan", {"base_channels": 8, "latent_dim": 8}),
                                         ("sngan-projection", {"num_classes": 3, "image_size": 28, "g_channels": 8,
                                                               "d_channels": 8, "latent_dim": 8})])
def test_only_batch_norm_buffers_change(arch, kwargs):
    gan, ema = _trained_a_little(arch, **kwargs)
    buffers_before, rest_before = _split(ema.module)
    assert standing_statistics(gan, ema.module, batches=4, batch_size=16, seed=0)
    buffers_after, rest_after = _split(ema.module)
    assert buffers_before.keys() == buffers_after.keys() and buffers_before
    assert all(torch.equal(rest_before[k], rest_after[k]) for k in rest_before)
    means = [k for k in buffers_before if k.endswith("running_mean")]
    assert any(not torch.equal(buffers_before[k], buffers_after[k]) for k in means)
    assert not ema.module.training and gan.generator is not ema.module  # put back as it was


def test_deterministic_per_seed_and_the_run_random_stream_is_untouched():
    gan, ema = _trained_a_little("dcgan", base_channels=8, latent_dim=8)
    copy_a, copy_b, copy_c = (EMA(ema.module, 0.9).module for _ in range(3))
    torch.manual_seed(123)
    standing_statistics(gan, copy_a, batches=3, batch_size=8, seed=7)
    after_a = torch.rand(1)
    torch.manual_seed(123)
    standing_statistics(gan, copy_b, batches=3, batch_size=8, seed=7)
    after_b = torch.rand(1)
    standing_statistics(gan, copy_c, batches=3, batch_size=8, seed=8)
    assert torch.equal(after_a, after_b)
    for (key, a), b in zip(copy_a.state_dict().items(), copy_b.state_dict().values()):
        assert torch.equal(a, b), key
    assert any(not torch.equal(a, c) for a, c in zip(copy_a.state_dict().values(), copy_c.state_dict().values()))


def test_the_statistics_are_those_of_the_averaged_weights():
    """After re-estimation the first batch norm's running mean is the mean of its inputs under the EMA weights."""
    gan, ema = _trained_a_little("dcgan", base_channels=8, latent_dim=8)
    standing_statistics(gan, ema.module, batches=8, batch_size=64, seed=0)
    first = next(m for m in ema.module.modules() if isinstance(m, torch.nn.BatchNorm1d))
    inputs = []
    hook = first.register_forward_hook(lambda module, args, out: inputs.append(args[0].detach()))
    source = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for _ in range(8):
            ema.module(gan.sample_latent(64, generator=source))
    hook.remove()
    measured = torch.cat(inputs).mean(0)
    assert torch.allclose(first.running_mean, measured, atol=1e-4)


def test_nothing_to_do_without_batch_norm_and_refresh_runs_once_per_update():
    gan = build_model("vanilla", hidden=[16, 32])
    ema = EMA(gan.generator, 0.9)
    assert not standing_statistics(gan, ema.module)
    gan, ema = _trained_a_little("dcgan", base_channels=8, latent_dim=8)
    assert ema.refresh_statistics(gan, batches=2, batch_size=8)
    assert not ema.refresh_statistics(gan, batches=2, batch_size=8)  # already fresh
    ema.update(gan.generator)
    assert ema.refresh_statistics(gan, batches=2, batch_size=8)
