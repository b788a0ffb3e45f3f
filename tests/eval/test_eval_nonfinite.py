"""Non-finite numbers never reach linear algebra (issue 22): corrupt caches, NaN features, broken batch norm.

A NaN in a cached feature file, or a checkpoint whose batch-norm ``running_var`` is negative, once
made ``ganzoo eval --metrics fid`` die in LAPACK with exit 139 and no message. Each case runs in
a subprocess, so a crash is an exit code here, not the end of the test session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from ganzoo.hub.zoo import locate
from ganzoo.plugins import get_registry

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}


def _ganzoo(args: list[str], home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True, timeout=600,
                          env={**ENV, "GANZOO_HOME": str(home)}, cwd=cwd)


def _tiny_model() -> torch.nn.Module:
    import ganzoo

    torch.manual_seed(0)
    return ganzoo.create_model("vanilla", latent_dim=8, hidden=[16, 32])


def _fid(home: Path) -> tuple[tuple[float, float], list[str]]:
    """FID and its baseline of the tiny model with the cache in ``home``, and the notes it gave."""
    from ganzoo.eval import evaluate

    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        patch.setenv("GANZOO_HOME", str(home))
        results = evaluate(_tiny_model(), metrics="fid", num_samples=100, seed=3, device="cpu", progress=False)
    value = results.get("FID")
    return (value.value, value.baseline), [str(w.message) for w in caught]


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, tuple[float, float]]:
    """A cache filled by one evaluation, and the values it gave."""
    home = tmp_path_factory.mktemp("home")
    found, _ = _fid(home)
    assert any((home / "cache" / "eval").glob("features-*.safetensors"))
    return home, found


def _rewrite_features(cache: Path, change) -> None:
    files = sorted(cache.glob("features-*.safetensors"))
    assert files
    for path in files:
        tensors = load_file(str(path))
        tensors.update(change(dict(tensors)))
        save_file(tensors, str(path))


def _rewrite_baselines(cache: Path, text: str) -> None:
    files = sorted(cache.glob("baseline-*.json"))
    assert files
    for path in files:
        before = json.dumps(json.loads(path.read_text()))
        after = before.replace('"values": {"FID": ', f'"values": {{"FID": {text}, "x": ')
        assert after != before
        path.write_text(after)


def _one_nan(t: dict) -> dict:
    features = t["features"].clone()
    features[0, 0] = float("nan")
    return {"features": features}


CORRUPTIONS = {
    "a NaN in the features": lambda cache: _rewrite_features(cache, _one_nan),
    "integer features": lambda cache: _rewrite_features(cache, lambda t: {"features": (t["features"] * 100).long()}),
    "features of the wrong width": lambda cache: _rewrite_features(cache, lambda t: {"features": t["features"][:, :7].contiguous()}),
    "features of too few rows": lambda cache: _rewrite_features(cache, lambda t: {"features": t["features"][:50]}),
    "features of one dimension": lambda cache: _rewrite_features(cache, lambda t: {"features": t["features"][0]}),
    "infinite logits": lambda cache: _rewrite_features(
        cache, lambda t: {"logits": torch.full_like(t["logits"], float("inf"))} if "logits" in t else _one_nan(t)),
    "a baseline that is a string": lambda cache: _rewrite_baselines(cache, '"12.5"'),
    "a baseline that is null": lambda cache: _rewrite_baselines(cache, "null"),
    "a baseline of 1e400": lambda cache: _rewrite_baselines(cache, "1e400"),
}


@pytest.mark.parametrize("corrupt", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_a_corrupt_cache_is_recomputed_with_a_note(clean, tmp_path, corrupt):
    home, expected = clean
    shutil.copytree(home / "cache", tmp_path / "home" / "cache")
    corrupt(tmp_path / "home" / "cache" / "eval")
    found, notes = _fid(tmp_path / "home")  # before: a segfault, "internal error", or a wrong FID
    assert any(n.startswith("the cached evaluation entry") and "recomputing it" in n for n in notes), notes
    assert found == pytest.approx(expected, rel=1e-5)
    again, notes = _fid(tmp_path / "home")  # the entry was rewritten: read back without a note
    assert again == pytest.approx(expected, rel=1e-5) and not any("cached" in n for n in notes), notes


def test_a_nan_in_the_cache_is_no_crash_on_the_command_line(clean, tmp_path):
    home, _ = clean
    shutil.copytree(home / "cache", tmp_path / "home" / "cache")
    _rewrite_features(tmp_path / "home" / "cache" / "eval", _one_nan)
    done = _ganzoo(["eval", "fashion-mnist:train", "--reference", "fashion-mnist:test", "--metrics", "fid", "-n", "100",
                    "--device", "cpu", "--seed", "3", "--no-baseline", "-q"], tmp_path / "home", tmp_path)
    assert done.returncode == 0, (done.returncode, done.stderr)  # was 139, a segfault in LAPACK
    assert "ganzoo: note: the cached evaluation entry" in done.stderr and "Traceback" not in done.stderr


def _zoo_copy(tmp_path: Path, change) -> Path:
    from ganzoo.plugins import reset_manager

    reset_manager()
    folder = tmp_path / "model"
    shutil.copytree(locate(get_registry("pretrained").get("dcgan-fashion")).folder, folder)
    weights = load_file(str(folder / "generator.safetensors"))
    key = change(weights)
    save_file(weights, str(folder / "generator.safetensors"), metadata={"format": "pt"})
    return folder, key


def _negative_var(weights: dict) -> str:
    key = next(k for k in weights if k.endswith("running_var"))
    weights[key] = -weights[key].abs() - 1
    return key


def _nan_weight(weights: dict) -> str:
    key = next(k for k in weights if k.endswith("weight") and "running" not in k)
    weights[key] = weights[key].clone()
    weights[key].view(-1)[0] = float("nan")
    return key


@pytest.mark.parametrize("change", [_negative_var, _nan_weight], ids=["negative running_var", "NaN weight"])
@pytest.mark.parametrize("command", [["eval", "{model}", "--metrics", "fid", "-n", "100", "--device", "cpu"],
                                     ["pretrained", "{model}", "sample", "-o", "out.png"]], ids=["eval", "sample"])
def test_a_checkpoint_with_broken_statistics_is_refused_in_one_line(tmp_path, change, command):
    folder, key = _zoo_copy(tmp_path, change)
    done = _ganzoo([a.replace("{model}", str(folder)) for a in command], tmp_path / "home", tmp_path)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1, (done.returncode, done.stderr)  # not 139: no crash in LAPACK
    assert len(lines) == 1 and lines[0].startswith("ganzoo: error:") and key in lines[0], done.stderr
    assert not (tmp_path / "out.png").exists()


METRICS_SCRIPT = textwrap.dedent("""
    import json, sys, torch
    from ganzoo.errors import GanzooError
    from ganzoo.eval import evaluate
    from ganzoo.eval.features import Features
    from ganzoo.eval.metrics import build_metric

    def outcome(call):
        try:
            call()
        except GanzooError as exc:
            return [exc.exit_code, str(exc)]
        return [0, ""]

    def metric_case(metric, side, value):
        good, bad = Features(torch.randn(64, 16)), Features(torch.randn(64, 16))
        bad.features[3, 5] = float(value)
        fake, real = (bad, good) if side == "fake" else (good, bad)
        return outcome(lambda: build_metric(metric).compute(fake, real))

    def images_case(metrics):
        images = torch.zeros(20, 1, 28, 28)
        images[0] = float("nan")
        return outcome(lambda: evaluate(images, metrics=metrics, reference="fashion-mnist:test", num_samples=20,
                                        baseline=False, cache=False, device="cpu", progress=False))

    found = {f"{m}/{s}/{v}": metric_case(m, s, v) for m in ("fid", "kid", "pr", "dc") for s in ("fake", "real")
             for v in ("nan", "inf")}
    found.update({f"images/{m}": images_case(m) for m in ("fid", "kid,pr")})
    print(json.dumps(found))
""")


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, list]:
    """Every metric given NaN or inf features on either side, in one subprocess (a crash is its exit code)."""
    done = subprocess.run([sys.executable, "-c", METRICS_SCRIPT], capture_output=True, text=True, env=ENV,
                          cwd=tmp_path_factory.mktemp("metrics"), timeout=600)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])  # 139 was the segfault
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("value", ["nan", "inf"])
@pytest.mark.parametrize("side", ["fake", "real"])
@pytest.mark.parametrize("metric", ["fid", "kid", "pr", "dc"])
def test_metrics_refuse_non_finite_features_naming_the_source(outcomes, metric, side, value):
    code, message = outcomes[f"{metric}/{side}/{value}"]
    source = "generated samples" if side == "fake" else "reference images"
    assert code == 1 and source in message and "NaN or infinite" in message, message


@pytest.mark.parametrize("metrics", ["fid", "kid,pr"])
def test_non_finite_images_are_one_error_naming_them(outcomes, metrics):
    code, message = outcomes[f"images/{metrics}"]
    assert code == 1 and "the target images give NaN or infinite" in message, message
