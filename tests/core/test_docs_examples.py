"""Code in docs/plugins.md that a plugin author copies is run here, so the guide cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

PLUGINS_MD = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"

pytestmark = pytest.mark.usefixtures("one_thread")


def _first_block_under(heading: str) -> str:
    text = PLUGINS_MD.read_text(encoding="utf-8")
    section = text[text.index(f"\n{heading}\n"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.fixture
def aux_gan():
    namespace: dict[str, object] = {"__name__": "docs_loss_term"}
    exec(compile(_first_block_under("### Adding a loss term to a family"), "docs/plugins.md", "exec"), namespace)
    return namespace["AuxClassifierGAN"]


def _batch(n: int = 6) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return {"image": torch.rand(n, 1, 28, 28, generator=generator) * 2 - 1,
            "label": torch.randint(0, 10, (n,), generator=generator)}


@pytest.mark.parametrize(("loss", "regularisers"),
                         [("non-saturating", None), ("wasserstein", {"gradient-penalty": 10.0}), ("hinge", None)])
def test_the_loss_term_example_trains_under_every_objective(aux_gan, loss, regularisers):
    from ganzoo.losses import build_objective

    objective = build_objective(loss, regularisers, instance_noise=0.1)
    torch.manual_seed(0)
    model = aux_gan(width=32, latent_dim=8)
    d, logs = model.d_loss(_batch(), objective)
    total = logs["d_adv"] + logs.get("d_penalty", 0.0) + model.aux_weight * logs["d_aux"]
    assert logs["d_loss"] == pytest.approx(d.item())
    assert logs["d_loss"] == pytest.approx(total, rel=1e-5)
    d.backward()
    assert model.discriminator["cls"].weight.grad.abs().sum() > 0
    model.zero_grad()
    g, g_logs = model.g_loss(_batch(), objective)
    g.backward()
    assert torch.isfinite(g) and g_logs["g_aux"] > 0
    assert model.embed.weight.grad.abs().sum() > 0


def test_the_loss_term_example_keeps_its_embedding_through_export(aux_gan, tmp_path):
    from ganzoo.models import sampling_module

    torch.manual_seed(0)
    model = aux_gan(width=32, latent_dim=8)
    assert "embed.weight" in sampling_module(model).state_dict()
    fresh = aux_gan(width=32, latent_dim=8)
    fresh.sampling_module().load_state_dict(model.sampling_module().state_dict(), strict=True)
    seed = torch.Generator().manual_seed(5)
    again = torch.Generator().manual_seed(5)
    assert torch.equal(model.sample(4, generator=seed), fresh.sample(4, generator=again))
