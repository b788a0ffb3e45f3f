"""Neural style transfer (``neural-style``, ``ganzoo style-transfer``) on tiny images with random VGG19 weights.

No test touches the network: ImageNet weights are faked by files of random weights in a private
``TORCH_HOME``, and the one download attempt is intercepted.
"""

from __future__ import annotations

import urllib.error

import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from ganzoo.cli import build_cli
from ganzoo.errors import CheckpointError, UsageError
from ganzoo.models import build_model
from ganzoo_style import color, weights
from ganzoo_style.model import NeuralStyle
from ganzoo_style.transfer import style_transfer
from ganzoo_style.vgg import build_features, random_init

pytestmark = pytest.mark.usefixtures("one_thread")


def ganzoo(*args: str):
    return CliRunner().invoke(build_cli(), list(args), catch_exceptions=False)


def one_line_error(result, code: int) -> str:
    assert result.exit_code == code, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganzoo: error: "), result.output
    return lines[0]


def scene(height: int = 32, width: int = 40) -> torch.Tensor:
    """A content image in [-1, 1]: a red disk on a blue-green gradient."""
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, height), torch.linspace(-1, 1, width), indexing="ij")
    disk = (xx ** 2 + yy ** 2 < 0.35).float()
    return torch.stack([disk * 1.6 - 0.8, 0.4 * xx - 0.3 * disk, 0.6 - 0.5 * (yy + 1) * (1 - disk)]).clamp(-1, 1)


def stripes(size: int = 32, phase: float = 0.0) -> torch.Tensor:
    """A style image in [-1, 1]: saturated diagonal stripes."""
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    wave = xx * 10 + yy * 5 + phase
    return torch.stack([torch.sin(wave), torch.sin(wave + 2.1), torch.cos(yy * 8)]) * 0.9


def save(tensor: torch.Tensor, path, **kwargs) -> None:
    from ganzoo.images import tensor_to_image

    tensor_to_image(tensor).save(path, **kwargs)


@pytest.fixture(scope="module")
def model() -> NeuralStyle:
    return NeuralStyle(weights="random")


@pytest.fixture
def images(tmp_path):
    content, style = tmp_path / "a.jpg", tmp_path / "b.png"
    save(scene(30, 44), content, quality=95)
    save(stripes(36), style)
    return content, style


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    home = tmp_path / "torch-home"
    monkeypatch.setenv("TORCH_HOME", str(home))
    return home


def random_vgg_state(seed: int, prefix: str = "", dtype: torch.dtype = torch.float16) -> dict[str, torch.Tensor]:
    """A VGG19 feature state dict (float16 by default: half the disk space, loaded as float32)."""
    features = build_features()
    random_init(features, seed)
    return {f"{prefix}{k}": v.to(dtype) for k, v in features.state_dict().items()}


def same_weights(model: NeuralStyle, state: dict[str, torch.Tensor], prefix: str = "") -> bool:
    return all(torch.equal(v, state[f"{prefix}{k}"].float()) for k, v in model.vgg.features.state_dict().items())


# -- the optimisation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("optimizer", "lr"), [("lbfgs", None), ("adam", 0.05)])
def test_content_and_style_losses_fall(model, optimizer, lr):
    logs, steps = [], 12
    out = model.transfer(scene(), stripes(), steps=steps, optimizer=optimizer, lr=lr, init="noise",
                         callback=lambda step, losses, image: logs.append(losses))
    assert len(logs) == steps and out.shape == (3, 32, 40)
    first, last = logs[0], logs[-1]
    assert last["style"] < 0.5 * first["style"], logs
    assert last["content"] < 0.9 * first["content"], logs
    assert all(torch.isfinite(torch.tensor(list(entry.values()))).all() for entry in logs)


def test_deterministic_per_seed_and_seed_matters(model):
    run = lambda seed: model.transfer(scene(), stripes(), steps=3, init="noise", seed=seed)  # noqa: E731
    first, again, other = run(3), run(3), run(4)
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert first.min() >= -1 and first.max() <= 1 and not first.requires_grad


def test_size_is_the_longer_side(model):
    assert model.transfer(scene(32, 40), stripes(), steps=1, size=20).shape == (3, 16, 20)
    assert model.transfer(scene(40, 32), stripes(), steps=1).shape == (3, 40, 32)
    assert model.transfer(scene(), stripes(12)[:, :, :4], steps=1).shape == (3, 32, 40)  # a tiny style is enlarged
    with pytest.raises(UsageError, match="shorter side must be at least 16"):
        model.transfer(scene(16, 48), stripes(), steps=1, size=24)


def test_several_styles_blend_their_gram_matrices(model):
    content, a, b = scene(), stripes(32), stripes(24, phase=1.0).flip(-1)
    only_a = model.transfer(content, a, steps=3)
    assert torch.equal(model.transfer(content, [a, b], blend=[1, 0], steps=3), only_a)
    mixed = style_transfer(content, [a, b], weights="random", blend=[0.5, 0.5], steps=3)
    assert not torch.equal(mixed, only_a)
    with pytest.raises(UsageError, match="2 style blend weights for 3 style"):
        model.transfer(content, [a, b, a], blend=[1, 2], steps=1)
    with pytest.raises(UsageError, match="non-negative"):
        model.transfer(content, [a, b], blend=[1, -1], steps=1)


def test_preserve_color_keeps_the_contents_chrominance(model):
    content = scene()
    chroma = lambda image: color.rgb_to_yiq(((image + 1) / 2)[None])[0, 1:]  # noqa: E731
    kept = model.transfer(content, stripes(), steps=8, style_weight=1e4, preserve_color=True)
    plain = model.transfer(content, stripes(), steps=8, style_weight=1e4)
    kept_error = (chroma(kept) - chroma(content)).abs().mean()
    plain_error = (chroma(plain) - chroma(content)).abs().mean()
    assert kept_error < 0.01 < plain_error, (kept_error, plain_error)
    luma = lambda image: color.luminance(((image + 1) / 2)[None])  # noqa: E731
    assert (luma(kept) - luma(content)).abs().mean() > 0.01  # the style did change the luminance


def test_bad_options_are_usage_errors(model):
    for kwargs, message in [({"init": "zeros"}, "init must be one of"), ({"optimizer": "sgd"}, "optimizer must be"),
                            ({"style_weight": -1.0}, "style weight must be zero or more"),
                            ({"steps": 0}, "steps must be at least 1")]:
        with pytest.raises(UsageError, match=message):
            model.transfer(scene(), stripes(), **kwargs)
    with pytest.raises(UsageError, match="one image"):
        model.transfer(torch.zeros(2, 3, 20, 20), stripes(), steps=1)


# -- weights ---------------------------------------------------------------------------------------------


def test_feature_layers_match_torchvision_vgg19():
    from torchvision.models import VGG19_Weights
    from torchvision.models.vgg import cfgs, make_layers

    assert VGG19_Weights.IMAGENET1K_V1.url == weights.WEIGHTS_URL
    theirs = {k: tuple(v.shape) for k, v in make_layers(cfgs["E"]).state_dict().items() if int(k.split(".")[0]) <= 28}
    assert {k: tuple(v.shape) for k, v in build_features().state_dict().items()} == theirs


def test_random_weights_are_fixed():
    assert same_weights(NeuralStyle(weights="random"), random_vgg_state(weights.RANDOM_SEED, dtype=torch.float32))


def test_imagenet_weights_missing_offline_is_one_clear_error(torch_home, images, tmp_path):
    with pytest.raises(CheckpointError) as caught:
        NeuralStyle()
    text = str(caught.value)
    expected = torch_home / "hub" / "checkpoints" / "vgg19-dcbb9e9d.pth"
    assert str(expected) in text and weights.WEIGHTS_URL in text and "--vgg-weights random" in text
    line = one_line_error(ganzoo("style-transfer", *map(str, images), "-o", str(tmp_path / "o.png")), 1)
    assert "vgg19-dcbb9e9d.pth" in line and "downloads are off" in line


def test_a_failed_download_is_one_clear_error(torch_home, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    calls = []

    def no_network(url, dst, **kwargs):
        calls.append(url)
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    with pytest.raises(CheckpointError, match="the download failed: <urlopen error Name or service not known>"):
        NeuralStyle()
    assert calls == [weights.WEIGHTS_URL]
    with pytest.raises(CheckpointError, match="downloads are off"):
        NeuralStyle(download=False)
    assert len(calls) == 1


def test_imagenet_weights_are_read_from_the_torch_hub_cache(torch_home):
    state = random_vgg_state(7, prefix="features.")
    state["classifier.0.weight"] = torch.zeros(4, 4)  # a whole torchvision VGG19 has more than features
    path = torch_home / "hub" / "checkpoints" / "vgg19-dcbb9e9d.pth"
    path.parent.mkdir(parents=True)
    torch.save(state, path)
    loaded = build_model("neural-style")
    assert loaded.weights_source == str(path)
    assert same_weights(loaded, state, prefix="features.")


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_vgg_weights_path(tmp_path, images, suffix):
    from safetensors.torch import save_file

    state = random_vgg_state(11)  # feature layers only, keys "0.weight" ...
    path = tmp_path / f"vgg{suffix}"
    torch.save(state, path) if suffix == ".pth" else save_file(state, str(path))
    assert same_weights(NeuralStyle(weights=str(path)), state)
    out = tmp_path / "out.png"
    result = ganzoo("style-transfer", *map(str, images), "-o", str(out), "--vgg-weights", str(path), "--steps", "2",
                    "--quiet", "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert f"VGG19 weights: {path}" in result.output and out.is_file()


def test_bad_weight_files_are_one_line_errors(tmp_path):
    wrong = tmp_path / "wrong.pth"
    torch.save({"0.weight": torch.zeros(8, 3, 3, 3)}, wrong)
    with pytest.raises(CheckpointError, match="does not hold VGG19 weights: 25 tensors missing"):
        NeuralStyle(weights=str(wrong))
    shapes = tmp_path / "shapes.pth"
    torch.save({k: v[:1] for k, v in random_vgg_state(1).items()}, shapes)
    with pytest.raises(CheckpointError, match="does not hold VGG19 weights"):
        NeuralStyle(weights=str(shapes))
    text = tmp_path / "notes.pth"
    text.write_text("not weights")
    with pytest.raises(CheckpointError, match="is not a readable weights file") as caught:
        NeuralStyle(weights=str(text))
    assert "\n" not in str(caught.value)
    with pytest.raises(CheckpointError, match="no VGG19 weights file at"):
        NeuralStyle(weights=str(tmp_path / "missing.safetensors"))


# -- the command line ------------------------------------------------------------------------------------


def test_cli_writes_an_image_of_the_contents_size_or_size(images, tmp_path):
    content, style = images
    out = tmp_path / "out.png"
    result = ganzoo("style-transfer", str(content), str(style), "-o", str(out), "--vgg-weights", "random",
                    "--steps", "3", "--quiet")
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "random (seed 0)" in result.output
    with Image.open(out) as image:
        assert image.size == (44, 30) and image.mode == "RGB"
    result = ganzoo("style-transfer", str(content), str(style), "-o", str(tmp_path / "small.webp"),
                    "--vgg-weights", "random", "--steps", "2", "--size", "24", "--quiet", "--optimizer", "adam")
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "small.webp") as image:
        assert image.size == (24, 16)


def test_cli_respects_exif_orientation_and_drops_alpha(tmp_path):
    photo = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: viewers rotate it 90 degrees clockwise
    save(scene(24, 40), photo, exif=exif, quality=95)
    style = tmp_path / "style.png"
    rgba = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    rgba.paste((200, 30, 30, 255), (0, 0, 16, 32))
    rgba.save(style)
    out = tmp_path / "out.png"
    result = ganzoo("style-transfer", str(photo), str(style), "-o", str(out), "--vgg-weights", "random",
                    "--steps", "2", "--quiet")
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.size == (24, 40) and image.mode == "RGB"  # upright: 24 wide, 40 tall
    result = ganzoo("style-transfer", str(style), str(photo), "-o", str(out), "--vgg-weights", "random",
                    "--steps", "1", "--quiet", "--size", "20", "--overwrite")
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.size == (20, 20) and image.mode == "RGB"


def test_cli_frames_and_several_styles(images, tmp_path):
    content, style = images
    second = tmp_path / "second.bmp"
    save(stripes(20, phase=2.0), second)
    frames = tmp_path / "frames"
    result = ganzoo("style-transfer", str(content), str(style), str(second), "--style-blend", "0.7,0.3",
                    "-o", str(tmp_path / "out.png"), "--vgg-weights", "random", "--steps", "4", "--frames",
                    str(frames), "--frame-every", "2", "--quiet", "--init", "noise", "--seed", "1", "--pool", "avg")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in frames.iterdir()) == ["frame_00002.png", "frame_00004.png", "progress.gif"]
    with Image.open(frames / "frame_00004.png") as last, Image.open(tmp_path / "out.png") as out:
        assert last.tobytes() == out.tobytes()


def test_cli_bad_inputs_fail_cleanly(images, tmp_path):
    content, style = images
    not_image = tmp_path / "notes.png"
    not_image.write_text("hello")
    out = str(tmp_path / "out.png")
    common = ["-o", out, "--vgg-weights", "random", "--steps", "1", "--quiet"]
    line = one_line_error(ganzoo("style-transfer", str(not_image), str(style), *common), 2)
    assert "notes.png: not an image" in line
    line = one_line_error(ganzoo("style-transfer", str(content), str(tmp_path / "nope.jpg"), *common), 2)
    assert "no such image file" in line
    line = one_line_error(ganzoo("style-transfer", str(content), str(style), *common[2:], "-o",
                                 str(tmp_path / "out.xyz")), 2)
    assert "cannot tell the image format" in line
    line = one_line_error(ganzoo("style-transfer", str(content), str(style), *common, "--style-blend", "1,2"), 2)
    assert "2 weights for 1 style image" in line
    line = one_line_error(ganzoo("style-transfer", str(content), str(style), *common, "--style-blend", "a"), 2)
    assert "comma-separated numbers" in line
    assert one_line_error(ganzoo("style-transfer", str(content), *common), 2)  # no STYLE
    tiny = tmp_path / "tiny.png"
    save(scene(10, 12), tiny)
    line = one_line_error(ganzoo("style-transfer", str(tiny), str(style), *common), 2)
    assert "shorter side must be at least 16" in line
    assert not (tmp_path / "out.png").exists()


def test_train_refuses_style_transfer_architectures():
    line = one_line_error(ganzoo("train", "neural-style", "--dataset", "fake"), 2)
    assert "no trainer" in line and "ganzoo style-transfer" in line


# -- conformance -----------------------------------------------------------------------------------------


class Unseeded(NeuralStyle):
    """Starts from fresh noise on every call, whatever the seed: breaks determinism."""

    def transfer(self, content, style, **kwargs):
        kwargs.update(init="noise", seed=int(torch.randint(0, 10_000, ())))
        return super().transfer(content, style, **kwargs)


def test_conformance_checks_what_applies_to_style_transfer():
    from ganzoo import hookimpl, testing
    from ganzoo.plugins import get_manager

    checks = {c.check for c in testing.cases() if c.name == "neural-style"}
    assert {"builds-with-defaults", "builds-tiny", "transfers", "config-rebuilds", "safetensors-round-trip"} <= checks
    assert not checks & {"samples", "discriminates", "losses", "trains-two-steps"}  # GAN checks only for GANs

    class Broken:
        @hookimpl
        def register_architectures(self, register):
            register("unseeded-style", f"{__name__}:Unseeded", summary="Ignores its seed",
                     metadata={"task": "style-transfer", "test_kwargs": {"weights": "random"}})

    get_manager().add_plugin(Broken(), "broken-style")
    with pytest.raises(testing.ConformanceError, match="transfers: transfer with the same seed gave different"):
        testing.Case("architectures", "unseeded-style", "transfers").run()
