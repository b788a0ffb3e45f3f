"""`ganzoo train --logger tensorboard`: curves, grids and hparams in TensorBoard's own event files.

30 steps, then a resume to 60, on real Fashion-MNIST; the events are read back with
TensorBoard's EventAccumulator, which applies the purge a resumed writer asks for.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ganzoo.cli import build_cli

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator",
                                        reason="tensorboard is part of the test extra")

TRAIN = ["train", "dcgan", "--dataset", "fashion-mnist", "--data", "limit=640", "--batch-size", "64",
         "--set", "base_channels=8", "--log-every", "1", "--checkpoint-every", "20", "--logger", "tensorboard",
         "--eval-every", "30", "--eval-samples", "200", "--quiet"]


def events(folder):
    accumulator = event_accumulator.EventAccumulator(str(folder), size_guidance={"scalars": 0, "images": 0,
                                                                                 "tensors": 0})
    accumulator.Reload()
    return accumulator


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("tb") / "run"
    first = CliRunner().invoke(build_cli(), [*TRAIN, "--max-steps", "30", "--out", str(out)])
    assert first.exit_code == 0, first.output
    # Resumed from step 20, so steps 21-30 are trained, and logged, a second time.
    second = CliRunner().invoke(build_cli(), [*TRAIN, "--max-steps", "60", "--out", str(out), "--resume",
                                              "--checkpoint", "20"])
    assert second.exit_code == 0, second.output
    return out


def test_every_scalar_is_logged_at_steps_1_to_60_once(run):
    accumulator = events(run / "tensorboard")
    tags = set(accumulator.Tags()["scalars"])
    assert {"d_loss", "g_loss", "d_real", "d_fake", "lr_g", "lr_d", "images_per_s", "images_seen"} <= tags
    for tag in ("d_loss", "g_loss", "lr_g", "images_per_s"):
        steps = [event.step for event in accumulator.Scalars(tag)]
        assert steps == list(range(1, 61)), (tag, steps)
    fid = [event.step for event in accumulator.Scalars("eval/FID[fmnist-cnn]")]
    assert fid == [30, 60]


def test_sample_grids_are_images(run):
    accumulator = events(run / "tensorboard")
    assert "samples" in accumulator.Tags()["images"]
    grids = accumulator.Images("samples")
    assert grids and grids[-1].step == 60 and grids[-1].width > 28


def test_the_hyperparameters_and_final_scores_are_an_hparams_row(run):
    accumulator = events(run / "tensorboard")
    assert "_hparams_/session_start_info" in accumulator.Tags()["tensors"] or accumulator.PluginTagToContent(
        "hparams")
    content = accumulator.PluginTagToContent("hparams")
    from tensorboard.plugins.hparams import plugin_data_pb2

    start = next(plugin_data_pb2.HParamsPluginData.FromString(v) for k, v in content.items()
                 if k.endswith("session_start_info"))
    hparams = start.session_start_info.hparams
    assert hparams["arch"].string_value == "dcgan" and hparams["batch_size"].number_value == 64
    assert "hparam/best_FID[fmnist-cnn]" in accumulator.Tags()["scalars"]


def test_metrics_jsonl_stays(run):
    lines = (run / "metrics.jsonl").read_text().splitlines()
    steps = [int(line.split('"step": ')[1].split(",")[0].rstrip("}")) for line in lines if '"d_loss"' in line]
    assert steps == list(range(1, 61))
