"""The code behind ``ganzoo_fake_pixels``: an extractor with no weights and a metric defined on it."""

from ganzoo.plugin import FeatureExtractor, Metric


class Pixels(FeatureExtractor):
    name = "pixels-8"
    num_features = 64
    num_classes = 0
    input_channels = 1
    input_size = 8

    def _features_and_logits(self, images):
        return images.flatten(1), None


class BrightnessGap(Metric):
    outputs = ("BrightnessGap",)
    features = "pixels-8"

    def compute(self, fake, real, *, seed=0):
        return {"BrightnessGap": float((fake.features.mean() - real.features.mean()).abs())}


class BrokenGap(Metric):
    outputs = ("BrokenGap",)

    def compute(self, fake, real, *, seed=0):
        return {"BrokenGap": {"mean": 0.0}[self.settings.get("statistic", "median")]}  # KeyError: 'median'


def stripes(split="train", length=8):
    """A factory that returns its own DatasetInfo, naming neither license nor source."""
    import torch

    from ganzoo.plugin import DatasetInfo, InMemoryImages

    images = torch.zeros(length, 1, 8, 8, dtype=torch.uint8)
    images[:, :, ::2] = 255
    return InMemoryImages(images, None, DatasetInfo(name="stripes", split=split, channels=1, size=8))
