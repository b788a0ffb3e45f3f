"""Checkpoint folders as a hostile or careless user makes them: each is one line, cheaply.

A folder's ``config.json`` and weights may be edited, crafted or mixed up. Whatever they say,
ganzoo must not build a huge model before checking the weights, read files outside the folder,
load integer or NaN weights, or answer a wrongly typed field with "internal error".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from ganzoo.errors import CheckpointError, UsageError
from ganzoo.hub.checkpoint import load_checkpoint, read_config
from ganzoo.hub.zoo import locate
from ganzoo.plugins import get_registry

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def bundled() -> Path:
    return locate(get_registry("pretrained").get("dcgan-fashion")).folder


@pytest.fixture
def folder(tmp_path, bundled) -> Path:
    """A copy of the bundled dcgan-fashion checkpoint (config.json + real weights) to spoil."""
    target = tmp_path / "ckpt"
    target.mkdir()
    for name in ("config.json", "generator.safetensors"):
        shutil.copy(bundled / name, target / name)
    return target


def edit_config(folder: Path, change) -> Path:
    path = folder / "config.json"
    config = json.loads(path.read_text())
    change(config)
    path.write_text(json.dumps(config))
    return folder


def edit_weights(path: Path, change) -> None:
    state = load_file(str(path))
    change(state)
    save_file(state, str(path))


def ganzoo(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


def one_line_error(result: subprocess.CompletedProcess, code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganzoo: error: "), result.stderr
    return lines[0]


# -- 1. config.json checked against the weights before the model is built -------------------------
#: A child that loads a folder (or a training run) and reports how much its peak memory grew.
CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from ganzoo.errors import GanzooError
    from ganzoo.hub.pretrained import load_pretrained
    from ganzoo.plugins import get_registry
    from ganzoo.runs.folder import load_run

    get_registry("architectures")  # plugins loaded: the baseline is what any command has anyway

    def peak_mb():
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return kb / 1024 if sys.platform != "darwin" else kb / 2**20

    before = peak_mb()
    try:
        load_run(sys.argv[2]) if sys.argv[1] == "run" else load_pretrained(sys.argv[2])
        outcome = "loaded"
    except GanzooError as exc:
        outcome = "error: " + str(exc)
    print(json.dumps({"outcome": outcome, "growth_mb": peak_mb() - before}))
    """
)


def load_in_child(kind: str, path: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", CHILD, kind, str(path)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_config_asking_for_a_huge_model_is_refused_before_it_is_built(folder):
    # Before: the 40000-d latent built a 2 GB generator (9 s) and only then said "does not match".
    edit_config(folder, lambda c: c["architecture"]["kwargs"].update(latent_dim=40000))
    report = load_in_child("pretrained", folder)
    assert report["outcome"].startswith("error: ")
    assert "generator.safetensors does not match the generator in config.json" in report["outcome"]
    assert "'0.weight' has shape (12544, 100), the model expects (12544, 40000)" in report["outcome"]
    assert report["growth_mb"] < 200, report
    line = one_line_error(ganzoo("pretrained", str(folder), "sample", "-o", str(folder.parent / "s.png")), 1)
    assert "(12544, 40000)" in line


def test_a_model_far_larger_than_its_weights_is_refused_before_it_is_built(folder):
    # The discriminator is not in the folder, so no header bounds it: 210 M parameters for a
    # 2.3 M parameter generator is refused from the meta-device build, not allocated.
    edit_config(folder, lambda c: c["architecture"]["kwargs"].update(d_channels=2048))
    report = load_in_child("pretrained", folder)
    assert report["outcome"].startswith("error: ") and "far more than the 2,330,947 in its weight files" in \
        report["outcome"], report
    assert report["growth_mb"] < 200, report


def make_run(tmp_path: Path, state: dict | None = None) -> Path:
    """A training-run folder with one checkpoint of the bundled dcgan-fashion config."""
    from ganzoo.folders import RUN_FORMAT
    from ganzoo.hub.checkpoint import read_config
    from ganzoo.models import build_model
    from ganzoo.runs.checkpoints import save_checkpoint

    bundled = locate(get_registry("pretrained").get("dcgan-fashion")).folder
    arch = read_config(bundled)["architecture"]
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"format": RUN_FORMAT, "format_version": 1, "architecture": {
        "name": arch["name"], "kwargs": arch["kwargs"]}}))
    torch.manual_seed(0)
    model = build_model(arch["name"], **arch["kwargs"])
    save_checkpoint(run, 1, model=state if state is not None else model.state_dict(), ema=None, optimizers={},
                    rng={}, state={})
    return run


def test_a_training_run_with_an_edited_config_is_refused_before_it_is_built(tmp_path):
    run = make_run(tmp_path)
    edit_config(run, lambda c: c["architecture"]["kwargs"].update(latent_dim=40000))
    report = load_in_child("run", run)
    assert "model.safetensors does not match the model in config.json" in report["outcome"], report
    assert "(12544, 40000)" in report["outcome"]
    assert report["growth_mb"] < 200, report
    line = one_line_error(ganzoo("sample", str(run), "-o", str(tmp_path / "s.png")), 1)
    assert "does not match the model" in line


# -- 2. weight paths stay inside the folder ------------------------------------------------------
@pytest.mark.parametrize("name, words", [
    ("../../../../etc/passwd", "points outside the checkpoint folder"),
    ("sub/../../generator.safetensors", "points outside the checkpoint folder"),
    ("ABSOLUTE", "is the absolute path"),
    ("generator.bin", "is not a .safetensors file"),
    ("", "must be a file name"),
])
def test_weight_paths_outside_the_folder_are_refused(tmp_path, folder, bundled, name, words):
    # Before: ../../../../etc/passwd was opened; an absolute path to a foreign file loaded and sampled.
    if name == "ABSOLUTE":
        name = str(bundled / "generator.safetensors")
    edit_config(folder, lambda c: c["weights"].update(generator=name))
    with pytest.raises(CheckpointError, match=words):
        load_checkpoint(folder)
    if name in ("../../../../etc/passwd", str(bundled / "generator.safetensors")):  # the CLI, for the two reported
        line = one_line_error(ganzoo("pretrained", str(folder), "sample", "-o", str(tmp_path / "s.png")), 1)
        assert words in line and "config.json" in line


def test_a_symlink_out_of_the_folder_is_refused_and_one_inside_it_is_not(tmp_path, folder, bundled):
    weights = folder / "generator.safetensors"
    weights.unlink()
    weights.symlink_to(bundled / "generator.safetensors")  # a valid file, but somewhere else
    with pytest.raises(CheckpointError, match="is a link to .* outside the checkpoint folder"):
        load_checkpoint(folder)
    weights.unlink()
    shutil.copy(bundled / "generator.safetensors", folder / "real.safetensors")
    weights.symlink_to("real.safetensors")
    model, _ = load_checkpoint(folder)
    assert model.sample(2).shape == (2, 1, 28, 28)


def test_the_hugging_face_cache_layout_of_symlinks_to_blobs_still_loads(tmp_path, bundled):
    repo = tmp_path / "hub" / "models--someone--dcgan"
    (repo / "blobs").mkdir(parents=True)
    snapshot = repo / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    for name, blob in (("config.json", "c0ffee"), ("generator.safetensors", "beef")):
        shutil.copy(bundled / name, repo / "blobs" / blob)
        (snapshot / name).symlink_to(Path("..") / ".." / "blobs" / blob)
    model, _ = load_checkpoint(snapshot)
    assert model.sample(2).shape == (2, 1, 28, 28)


# -- 3. integer, NaN and infinite weights ----------------------------------------------------------
@pytest.mark.parametrize("spoil, words, via_cli", [
    (lambda t: t.to(torch.int16), "'0.weight' is stored as int16, but the model needs floating point weights", True),
    (lambda t: t.to(torch.bool), "'0.weight' is stored as bool, but the model needs floating point weights", False),
    (lambda t: t.index_fill(0, torch.tensor([3]), float("nan")), "tensor '0.weight' holds NaN or infinite", True),
    (lambda t: t.index_fill(0, torch.tensor([3]), float("inf")), "tensor '0.weight' holds NaN or infinite", False),
], ids=["int16", "bool", "nan", "inf"])
def test_integer_and_non_finite_weights_are_refused(tmp_path, folder, spoil, words, via_cli):
    # Before: int16 weights loaded silently; NaN ones sampled an all-black PNG.
    edit_weights(folder / "generator.safetensors", lambda s: s.update({"0.weight": spoil(s["0.weight"])}))
    with pytest.raises(CheckpointError, match=words) as info:
        load_checkpoint(folder)
    assert str(folder / "generator.safetensors") in str(info.value)
    if via_cli:
        line = one_line_error(ganzoo("pretrained", str(folder), "sample", "-o", str(tmp_path / "s.png")), 1)
        assert "generator.safetensors" in line and "'0.weight'" in line
        assert not (tmp_path / "s.png").exists()


def test_integer_buffers_may_be_stored_as_any_integer_but_not_as_floats(folder):
    state = load_file(str(folder / "generator.safetensors"))
    counters = [k for k, v in state.items() if not v.is_floating_point()]
    assert counters and all(k.endswith("num_batches_tracked") for k in counters)  # BatchNorm's int64 buffers
    edit_weights(folder / "generator.safetensors", lambda s: s.update({k: s[k].to(torch.int32) for k in counters}))
    load_checkpoint(folder)
    edit_weights(folder / "generator.safetensors", lambda s: s.update({counters[0]: s[counters[0]].float()}))
    with pytest.raises(CheckpointError, match=f"'{counters[0]}' is stored as float32, but the model needs integers"):
        load_checkpoint(folder)


def test_a_training_checkpoint_with_nan_weights_is_refused(tmp_path):
    from ganzoo.runs.folder import load_run

    run = make_run(tmp_path)
    path = run / "checkpoints" / "step_00000001" / "model.safetensors"
    key = "generator.0.weight"
    edit_weights(path, lambda s: s.update({key: torch.full_like(s[key], float("nan"))}))
    with pytest.raises(CheckpointError, match=f"tensor '{key}' holds NaN .* pick an earlier checkpoint"):
        load_run(run)
    edit_weights(path, lambda s: s.update({key: s[key].to(torch.int16)}))
    with pytest.raises(CheckpointError, match=f"'{key}' is stored as int16"):
        load_run(run)


# -- 4. config.json fields of the wrong type --------------------------------------------------------
BAD_FIELDS = [
    ("architecture-string", lambda c: c.update(architecture="dcgan"), '"architecture" must be an object'),
    ("kwargs-string", lambda c: c["architecture"].update(kwargs="x"), '"architecture.kwargs" must be an object'),
    ("name-number", lambda c: c["architecture"].update(name=7), '"architecture.name" must be an architecture name'),
    ("format-version-abc", lambda c: c.update(format_version="abc"), '"format_version" must be a whole number'),
    ("format-version-null", lambda c: c.update(format_version=None), '"format_version" must be a whole number'),
    ("format-version-bool", lambda c: c.update(format_version=True), '"format_version" must be a whole number'),
    ("weights-null", lambda c: c.update(weights=None), '"weights" must be an object'),
    ("weights-generator-list", lambda c: c["weights"].update(generator=["a"]), '"weights.generator" must be a file'),
    ("metrics-string", lambda c: c.update(metrics="x"), '"metrics" must be a list of objects'),
    ("metrics-of-numbers", lambda c: c.update(metrics=[1, 2]), '"metrics" must be a list of objects'),
    ("classes-string", lambda c: c.update(classes="abc"), '"classes" must be a list of class names'),
    ("training-list", lambda c: c.update(training=[]), '"training" must be an object'),
    ("image-string", lambda c: c.update(image="28x28"), '"image" must be an object'),
    ("latent-dim-string", lambda c: c.update(latent={"dim": "100"}), '"latent.dim" must be a whole number'),
    ("num-classes-negative", lambda c: c.update(num_classes=-1), '"num_classes" must be a whole number'),
    ("no-architecture", lambda c: c.pop("architecture"), 'has no "architecture" field'),
]


@pytest.mark.parametrize("label, change, words", BAD_FIELDS, ids=[b[0] for b in BAD_FIELDS])
def test_wrongly_typed_config_fields_are_one_line_errors(folder, label, change, words):
    # Before: most of these were "internal error: TypeError/ValueError/AttributeError ...".
    edit_config(folder, change)
    for attempt in (read_config, load_checkpoint):
        with pytest.raises(CheckpointError, match=words) as info:
            attempt(folder)
        assert str(folder / "config.json") in str(info.value) and "\n" not in str(info.value)


def test_absurdly_nested_json_is_a_one_line_error(folder):
    # Before: "internal error: RecursionError: maximum recursion depth exceeded ...".
    (folder / "config.json").write_text("[" * 100_000)
    with pytest.raises(CheckpointError, match="is not valid JSON"):
        read_config(folder)


@pytest.mark.parametrize("label", ["architecture-string", "format-version-abc", "weights-null", "metrics-string",
                                   "nested"])
def test_the_cli_reports_bad_config_fields_in_one_line(tmp_path, folder, label):
    if label == "nested":
        (folder / "config.json").write_text("[" * 100_000)
    else:
        edit_config(folder, {b[0]: b[1] for b in BAD_FIELDS}[label])
    commands = [["info"]] + ([["sample", "-o", str(tmp_path / "s.png")]] if label in ("weights-null", "nested") else [])
    for command in commands:
        line = one_line_error(ganzoo("pretrained", str(folder), *command), 1)
        assert "config.json" in line


def test_the_bundled_models_still_validate_and_load(bundled):
    from ganzoo.hub.config import CheckpointConfig

    for name in ("dcgan-fashion", "cgan-fashion", "wgan-gp-fashion", "pix2pix-edges2fashion",
                 "cyclegan-sneaker2boot"):
        where = locate(get_registry("pretrained").get(name)).folder
        parsed = CheckpointConfig.read(where)
        assert parsed.weights.generator == "generator.safetensors" and parsed.architecture.kwargs
        model, config = load_checkpoint(where)
        assert config == read_config(where) and not model.training


# -- 5. names ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, words", [
    ("hf:ownér/repo", "bad Hub name 'hf:ownér/repo'"),
    ("hf:owner/re--po", "bad Hub name"),
    ("hf:owner/repo.git", "bad Hub name"),
    ("~nouser-ganzoo-test/x", "there is no user 'nouser-ganzoo-test' on this machine"),
])
def test_odd_names_are_usage_errors(name, words):
    from ganzoo.hub.names import parse_source

    with pytest.raises(UsageError, match=words):
        parse_source(name)
    line = one_line_error(ganzoo("pretrained", name, "info"), 2)
    assert words in line


def test_a_folder_that_does_not_exist_or_is_a_file_is_a_usage_error(tmp_path):
    line = one_line_error(ganzoo("pretrained", str(tmp_path / "nothing"), "info"), 2)
    assert "no such folder" in line
    (tmp_path / "file").write_text("x")
    line = one_line_error(ganzoo("pretrained", str(tmp_path / "file"), "info"), 2)
    assert "is a file, not a checkpoint folder" in line


def test_the_hub_clients_own_name_check_is_a_usage_error():
    from huggingface_hub.errors import HFValidationError

    from ganzoo.hub.download import hub_errors

    with pytest.raises(UsageError, match="not a valid Hub repo name"), hub_errors("a/b-", None, offline=True):
        raise HFValidationError("Repo id must use alphanumeric chars")


# -- 6. devices ------------------------------------------------------------------------------------
def test_a_bogus_device_names_the_choices(tmp_path):
    # Before: "internal error: RuntimeError: Expected one of cpu, cuda, ... device type at start of device string".
    line = one_line_error(ganzoo("pretrained", "dcgan-fashion", "sample", "-o", str(tmp_path / "s.png"),
                                 "--device", "bogus"), 2)
    assert "unknown device 'bogus'; use auto, cpu, cuda, cuda:N or mps" in line
    assert not (tmp_path / "s.png").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_says_to_use_the_cpu(tmp_path):
    # Before: "internal error: AssertionError: Torch not compiled with CUDA enabled".
    line = one_line_error(ganzoo("pretrained", "dcgan-fashion", "sample", "-o", str(tmp_path / "s.png"),
                                 "--device", "cuda"), 2)
    assert "CUDA is not available here" in line and "use --device cpu" in line


def test_select_device_refuses_what_cannot_be_used(monkeypatch):
    from ganzoo.devices import select_device

    for name in ("meta", "cpu:x", "gpu"):
        with pytest.raises(UsageError, match="auto, cpu, cuda, cuda:N or mps"):
            select_device(name)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    with pytest.raises(UsageError, match="has 2 CUDA GPU"):
        select_device("cuda:5")
    assert select_device("cuda:1") == torch.device("cuda", 1)


def test_the_library_checks_device_names_too():
    import ganzoo

    with pytest.raises(UsageError, match="unknown device"):
        ganzoo.load_pretrained("dcgan-fashion", device="bogus")


# -- issue 22: shapes the weights do not fix -------------------------------------------------------------
@pytest.mark.parametrize("records", [False, True], ids=["kwargs-only", "every-record"])
def test_a_pix2pix_config_asking_for_huge_images_is_refused_before_it_is_built(tmp_path, records):
    """Before: image_size 16384 with the original (fully convolutional) weights passed the header
    check, then a 28x28 input took 8 GiB. The weights cannot bound it, so the side is bounded."""
    from peak_memory import one_error_line, run_measured

    from ganzoo.hub.checkpoint import MAX_IMAGE_SIDE

    source = locate(get_registry("pretrained").get("pix2pix-edges2fashion")).folder
    folder = tmp_path / "p2p"
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("*.onnx*"))

    def huge(config):
        config["architecture"]["kwargs"]["image_size"] = 16384
        if records:  # the records of config.json edited to agree
            config["input_shape"] = [1, 16384, 16384]
            config["image"].update(height=16384, width=16384)

    edit_config(folder, huge)
    (tmp_path / "in.png").write_bytes((source / "samples.png").read_bytes())
    result = run_measured("translate", folder, tmp_path / "in.png", "-o", tmp_path / "out.png", ceiling_gb=8)
    line = one_error_line(result, 1)
    assert "16384x16384 pixels" in line and f"more than the {MAX_IMAGE_SIDE} a side" in line
    assert result.peak_mb < 1800, result.peak_mb
    assert not (tmp_path / "out.png").exists()


def test_a_recorded_image_shape_must_match_the_rebuilt_model(folder):
    edit_config(folder, lambda c: c["image"].update(height=64, width=64))
    with pytest.raises(CheckpointError, match=r"records images of \[1, 64, 64\] .* makes \[1, 28, 28\]"):
        load_checkpoint(folder)
