"""Latent walks: spherical and linear paths, waypoints from seeds, and class blends through embeddings."""

from __future__ import annotations

import pytest
import torch

from ganzoo.errors import UsageError
from ganzoo.latents import class_blend, lerp, path_through, seeded_waypoints, slerp, walk
from ganzoo.models import build_model


def test_slerp_keeps_the_norm_and_hits_both_ends():
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(5, 100, generator=gen), torch.randn(5, 100, generator=gen)
    t = torch.linspace(0, 1, 9)
    path = slerp(a, b, t)
    assert path.shape == (9, 5, 100)
    torch.testing.assert_close(path[0], a, atol=1e-5, rtol=0)
    torch.testing.assert_close(path[-1], b, atol=1e-5, rtol=0)
    expected = (1 - t[:, None]) * a.norm(dim=-1) + t[:, None] * b.norm(dim=-1)
    torch.testing.assert_close(path.norm(dim=-1), expected, atol=1e-4, rtol=0)
    # A straight line sags towards the origin half-way; the great circle does not.
    middle = lerp(a, b, torch.tensor([0.5]))[0].norm(dim=-1)
    assert bool((middle < 0.85 * path[4].norm(dim=-1)).all())


def test_slerp_of_parallel_vectors_is_the_straight_line():
    a = torch.ones(1, 4)
    torch.testing.assert_close(slerp(a, 2 * a, torch.tensor([0.25])), lerp(a, 2 * a, torch.tensor([0.25])))


def test_path_through_waypoints_counts_each_shared_frame_once():
    points = torch.randn(3, 2, 8)
    open_path = path_through(points, 5)
    assert open_path.shape == (2 * 4 + 1, 2, 8)
    for index, frame in ((0, 0), (1, 4), (2, 8)):
        torch.testing.assert_close(open_path[frame], points[index], atol=1e-5, rtol=0)
    loop = path_through(points, 5, loop=True)
    assert loop.shape == (3 * 4, 2, 8)  # ends one step before the start, so the animation cycles
    torch.testing.assert_close(loop[0], points[0], atol=1e-5, rtol=0)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"steps": 1}, "at least 2"),
    ({"mode": "cubic"}, "slerp"),
])
def test_bad_walks_are_refused_with_the_option_to_change(kwargs, match):
    with pytest.raises(UsageError, match=match):
        path_through(torch.randn(2, 1, 4), kwargs.get("steps", 4), mode=kwargs.get("mode", "slerp"))


def test_a_walk_needs_two_waypoints_and_bounded_frames():
    with pytest.raises(UsageError, match="two waypoints"):
        path_through(torch.randn(1, 1, 4), 4)
    with pytest.raises(UsageError, match="frames"):
        path_through(torch.randn(100, 1, 4), 50)


@pytest.fixture(scope="module")
def dcgan():
    torch.manual_seed(0)
    return build_model("dcgan", latent_dim=16, image_size=28, channels=1).eval()


def test_waypoints_are_the_latents_sampling_draws_from_the_same_seed(dcgan):
    points = seeded_waypoints(dcgan, [3, 7], rows=4)
    torch.testing.assert_close(points[0], dcgan.sample_latent(4, generator=torch.Generator().manual_seed(3)))
    torch.testing.assert_close(points[1], dcgan.sample_latent(4, generator=torch.Generator().manual_seed(7)))
    bounded = seeded_waypoints(dcgan, [3], rows=4, truncation=0.5)
    assert float(bounded.abs().max()) <= 0.5


def test_a_walk_starts_and_ends_on_the_seeds_images_and_repeats(dcgan):
    frames = walk(dcgan, seeds=(1, 2), steps=6, rows=3)
    assert frames.shape == (6, 3, 1, 28, 28)
    generated = dcgan.sample(z=seeded_waypoints(dcgan, [2], rows=3)[0])
    torch.testing.assert_close(frames[-1], generated, atol=1e-5, rtol=0)
    torch.testing.assert_close(walk(dcgan, seeds=(1, 2), steps=6, rows=3), frames)


@pytest.fixture(scope="module")
def cgan():
    torch.manual_seed(0)
    return build_model("cgan", latent_dim=16, num_classes=10, image_size=28, channels=1).eval()


def test_a_class_blend_is_each_class_at_its_ends_and_between_them_inside(cgan):
    z = torch.randn(3, 16, generator=torch.Generator().manual_seed(0))
    start, end = torch.full((3,), 2), torch.full((3,), 7)
    with class_blend(cgan, start, end, torch.zeros(3)):
        at_start = cgan.sample(z=z, labels=start)
    with class_blend(cgan, start, end, torch.ones(3)):
        at_end = cgan.sample(z=z, labels=start)
    with class_blend(cgan, start, end, torch.full((3,), 0.5)):
        middle = cgan.sample(z=z, labels=start)
    torch.testing.assert_close(at_start, cgan.sample(z=z, labels=start), atol=1e-5, rtol=0)
    torch.testing.assert_close(at_end, cgan.sample(z=z, labels=end), atol=1e-5, rtol=0)
    assert (middle - at_start).abs().mean() > 1e-4 and (middle - at_end).abs().mean() > 1e-4
    assert not cgan.generator._forward_hooks  # the hooks are gone afterwards
    for module in cgan.generator.modules():
        assert not module._forward_hooks


def test_class_walks_are_for_class_conditional_models(dcgan, cgan):
    frames = walk(cgan, classes=(0, 9), steps=5, rows=2)
    assert frames.shape == (5, 2, 1, 28, 28)
    with pytest.raises(UsageError, match="class-conditional"):
        walk(dcgan, classes=(0, 9), steps=5)
