"""The code behind ``ganzoo_fake_acgan``: a class embedding outside ``generator``, declared for sampling."""

import torch
from torch import nn

from ganzoo.plugin import GAN


class SideEmbedGAN(GAN):
    task = "class-conditional"
    #: ``generate`` reads ``embed`` as well as ``generator``: EMA, export and ONNX must carry both.
    sampling_modules = ("generator", "embed")

    def __init__(self, latent_dim: int = 8, num_classes: int = 4, image_size: int = 8, hidden: int = 32) -> None:
        super().__init__({"latent_dim": latent_dim, "num_classes": num_classes, "image_size": image_size,
                          "hidden": hidden})
        if hidden < 1:  # a plugin's own check, raised as a plain ValueError (its bug to word it so)
            raise ValueError(f"hidden must be positive, got {hidden}")
        size = image_size
        self.latent_dim, self.num_classes, self.image_shape = latent_dim, num_classes, (1, size, size)
        self.embed = nn.Embedding(num_classes, latent_dim)
        self.generator = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, size * size),
                                       nn.Tanh())
        self.discriminator = nn.Sequential(nn.Flatten(), nn.Linear(size * size, hidden), nn.LeakyReLU(0.2),
                                           nn.Linear(hidden, 1 + num_classes))

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        assert labels is not None
        return self.generator(z * self.embed(labels)).view(-1, *self.image_shape)

    def discriminate(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.discriminator(images)[:, 0]

    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        return {"generator": [*self.generator.parameters(), *self.embed.parameters()],
                "discriminator": list(self.discriminator.parameters())}
