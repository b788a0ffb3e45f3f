"""Training sample grids: their layout follows what the model makes."""

import torch

import ganzoo
from ganzoo.train.sampling import FixedSamples


def test_class_conditional_grids_have_one_column_per_class():
    model = ganzoo.create_model("cgan", base_channels=4, latent_dim=8, num_classes=10)
    data = [{"image": torch.zeros(1, 28, 28), "label": 0}]
    samples = FixedSamples(model, data, 40, seed=0)
    assert samples.nrow == 10
    labels = samples.kwargs["labels"].view(-1, samples.nrow)
    assert (labels == torch.arange(10)).all()  # every row walks through the classes in order


def test_unconditional_grids_are_square():
    model = ganzoo.create_model("dcgan", base_channels=4, latent_dim=8)
    samples = FixedSamples(model, [{"image": torch.zeros(1, 28, 28)}], 64, seed=0)
    assert samples.nrow == 8
