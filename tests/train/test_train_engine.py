"""The engine's parts: steps, batch order, optimiser state, schedules, EMA, precision and devices."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from ganzoo.data import build_dataset
from ganzoo.devices import cpu_has_fast_bf16, resolve_precision, select_device, use_channels_last
from ganzoo.errors import UsageError
from ganzoo.losses import build_objective
from ganzoo.models import build_model
from ganzoo.train import train_steps
from ganzoo.train.batches import BatchStream
from ganzoo.train.ema import EMA
from ganzoo.train.optim import (
    build_optimizer,
    flatten_state,
    load_state,
    lr_factor,
    parameter_groups,
    unflatten_state,
)
from ganzoo.train.steps import StepRunner

TINY = {"hidden": [32, 64]}


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def fake():
    return build_dataset("fake", length=40)


def _tiny(seed=0):
    torch.manual_seed(seed)
    return build_model("vanilla", **TINY)


def test_train_steps_changes_both_players_with_finite_losses(fake):
    model = _tiny()
    before = {k: [p.detach().clone() for p in v] for k, v in parameter_groups(model).items()}
    history = train_steps(model, fake, steps=2, batch_size=8)
    assert len(history) == 2
    assert all(math.isfinite(v) for logs in history for v in logs.values())
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(history[0])
    for name, params in parameter_groups(model).items():
        assert any(not torch.equal(a, b) for a, b in zip(before[name], params)), name
    assert all(p.requires_grad for p in model.parameters())


def test_conformance_check_trains_vanilla():
    from ganzoo import testing

    testing.Case("architectures", "vanilla", "trains-two-steps").run()


def test_n_critic_updates_the_discriminator_more_often(fake):
    model = _tiny()
    groups = parameter_groups(model)
    opts = {k: build_optimizer("adam", v, lr=1e-3, betas=(0.5, 0.999), device=torch.device("cpu"))
            for k, v in groups.items()}
    runner = StepRunner(model, build_objective(), optimizers=opts, groups=groups,
                        precision=resolve_precision("fp32", torch.device("cpu")))
    batch = fake.get_batch(torch.arange(8))
    for _ in range(3):
        runner.d_step(batch)
    runner.g_step(batch)
    steps = {k: int(next(iter(o.state.values()))["step"]) for k, o in opts.items()}
    assert steps == {"discriminator": 3, "generator": 1}


def test_batch_order_is_seeded_sharded_and_resumable(fake):
    one = BatchStream(fake, 8, seed=3)
    assert one.batches_per_epoch == 5
    first_epoch = torch.cat([one.epoch_indices(0)])
    assert sorted(first_epoch.tolist()) == list(range(40))
    assert not torch.equal(one.epoch_indices(0), one.epoch_indices(1))
    ranks = [BatchStream(fake, 4, seed=3, rank=r, world_size=2).epoch_indices(0) for r in range(2)]
    assert set(ranks[0].tolist()).isdisjoint(ranks[1].tolist())
    # resuming at (epoch, position) continues the same sequence, across an epoch boundary
    run = BatchStream(fake, 8, seed=3)
    full = [run.next()[0]["image"] for _ in range(8)]
    resumed = BatchStream(fake, 8, seed=3)
    for _ in range(3):
        resumed.next()
    state = resumed.state_dict()
    again = BatchStream(fake, 8, seed=3)
    again.load_state_dict(state)
    assert all(torch.equal(a, b) for a, b in zip(full[3:], [again.next()[0]["image"] for _ in range(5)]))
    with pytest.raises(UsageError, match="batch size"):
        BatchStream(fake, 4, seed=3).load_state_dict(state)


def test_dataloader_fallback_gives_the_same_batches(fake):
    class ItemsOnly(torch.utils.data.Dataset):
        def __len__(self):
            return len(fake)

        def __getitem__(self, i):
            return fake[i]

    fast, slow = BatchStream(fake, 8, seed=1), BatchStream(ItemsOnly(), 8, seed=1)
    assert fast.fast and not slow.fast
    for _ in range(6):
        (a, ended_a), (b, ended_b) = fast.next(), slow.next()
        assert ended_a == ended_b
        assert torch.equal(a["image"], b["image"]) and torch.equal(a["label"], b["label"])


def test_too_little_data_for_one_batch(fake):
    with pytest.raises(UsageError, match="lower --batch-size"):
        BatchStream(fake, 64)


def test_optimizer_state_round_trips_through_tensors(fake):
    model = _tiny()
    opt = build_optimizer("adam", model.generator.parameters(), lr=1e-3, betas=(0.5, 0.999), device=torch.device("cpu"))
    model.generator(torch.randn(4, 100)).sum().backward()
    opt.step()
    tensors, extra = flatten_state("generator", opt)
    assert all(isinstance(t, torch.Tensor) for t in tensors.values())
    fresh = build_optimizer("adam", model.generator.parameters(), lr=1e-3, betas=(0.5, 0.999),
                            device=torch.device("cpu"))
    fresh.load_state_dict(unflatten_state("generator", tensors, extra))
    for key in opt.state_dict()["state"]:
        for name, value in opt.state_dict()["state"][key].items():
            assert torch.equal(value, fresh.state_dict()["state"][key][name])
    assert fresh.param_groups[0]["betas"] == (0.5, 0.999)


def test_lr_schedules():
    assert lr_factor("constant", 5, 10) == 1.0
    assert lr_factor("linear", 0, 10) == 1.0 and lr_factor("linear", 5, 10) == 0.5
    assert lr_factor("cosine", 0, 10) == 1.0 and abs(lr_factor("cosine", 10, 10)) < 1e-12
    with pytest.raises(UsageError):
        lr_factor("step", 1, 10)


def test_ema_averages_parameters_and_copies_buffers():
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    ema = EMA(net, decay=0.5)
    start = ema.module[0].weight.detach().clone()
    with torch.no_grad():
        net[0].weight.add_(1.0)
        net[1].running_mean.fill_(3.0)
    decay = ema.current_decay()  # warm-up: min(0.5, 1/10)
    assert decay == pytest.approx(0.1)
    ema.update(net)
    assert torch.allclose(ema.module[0].weight, decay * start + (1 - decay) * net[0].weight)
    assert torch.equal(ema.module[1].running_mean, net[1].running_mean)
    assert not any(p.requires_grad for p in ema.module.parameters())


def test_precision_and_memory_format_choices():
    cpu = torch.device("cpu")
    assert resolve_precision("fp32", cpu).dtype is None
    assert resolve_precision("bf16", cpu).dtype is torch.bfloat16
    assert not resolve_precision("fp16", cpu).grad_scaling  # GradScaler is for CUDA only
    auto = resolve_precision("auto", cpu)
    assert auto.name == ("bf16" if cpu_has_fast_bf16() else "fp32")
    assert not use_channels_last(None, _tiny(), cpu)
    assert use_channels_last(None, nn.Sequential(nn.Conv2d(1, 2, 3)), cpu)
    assert not use_channels_last(False, nn.Sequential(nn.Conv2d(1, 2, 3)), cpu)
    assert select_device("cpu") == cpu
    if not torch.cuda.is_available():
        with pytest.raises(UsageError, match="--device cpu"):
            select_device("cuda")


def test_families_can_declare_their_parameter_groups():
    model = _tiny()
    model.parameter_groups = lambda: {"generator": list(model.generator.parameters())[:2],
                                      "discriminator": model.discriminator.parameters()}
    groups = parameter_groups(model)
    assert len(groups["generator"]) == 2
    model.parameter_groups = lambda: {"generator": [], "discriminator": model.discriminator.parameters()}
    with pytest.raises(UsageError, match="no trainable generator"):
        parameter_groups(model)


def test_optimiser_schedule_and_tricks_run_end_to_end(tmp_path):
    import json

    from ganzoo.train import TrainConfig, Trainer

    trainer = Trainer(TrainConfig(
        "vanilla", "fake", arch_options=TINY, data_options={"length": 40}, batch_size=8, max_steps=4,
        out=str(tmp_path / "run"), quiet=True, log_every=1, precision="fp32", loss="hinge", regularisers={"r1": None},
        n_critic=2, optimizer="rmsprop", clip_grad=1.0, lr_schedule="linear", instance_noise=0.1, lr_d=4e-4))
    result = trainer.fit()
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [line["lr_d"] for line in lines] == pytest.approx([4e-4, 3e-4, 2e-4, 1e-4])
    assert all("d_penalty" in line for line in lines)  # r1 with its registered default weight
    assert result.epoch == 1  # 4 steps x 2 critic batches = 8 batches of a 5-batch epoch
    assert trainer.config.regularisers == {"r1": None}
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["optimizer"]["name"] == "rmsprop" and saved["loss"]["name"] == "hinge"


def test_tensorboard_without_the_package_is_a_clear_error(tmp_path, monkeypatch):
    import sys

    from ganzoo.train import TrainConfig, train

    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # as if tensorboard were not installed
    with pytest.raises(UsageError, match="pip install tensorboard"):
        train(TrainConfig("vanilla", "fake", out=str(tmp_path / "run"), tensorboard=True))
    assert not (tmp_path / "run").exists()


def test_model_options_follow_the_data_unless_set(tmp_path):
    from ganzoo.train import TrainConfig, Trainer

    trainer = Trainer(TrainConfig("dcgan", "fake", arch_options={"base_channels": 4},
                                  data_options={"size": 32, "channels": 3, "length": 16}, batch_size=8, max_steps=1,
                                  out=str(tmp_path / "run"), quiet=True, precision="fp32"))
    trainer.fit()
    assert trainer.model.image_shape == (3, 32, 32)
    assert trainer.model.config["image_size"] == 32 and trainer.model.config["channels"] == 3


def test_cpu_adam_is_fused_and_matches_foreach():
    """The fused CPU kernel is the same maths as the foreach one it replaced (bitwise up to rounding)."""
    torch.manual_seed(0)
    weights = [torch.randn(64, 32), torch.randn(32)]
    grads = [[torch.randn_like(w) for w in weights] for _ in range(5)]
    results = {}
    for kind in ("fused", "foreach"):
        params = [nn.Parameter(w.clone()) for w in weights]
        if kind == "fused":
            opt = build_optimizer("adam", params, lr=1e-2, betas=(0.5, 0.999), device=torch.device("cpu"))
            assert opt.param_groups[0]["fused"] is True
        else:
            opt = torch.optim.Adam(params, lr=1e-2, betas=(0.5, 0.999), foreach=True)
        for step_grads in grads:
            for p, g in zip(params, step_grads):
                p.grad = g.clone()
            opt.step()
        results[kind] = params
    for a, b in zip(results["fused"], results["foreach"]):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
        assert not torch.equal(a, weights[0] if a.dim() == 2 else weights[1])  # the steps moved them


def test_resumed_optimizer_keeps_its_own_kernel():
    """State saved by a foreach (or GPU-fused) optimizer continues on this device's kernel."""
    model = _tiny()
    old = torch.optim.Adam(model.generator.parameters(), lr=1e-3, betas=(0.5, 0.999), foreach=True)
    model.generator(torch.randn(4, 100)).sum().backward()
    old.step()
    tensors, extra = flatten_state("generator", old)
    new = build_optimizer("adam", model.generator.parameters(), lr=1e-3, betas=(0.5, 0.999),
                          device=torch.device("cpu"))
    load_state(new, unflatten_state("generator", tensors, extra))
    assert new.param_groups[0]["fused"] is True and not new.param_groups[0]["foreach"]
    new.step()  # fused and foreach together would raise here
    assert int(new.state[next(iter(model.generator.parameters()))]["step"]) == 2


def test_fused_adam_updates_channels_last_weights_whatever_the_layout_of_grads_and_saved_state():
    """The fused kernel assumes a parameter, its gradient and its state share strides; the engine makes them."""
    torch.manual_seed(0)
    weight = torch.randn(8, 3, 3, 3).contiguous(memory_format=torch.channels_last)
    grads = [torch.randn(8, 3, 3, 3) for _ in range(3)]  # contiguous, unlike the weight
    results = {}
    for kind in ("fused", "foreach"):
        param = nn.Parameter(weight.clone())

        def make(param: nn.Parameter = param, kind: str = kind) -> torch.optim.Optimizer:
            if kind == "fused":
                return build_optimizer("adam", [param], lr=0.1, betas=(0.5, 0.999), device=torch.device("cpu"))
            return torch.optim.Adam([param], lr=0.1, betas=(0.5, 0.999), foreach=True)

        opt = make()
        param.grad = grads[0].clone()
        opt.step()
        tensors, extra = flatten_state("w", opt)  # saved contiguous, as checkpoints hold them
        opt = make()
        load_state(opt, unflatten_state("w", tensors, extra))
        for grad in grads[1:]:
            param.grad = grad.clone()
            opt.step()
        results[kind] = param.detach()
    torch.testing.assert_close(results["fused"], results["foreach"], rtol=1e-5, atol=1e-6)
