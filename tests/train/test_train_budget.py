"""--max-minutes: a wall-clock budget for the step loop, recorded with the images it bought."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ganzoo.cli import build_cli
from ganzoo.errors import UsageError
from ganzoo.train import TrainConfig, train

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = dict(arch="dcgan", dataset="fake", arch_options={"base_channels": 8, "latent_dim": 8},
            data_options={"length": 40, "size": 28, "channels": 1}, batch_size=8, precision="fp32", device="cpu",
            quiet=True, log_every=1000, sample_count=4, checkpoint_every=0)


def state_of(result) -> dict:
    return json.loads((result.checkpoint / "state.json").read_text())


def test_the_clock_alone_ends_a_run_with_a_checkpoint_that_records_its_cost(tmp_path):
    result = train(TrainConfig(**TINY, out=str(tmp_path / "run"), max_minutes=0.02))  # 1.2 s
    state = state_of(result)
    assert result.step > 1  # neither 5 epochs (25 steps of 40 images at 8) nor one step: the clock decided
    assert state["train_seconds"] >= 1.2
    assert state["images_seen"] == result.step * 8
    last = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()][-1]
    assert last["step"] == result.step and last["images_seen"] == result.step * 8 and last["train_s"] >= 1.2
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["train"]["max_minutes"] == 0.02


def test_a_step_budget_that_ends_first_wins(tmp_path):
    result = train(TrainConfig(**TINY, out=str(tmp_path / "run"), max_minutes=10, max_steps=3))
    assert result.step == 3 and state_of(result)["train_seconds"] < 600


def test_resume_adds_the_seconds_of_every_leg(tmp_path):
    first = train(TrainConfig(**TINY, out=str(tmp_path / "run"), max_steps=3))
    seconds = state_of(first)["train_seconds"]
    second = train(TrainConfig(**TINY, out=str(tmp_path / "run"), max_steps=6, resume=True))
    assert second.step == 6 and state_of(second)["train_seconds"] > seconds
    assert state_of(second)["images_seen"] == 6 * 8


@pytest.mark.parametrize("changes", [{"lr_schedule": "cosine"}, {"instance_noise": 0.1}])
def test_schedules_need_a_step_budget(changes):
    with pytest.raises(UsageError, match="needs a step budget"):
        TrainConfig(**{**TINY, **changes}, max_minutes=1)
    TrainConfig(**{**TINY, **changes}, max_minutes=1, max_steps=10)  # with one, fine


def test_cli_refuses_a_negative_budget_in_one_line(tmp_path):
    result = CliRunner().invoke(build_cli(), ["train", "dcgan", "-d", "fake", "--max-minutes", "-1",
                                              "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and "max_minutes must be >= 0" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "run").exists()
