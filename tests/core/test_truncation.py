"""The truncation trick: latents bounded to [-T, T], deterministic per seed, refused where undefined."""

from __future__ import annotations

import pytest
import torch

from ganzoo.errors import UsageError
from ganzoo.models import build_model, truncate_normal


@pytest.mark.parametrize("bound", [0.1, 0.5, 2.0])
def test_truncated_latents_stay_inside_the_bound(bound):
    gan = build_model("dcgan", base_channels=8, latent_dim=16)
    z = gan.sample_latent(500, generator=torch.Generator().manual_seed(0), truncation=bound)
    assert z.shape == (500, 16)
    assert float(z.abs().max()) <= bound
    # redrawn, not clipped: hardly any value sits on the bound itself
    assert float((z.abs() == bound).float().mean()) < 0.01
    assert float(z.std()) < 1.0


def test_truncation_is_deterministic_per_seed_and_keeps_inside_values():
    gan = build_model("dcgan", base_channels=8, latent_dim=16)
    a = gan.sample_latent(64, generator=torch.Generator().manual_seed(5), truncation=0.5)
    b = gan.sample_latent(64, generator=torch.Generator().manual_seed(5), truncation=0.5)
    assert torch.equal(a, b)
    plain = gan.sample_latent(64, generator=torch.Generator().manual_seed(5))
    inside = plain.abs() <= 0.5
    assert torch.equal(a[inside], plain[inside])


def test_sample_passes_truncation_on():
    torch.manual_seed(0)
    gan = build_model("dcgan", base_channels=8, latent_dim=16)
    wide = gan.sample(32, generator=torch.Generator().manual_seed(1))
    narrow = gan.sample(32, generator=torch.Generator().manual_seed(1), truncation=0.1)
    assert narrow.shape == wide.shape
    assert float(narrow.std(dim=0).mean()) < float(wide.std(dim=0).mean())


def test_bad_truncation_and_models_without_normal_latents_are_refused():
    gan = build_model("dcgan", base_channels=8, latent_dim=16)
    for bad in (0.0, -1.0, 0.01, 100.0, "x"):
        with pytest.raises(UsageError, match="--truncation"):
            gan.sample_latent(4, truncation=bad)
    gan.latent_distribution = "uniform"
    with pytest.raises(UsageError, match="uniform distribution"):
        gan.sample_latent(4, truncation=0.5)
    pix2pix = build_model("pix2pix", base_channels=8)
    with pytest.raises(UsageError, match="no latent space"):
        pix2pix.sample_latent(4, truncation=0.5)


def test_truncate_normal_redraws_only_what_is_outside():
    z = torch.tensor([[0.1, 3.0, -0.2, -5.0]])
    out = truncate_normal(z, 1.0, generator=torch.Generator().manual_seed(0))
    assert out[0, 0] == 0.1 and out[0, 2] == -0.2
    assert float(out.abs().max()) <= 1.0
    assert z[0, 1] == 3.0  # the input is not changed in place
