"""Gradient penalty and R1 with every family, the 'gp' alias, and the logged Wasserstein estimate."""

from __future__ import annotations

import json
import math

import pytest
import torch
from click.testing import CliRunner

from ganzoo.cli import build_cli
from ganzoo.data import build_dataset
from ganzoo.losses import build_objective
from ganzoo.models import build_model, penalty_caveat
from ganzoo.plugins import get_registry
from ganzoo.train.steps import train_steps

pytestmark = pytest.mark.usefixtures("one_thread")

#: (architecture, tiny options, data size, channels); dcgan at 32x32 has batch norm in its discriminator.
FAMILIES = [
    ("vanilla", {"hidden": [16, 32], "latent_dim": 8}, 28, 1),
    ("dcgan", {"base_channels": 4, "latent_dim": 8}, 28, 1),
    ("dcgan", {"base_channels": 4, "latent_dim": 8, "image_size": 32, "channels": 3}, 32, 3),
    ("wgan-gp", {"base_channels": 4, "latent_dim": 8}, 28, 1),
]
IDS = ["vanilla-28", "dcgan-28", "dcgan-32-batchnorm", "wgan-gp-28"]


def build(arch: str, options: dict):
    torch.manual_seed(0)
    return build_model(arch, **options).train()


def ganzoo(*args: str):
    return CliRunner().invoke(build_cli(), list(args))


def test_gp_is_an_alias_of_gradient_penalty():
    regularisers = get_registry("regularisers")
    assert "gp" in regularisers and regularisers.get("gp").name == "gradient-penalty"
    assert "gp" not in regularisers.names()  # listings show real names only
    objective = build_objective("wasserstein", {"gp": 5.0})
    assert type(objective.regularisers[0]).__name__ == "GradientPenalty" and objective.regularisers[0].weight == 5.0


def test_registry_aliases_never_shadow_names_and_go_with_their_entry():
    from ganzoo.registry import Registry, make_spec

    def spec(name, aliases):
        return make_spec("losses", name, "m:x", summary=name, plugin="p", metadata={"aliases": aliases})

    registry = Registry("losses")
    registry.add(spec("gradient-penalty", ["gp", "BAD NAME", 3]))
    registry.add(spec("gp2", ["gp"]))  # a later claim on 'gp' is ignored
    registry.add(spec("r1", "ridge"))  # one alias as a plain string
    registry.add(spec("ridge", []))  # a real name wins over an alias
    registry.add(spec("odd", 3))  # aliases that are not names are ignored, not fatal
    assert registry.get("gp").name == "gradient-penalty" and registry.get("ridge").name == "ridge"
    assert "BAD NAME" not in registry and registry.names() == ["gp2", "gradient-penalty", "odd", "r1", "ridge"]
    registry.remove("gradient-penalty")
    assert "gp" not in registry


@pytest.mark.parametrize("reg", ["gp", "r1"])
@pytest.mark.parametrize(("arch", "options", "size", "channels"), FAMILIES, ids=IDS)
def test_penalty_is_added_logged_and_changes_the_gradient(arch, options, size, channels, reg):
    batch = {"image": build_dataset("fake", size=size, channels=channels, length=8).get_batch(torch.arange(8))["image"]}
    results = {}
    for name, regs in (("plain", {}), ("penalised", {reg: 10.0})):
        model = build(arch, options)
        torch.manual_seed(1)  # same fakes and dropout masks in both runs
        loss, logs = model.d_loss(batch, build_objective("wasserstein", regs))
        loss.backward()
        grads = [p.grad.clone() for p in model.discriminator.parameters()]
        results[name] = (loss.detach(), logs, grads)
    plain, penalised = results["plain"], results["penalised"]
    logs = penalised[1]
    assert "d_penalty" not in plain[1] and math.isfinite(logs["d_penalty"]) and logs["d_penalty"] > 0
    assert logs["d_adv"] == pytest.approx(plain[1]["d_adv"], abs=1e-5)  # the penalty adds to the same loss
    assert logs["d_loss"] == pytest.approx(logs["d_adv"] + logs["d_penalty"], rel=1e-5, abs=1e-5)
    assert any(not torch.allclose(a, b) for a, b in zip(plain[2], penalised[2]))


@pytest.mark.parametrize(("arch", "options", "size", "channels"), FAMILIES, ids=IDS)
def test_training_steps_with_each_penalty(arch, options, size, channels):
    data = build_dataset("fake", size=size, channels=channels, length=16)
    for reg in ("gradient-penalty", "r1"):
        model = build(arch, options)
        before = [p.detach().clone() for p in model.generator.parameters()]
        history = train_steps(model, data, steps=2, batch_size=8, n_critic=2,
                              objective=build_objective("wasserstein", {reg: 10.0}))
        for logs in history:
            assert all(math.isfinite(v) for v in logs.values()), logs
            assert logs["d_penalty"] > 0 and "wasserstein" in logs
        assert any(not torch.equal(a, b) for a, b in zip(before, model.generator.parameters()))


@pytest.mark.parametrize(("arch", "options", "size", "channels"), FAMILIES, ids=IDS)
def test_the_wasserstein_estimate_is_logged_for_every_family(arch, options, size, channels):
    batch = {"image": torch.rand(4, channels, size, size) * 2 - 1}
    _, logs = build(arch, options).d_loss(batch, build_objective("wasserstein"))
    assert logs["wasserstein"] == pytest.approx(logs["d_real"] - logs["d_fake"], abs=1e-6)
    assert logs["wasserstein"] == pytest.approx(-logs["d_adv"], abs=1e-5)
    _, logs = build(arch, options).d_loss(batch, build_objective("hinge"))
    assert "wasserstein" not in logs  # only a critic loss estimates a Wasserstein distance


def test_batch_norm_with_a_gradient_penalty_gets_one_caveat():
    penalised = build_objective("wasserstein", {"gp": 10.0})
    dcgan32 = build("dcgan", FAMILIES[2][1])
    caveat = penalty_caveat(dcgan32, penalised)
    assert caveat is not None and "batch norm" in caveat and "\n" not in caveat
    assert penalty_caveat(dcgan32, build_objective("wasserstein")) is None  # no penalty, nothing to say
    assert penalty_caveat(build("dcgan", FAMILIES[1][1]), penalised) is None  # the 28x28 tutorial D has none
    assert penalty_caveat(build("wgan-gp", FAMILIES[3][1]), penalised) is None


# -- the command line ---------------------------------------------------------------------------------
DCGAN32 = ["dcgan", "--dataset", "fake", "--data", "size=32", "--data", "channels=3", "--data", "length=16",
           "--set", "base_channels=4", "--set", "latent_dim=8", "-b", "4", "--max-steps", "2",
           "--precision", "fp32", "--quiet", "--log-every", "1", "--samples", "4"]


def test_dcgan_trains_with_loss_wasserstein_and_reg_gp(tmp_path):
    out = tmp_path / "run"
    result = ganzoo("train", *DCGAN32, "--loss", "wasserstein", "--reg", "gp=10", "--n-critic", "2", "--out", str(out))
    assert result.exit_code == 0, result.output
    train = json.loads((out / "config.json").read_text())["train"]
    assert train["regularisers"] == {"gradient-penalty": 10} and train["loss"] == "wasserstein"
    for line in (out / "metrics.jsonl").read_text().splitlines():
        logs = json.loads(line)
        assert logs["d_penalty"] > 0 and math.isfinite(logs["wasserstein"])


@pytest.mark.parametrize(("args", "message"), [
    (["--set", "gp=10"], "'gp' is a regulariser, not an architecture option: use --reg gp=10"),
    (["--set", "n_critic=5"], "'n_critic' is a training option, not an architecture option: use --n-critic 5"),
    (["--set", "wasserstein=1"], "use --loss wasserstein"),
    (["--reg", "gp=10", "--reg", "gradient-penalty=5"], "--reg names gradient-penalty twice"),
    (["--reg", "none", "--reg", "r1"], "--reg none means no regulariser at all"),
    (["--reg", "gradient_penalty=10"], "unknown regulariser 'gradient_penalty'; did you mean 'gradient-penalty'?"),
])
def test_misplaced_penalties_are_one_line_errors(tmp_path, args, message):
    result = ganzoo("train", *DCGAN32, *args, "--out", str(tmp_path / "run"))
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1, result.output
