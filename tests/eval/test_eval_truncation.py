"""evaluate(..., truncation=T) and ganzoo eval --truncation: truncated latents, recorded in the provenance."""

from __future__ import annotations

import pytest
import torch
from click.testing import CliRunner

from ganzoo.cli import build_cli
from ganzoo.errors import UsageError
from ganzoo.eval.api import evaluate
from ganzoo.train import TrainConfig, train


class Recorder(torch.nn.Module):
    """A stand-in generator that keeps the latents it was asked to draw images from."""

    task, num_classes, latent_dim, image_shape = "unconditional", 0, 16, (1, 28, 28)
    latent_distribution = "normal"

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.seen: list[torch.Tensor] = []

    def sample(self, n=None, *, z=None, labels=None, **_):
        self.seen.append(z.clone())
        return torch.tanh(z[:, :1, None, None].expand(-1, 1, 28, 28))


def test_truncation_bounds_every_latent_and_is_recorded():
    model = Recorder()
    results = evaluate(model, metrics="fid", num_samples=200, reference="fashion-mnist:test", cache=False,
                       baseline=False, progress=False, truncation=0.5)
    z = torch.cat(model.seen)
    assert z.shape == (200, 16) and z.abs().max() <= 0.5
    assert results.provenance["truncation"] == 0.5 and results.provenance["target"]["truncation"] == 0.5
    untruncated = evaluate(Recorder(), metrics="fid", num_samples=200, reference="fashion-mnist:test", cache=False,
                           baseline=False, progress=False)
    assert untruncated.provenance["truncation"] is None


def test_models_whose_latents_are_not_gaussian_refuse_truncation():
    model = Recorder()
    model.latent_distribution = "uniform"
    with pytest.raises(UsageError, match="truncation"):
        evaluate(model, metrics="fid", num_samples=20, cache=False, baseline=False, truncation=0.5)


def test_images_have_no_latents_to_truncate():
    with pytest.raises(UsageError, match="images have none"):
        evaluate(torch.zeros(20, 1, 28, 28), metrics="fid", num_samples=20, cache=False, baseline=False,
                 truncation=0.5)


def test_cli_reports_the_truncation_it_used(tmp_path):
    run = tmp_path / "run"
    train(TrainConfig("dcgan", "fake", arch_options={"base_channels": 8, "latent_dim": 8},
                      data_options={"length": 16}, batch_size=8, max_steps=1, out=str(run), quiet=True, device="cpu"))
    result = CliRunner().invoke(build_cli(), ["eval", str(run), "-n", "50", "--metrics", "is", "--truncation", "0.7",
                                              "-q", "--reference", "fashion-mnist:test"])
    assert result.exit_code == 0, result.output
    assert "truncation 0.7" in result.output
    sampled = CliRunner().invoke(build_cli(), ["sample", str(run), "-n", "4", "--truncation", "0.7",
                                               "-o", str(tmp_path / "grid.png")])
    assert sampled.exit_code == 0 and (tmp_path / "grid.png").is_file(), sampled.output
