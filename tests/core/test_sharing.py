"""ganzoo.sharing.SharedFakes: the discriminator step's fakes reach the generator step only while still valid."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
from torch import nn

from ganzoo.sharing import SharedFakes

pytestmark = pytest.mark.usefixtures("one_thread")


class Holder(nn.Module):
    """A tiny 'family': a generator that maps latents to 'images', and the helper, as families hold it."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.generator = nn.Linear(3, 5)
        self.shared = SharedFakes()

    def make(self, z: torch.Tensor, key=(), share: bool = True) -> torch.Tensor:
        return self.shared.make(self.generator, lambda: self.generator(z), share=share, key=key)


def frozen(holder: Holder) -> Holder:
    """The generator frozen, as the training engine leaves it during the discriminator step."""
    for p in holder.generator.parameters():
        p.requires_grad_(False)
    return holder


def test_the_fakes_are_handed_over_once_with_their_graph():
    holder = frozen(Holder())
    z = torch.randn(4, 3)
    detached = holder.make(z, key=(4,))
    assert not detached.requires_grad  # what the discriminator's loss sees
    assert not any(p.requires_grad for p in holder.generator.parameters())  # frozen again
    taken = holder.shared.take(holder.generator, key=(4,))
    assert taken is not None and taken.requires_grad and torch.equal(taken.detach(), detached)
    assert torch.equal(taken, holder.generator(z))  # the fresh pass it stands for
    for p in holder.generator.parameters():  # the engine's generator step unfreezes G
        p.requires_grad_(True)
    taken.sum().backward()
    assert all(p.grad is not None for p in holder.generator.parameters())  # the graph reaches G
    assert holder.shared.take(holder.generator, key=(4,)) is None  # only once


@pytest.mark.parametrize(("kept", "given", "reused"), [
    ((4,), (4,), True),
    ((4,), (5,), False),
    ((4,), (), False),
    ((torch.tensor([1, 2, 3]),), (torch.tensor([1, 2, 3]),), True),   # equal values, another tensor
    ((torch.tensor([1, 2, 3]),), (torch.tensor([3, 2, 1]),), False),  # other labels
    ((torch.tensor([1, 2, 3]),), (torch.tensor([1, 2]),), False),
    ((torch.tensor([1, 2, 3]),), (torch.tensor([1.0, 2.0, 3.0]),), False),  # another dtype
    ((torch.tensor([1, 2, 3]),), ([1, 2, 3],), False),  # not a tensor
])
def test_the_key_must_match(kept, given, reused):
    holder = Holder()
    holder.make(torch.randn(3, 3), key=kept)
    assert (holder.shared.take(holder.generator, key=given) is not None) == reused


def test_the_very_same_tensor_is_a_match_without_comparing_values():
    holder = Holder()
    source = torch.full((2, 3), float("nan"))  # NaN != NaN: only identity can match it
    holder.make(torch.randn(2, 3), key=(source,))
    assert holder.shared.take(holder.generator, key=(source,)) is not None


def test_never_reused_after_a_weight_update():
    holder = Holder()
    optimiser = torch.optim.SGD(holder.generator.parameters(), lr=0.1)
    holder.make(torch.randn(2, 3))
    holder.generator(torch.randn(2, 3)).sum().backward()
    optimiser.step()  # bumps the parameters' version counters
    assert holder.shared.take(holder.generator) is None
    holder.make(torch.randn(2, 3))
    with torch.no_grad():
        holder.generator.bias.add_(0.0)  # any in-place write counts, even one that changes nothing
    assert holder.shared.take(holder.generator) is None


def test_never_reused_across_autocast_modes():
    holder = Holder()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        holder.make(torch.randn(2, 3))
    assert holder.shared.take(holder.generator) is None
    holder.make(torch.randn(2, 3))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert holder.shared.take(holder.generator) is None
    with torch.autocast("cpu", dtype=torch.bfloat16):
        holder.make(torch.randn(2, 3))
        assert holder.shared.take(holder.generator) is not None


def test_nothing_is_kept_unless_sharing_in_training_mode_with_autograd():
    holder = Holder()
    z = torch.randn(2, 3)
    assert not holder.make(z, share=False).requires_grad
    assert holder.shared.take(holder.generator) is None
    holder.eval()
    assert not holder.make(z).requires_grad
    holder.train()
    assert holder.shared.take(holder.generator) is None
    with torch.no_grad():
        assert not holder.make(z).requires_grad
    assert holder.shared.take(holder.generator) is None
    # Kept in training mode, but the generator step runs in eval mode or without autograd.
    holder.make(z)
    holder.eval()
    assert holder.shared.take(holder.generator) is None
    holder.train()
    holder.make(z)
    with torch.no_grad():
        assert holder.shared.take(holder.generator) is None


def test_a_new_make_or_clear_drops_the_old_fakes():
    holder = Holder()
    holder.make(torch.randn(2, 3), key=(1,))
    holder.make(torch.randn(2, 3), share=False, key=(1,))
    assert holder.shared.take(holder.generator, key=(1,)) is None
    holder.make(torch.randn(2, 3))
    holder.shared.clear()
    assert holder.shared.take(holder.generator) is None


def test_copies_start_empty():
    holder = Holder()
    holder.make(torch.randn(2, 3))
    for twin in (copy.deepcopy(holder), pickle.loads(pickle.dumps(holder))):
        assert twin.shared is not holder.shared
        assert twin.shared.take(twin.generator) is None
    assert holder.shared.take(holder.generator) is not None  # the original keeps its own
