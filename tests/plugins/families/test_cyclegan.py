"""The CycleGAN family: the paper's layout, the history pool, the loss terms, and training on real data."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner
from safetensors.torch import load_file
from torch import nn

import ganzoo
from ganzoo.cli import build_cli
from ganzoo.errors import UsageError
from ganzoo.losses import build_objective
from ganzoo.runs import checkpoints as ckpt
from ganzoo.train import TrainConfig, load_run, train
from ganzoo.train.optim import lr_factor
from ganzoo_cyclegan.models import CycleGAN, ResidualBlock, patch_map_size
from ganzoo_cyclegan.pool import ImagePool

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = {"base_channels": 4, "n_blocks": 1, "d_channels": 4}


def tiny(**kwargs) -> CycleGAN:
    torch.manual_seed(0)
    return ganzoo.create_model("cyclegan", **{**TINY, **kwargs})


def images(n: int, size: int = 28, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 1, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


# -- the paper's layout -------------------------------------------------------------------------------
def test_defaults_follow_the_paper():
    model = CycleGAN()
    assert model.config == {"image_size": 28, "channels": 1, "base_channels": 64, "n_blocks": 6, "n_downsample": 2,
                            "d_channels": 64, "d_layers": 2, "cycle_weight": 10.0, "identity_weight": 5.0,
                            "pool_size": 50, "domains": {"a": "A", "b": "B"}, "share_fakes": True}
    assert model.task == "image-to-image" and model.directions == ("a2b", "b2a") and model.latent_dim == 0
    assert model.image_shape == model.input_shape == (1, 28, 28)
    assert set(model.generator) == {"a2b", "b2a"} and set(model.discriminator) == {"a", "b"}
    g = model.generator["a2b"]
    assert isinstance(g[0], nn.ReflectionPad2d) and g[1].kernel_size == (7, 7) and isinstance(g[-1], nn.Tanh)
    assert sum(isinstance(m, ResidualBlock) for m in g) == 6
    assert [m.stride for m in g if isinstance(m, nn.Conv2d) and m.stride == (2, 2)] == [(2, 2)] * 2
    assert sum(isinstance(m, nn.ConvTranspose2d) for m in g) == 2
    norms = [m for m in model.modules() if isinstance(m, nn.InstanceNorm2d)]
    assert norms and not any(m.affine or m.track_running_stats for m in norms)
    slopes = {m.negative_slope for m in model.discriminator.modules() if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.2}
    # 256x256 gets the paper's 9 blocks and the 70x70 PatchGAN with its 30x30 score map.
    big = CycleGAN(image_size=256, channels=3, base_channels=2, d_channels=2)
    assert big.config["n_blocks"] == 9 and big.config["d_layers"] == 3
    with torch.no_grad():
        assert big.discriminator["a"](torch.zeros(1, 3, 256, 256)).shape == (1, 1, 30, 30)


def test_28_pixel_images_go_down_to_7x7_and_back():
    model = tiny()
    seen = []
    model.generator["a2b"][10].register_forward_hook(lambda m, i, o: seen.append(tuple(i[0].shape)))
    assert isinstance(model.generator["a2b"][10], ResidualBlock)
    out = model.translate(images(2))
    assert seen == [(2, 16, 7, 7)] and out.shape == (2, 1, 28, 28)
    assert patch_map_size(28, 2) == 5
    assert model._scores("a", images(2)).shape == (2, 25)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"image_size": 30}, "multiple of 4"),
    ({"d_layers": 4}, "too deep"),
    ({"base_channels": 0}, "base_channels must be an integer >= 1"),
    ({"cycle_weight": -1}, "cycle_weight must be a number >= 0"),
    ({"domains": {"a": "x"}}, "must name domains a and b"),
])
def test_bad_options_are_one_line_usage_errors(kwargs, message):
    with pytest.raises(UsageError, match=message) as info:
        ganzoo.create_model("cyclegan", **kwargs)
    assert "\n" not in str(info.value)


# -- translation ----------------------------------------------------------------------------------------
def test_translate_both_ways_in_eval_mode_without_grad():
    model = tiny()
    model.train()
    x = images(3)
    a2b, b2a = model.translate(x, "a2b"), model.translate(x, "b2a")
    assert model.training and not a2b.requires_grad
    assert a2b.shape == b2a.shape == (3, 1, 28, 28) and not torch.equal(a2b, b2a)  # two generators
    assert float(a2b.abs().max()) <= 1.0
    assert torch.equal(model.sample(inputs=x), a2b)  # the first direction
    with pytest.raises(UsageError, match=r"unknown direction 'a2c'; this model translates: a2b \(A -> B\), b2a"):
        model.translate(x, "a2c")
    with pytest.raises(UsageError, match=r"expects input images \[N, 1, 28, 28\]"):
        model.translate(images(1, size=32))
    with pytest.raises(UsageError, match="use 'ganzoo translate"):
        model.sample(4)


# -- the history pool ------------------------------------------------------------------------------------
def reference_pool(stored: list[torch.Tensor], size: int, batch: torch.Tensor, draws, slots) -> list[torch.Tensor]:
    """The paper's rule, one image at a time, on the given random draws."""
    out = []
    for k, image in enumerate(batch):
        if len(stored) < size:
            stored.append(image.clone())
            out.append(image)
        elif draws[k] < 0.5:
            out.append(stored[slots[k]].clone())
            stored[slots[k]] = image.clone()
        else:
            out.append(image)
    return out


def test_pool_matches_the_one_image_at_a_time_rule():
    size, pool, stored = 5, ImagePool(5, (1, 2, 2)), []
    for step in range(8):  # fills in the second batch, then swaps; repeated slots happen
        batch = torch.randn(4, 1, 2, 2, generator=torch.Generator().manual_seed(step))
        torch.manual_seed(100 + step)
        got = pool.query(batch)
        torch.manual_seed(100 + step)
        draws, slots = torch.rand(4).tolist(), torch.randint(0, size, (4,)).tolist()
        expected = torch.stack(reference_pool(stored, size, batch, draws, slots))
        assert torch.equal(got, expected), step
        assert pool.filled == len(stored) and torch.equal(pool.images[:len(stored)], torch.stack(stored))


def test_pool_caps_its_size_and_swaps_about_half():
    pool = ImagePool(50, (1, 1, 1))
    torch.manual_seed(0)
    first = torch.arange(64.0).view(64, 1, 1, 1)
    out = pool.query(first)
    assert pool.filled == 50 and pool.images.shape[0] == 50
    assert torch.equal(out[:50], first[:50])  # while filling, images come back as they are
    fresh = torch.arange(1000.0, 3000.0).view(-1, 1, 1, 1)
    out = pool.query(fresh)
    from_pool = (out != fresh).flatten()
    assert pool.filled == 50
    assert 0.45 < float(from_pool.float().mean()) < 0.55
    returned = set(out[from_pool].flatten().tolist())
    assert returned <= set(first.flatten().tolist()) | set(fresh.flatten().tolist())


def test_pool_is_deterministic_per_seed_and_size_zero_is_off():
    def run(seed):
        torch.manual_seed(seed)
        pool = ImagePool(8, (1, 2, 2))
        return [pool.query(torch.randn(6, 1, 2, 2)) for _ in range(4)]

    assert all(torch.equal(a, b) for a, b in zip(run(1), run(1)))
    assert not all(torch.equal(a, b) for a, b in zip(run(1), run(2)))
    x = torch.randn(3, 1, 2, 2)
    assert ImagePool(0, (1, 2, 2)).query(x) is x


def test_pools_are_model_state_but_not_generator_weights():
    model = tiny(pool_size=7)
    state = model.state_dict()
    assert state["pools.a.images"].shape == (7, 1, 28, 28) and state["pools.b.count"].dtype == torch.int64
    assert not any("pool" in key for key in model.generator.state_dict())


# -- the losses ------------------------------------------------------------------------------------------
class Scale(nn.Module):
    """A stand-in generator: multiplies by a learnable scalar."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = nn.Parameter(torch.tensor(value))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.value


@pytest.mark.parametrize("identity_weight", [None, 0.0])
def test_cycle_and_identity_terms(identity_weight):
    model = tiny(identity_weight=identity_weight)
    s_ab, s_ba = 0.5, 0.8
    model.generator = nn.ModuleDict({"a2b": Scale(s_ab), "b2a": Scale(s_ba)})
    a, b = images(4, seed=1), images(4, seed=2)
    _, logs = model.g_loss({"source": a, "image": b}, build_objective("lsgan"))
    cycle = float((s_ab * s_ba * a - a).abs().mean() + (s_ab * s_ba * b - b).abs().mean())
    assert logs["g_cycle"] == pytest.approx(cycle, rel=1e-5)
    if identity_weight is None:  # the paper's 0.5 * lambda
        same = float((s_ab * b - b).abs().mean() + (s_ba * a - a).abs().mean())
        assert logs["g_identity"] == pytest.approx(same, rel=1e-5)
        assert logs["g_loss"] == pytest.approx(logs["g_adv"] + 10 * cycle + 5 * same, rel=1e-5)
    else:
        assert "g_identity" not in logs
        assert logs["g_loss"] == pytest.approx(logs["g_adv"] + 10 * cycle, rel=1e-5)
    # Generators that invert each other exactly cycle with no loss; identity generators too.
    model.generator = nn.ModuleDict({"a2b": Scale(1.0), "b2a": Scale(1.0)})
    _, logs = model.g_loss({"source": a, "image": b}, build_objective("lsgan"))
    assert logs["g_cycle"] == 0.0 and logs.get("g_identity", 0.0) == 0.0


def test_d_loss_trains_both_discriminators_on_pooled_fakes():
    model = tiny(pool_size=6)
    batch = {"source": images(4, seed=1), "image": images(4, seed=2)}
    model.eval()
    model.d_loss(batch, build_objective("lsgan"))
    assert model.pools["a"].filled == model.pools["b"].filled == 0  # evaluation leaves the pools alone
    model.train()
    loss, logs = model.d_loss(batch, build_objective("lsgan"))
    assert model.pools["a"].filled == model.pools["b"].filled == 4
    loss.backward()
    for domain in "ab":
        grads = [p.grad for p in model.discriminator[domain].parameters()]
        assert all(g is not None and torch.isfinite(g).all() for g in grads) and any(g.abs().sum() > 0 for g in grads)
    assert logs["d_loss"] == pytest.approx(logs["d_a"] + logs["d_b"], rel=1e-6)
    assert {"d_adv", "d_real", "d_fake"} <= logs.keys()


def test_linear_decay_schedule():
    total = 10
    assert [lr_factor("linear-decay", s, total) for s in range(total + 1)] == pytest.approx(
        [1, 1, 1, 1, 1, 1, 0.8, 0.6, 0.4, 0.2, 0])
    with pytest.raises(UsageError, match="linear-decay"):
        lr_factor("step", 1, 10)


# -- training on real data ----------------------------------------------------------------------------------
def real_config(out, **changes) -> TrainConfig:
    options = {"arch_options": dict(TINY), "data_options": {"limit": 64}, "batch_size": 16, "precision": "fp32",
               "device": "cpu", "quiet": True, "log_every": 1, "sample_count": 4, "checkpoint_every": 0,
               "out": str(out), **changes}
    return TrainConfig.for_arch("cyclegan", "fashion-domains", **options)


def test_short_run_on_fashion_domains(tmp_path):
    cfg = real_config(tmp_path / "run", max_steps=8)
    assert (cfg.loss, cfg.lr_schedule, cfg.betas) == ("lsgan", "linear-decay", (0.5, 0.999))  # family defaults
    torch.manual_seed(0)
    model = ganzoo.create_model("cyclegan", **TINY)
    before = {k: v.clone() for k, v in model.generator.state_dict().items()}
    result = train(cfg, model=model)
    assert result.step == 8
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    for key in ("d_loss", "d_a", "d_b", "g_loss", "g_adv", "g_cycle", "g_identity"):
        assert all(torch.isfinite(torch.tensor(line[key])) for line in lines), key
    # Constant for the first half, then a straight line to 0 (the rate of step k is set before it).
    assert [line["lr_g"] for line in lines] == pytest.approx([2e-4] * 5 + [1.5e-4, 1e-4, 0.5e-4])
    after = load_file(str(result.checkpoint / "model.safetensors"))
    for direction in ("a2b", "b2a"):
        changed = [k for k in before if k.startswith(direction)
                   and not torch.equal(before[k], after[f"generator.{k}"])]
        assert changed, f"generator {direction} did not change"
    assert int(after["pools.a.count"]) == int(after["pools.b.count"]) == 50  # 8 batches of 16, capped


def test_training_takes_image_size_channels_and_domains_from_the_dataset(tmp_path):
    train(real_config(tmp_path / "run", max_steps=1, data_options={"limit": 16, "a": "Sandal", "b": "Sneaker"}))
    model, saved = load_run(tmp_path / "run")
    assert model.domains == saved["architecture"]["kwargs"]["domains"] == {"a": "Sandal", "b": "Sneaker"}
    assert model.image_shape == (1, 28, 28)


def test_resume_continues_exactly_pool_included(tmp_path):
    # A constant rate: under linear-decay a first leg of 3 steps would decay over 3 steps, not 6.
    changes = {"arch_options": {**TINY, "pool_size": 5}, "batch_size": 8, "data_options": {"limit": 24},
               "lr_schedule": "constant"}
    train(real_config(tmp_path / "whole", max_steps=6, **changes))
    train(real_config(tmp_path / "split", max_steps=3, **changes))
    split_state = load_file(str(ckpt.latest_checkpoint(tmp_path / "split") / "model.safetensors"))
    assert int(split_state["pools.a.count"]) == 5  # full, so the resumed leg swaps at random
    train(real_config(tmp_path / "split", max_steps=6, resume=True, **changes))
    whole = load_file(str(ckpt.latest_checkpoint(tmp_path / "whole") / "model.safetensors"))
    split = load_file(str(ckpt.latest_checkpoint(tmp_path / "split") / "model.safetensors"))
    assert whole.keys() == split.keys()
    assert torch.equal(whole["pools.b.images"], split["pools.b.images"])
    assert all(torch.allclose(whole[k].float(), split[k].float(), atol=1e-6, rtol=0) for k in whole)


def test_cli_smoke_run(tmp_path):
    out = tmp_path / "run"
    command = ["train", "cyclegan", "--dataset", "fashion-domains", "--data", "limit=64", "--max-steps", "3",
               "--out", str(out), "--quiet", "--samples", "4", "-b", "16", "--set", "base_channels=4",
               "--set", "n_blocks=1", "--set", "d_channels=4"]
    result = CliRunner().invoke(build_cli(), command, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert ckpt.latest_checkpoint(out).name == "step_00000003"
    saved = json.loads((out / "config.json").read_text())
    assert saved["train"]["loss"] == "lsgan" and saved["architecture"]["task"] == "image-to-image"
    bad = CliRunner().invoke(build_cli(), [*command[:4], "--data", "a=Sneaker", "--data", "b=sneaker",
                                           "--max-steps", "1", "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "name the same class" in bad.output
    assert len(bad.output.strip().splitlines()) == 1
