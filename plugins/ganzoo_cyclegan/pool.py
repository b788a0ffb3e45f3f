"""The image history pool: discriminators also see fakes from earlier generator versions.

Shrivastava et al. (2017) showed that a discriminator trained only on the newest fakes lets the
generator oscillate; CycleGAN keeps the last ``size`` fakes and shows the discriminator a mix.
The pool's images and fill count are registered buffers, so they are part of the model's state
dict: a run checkpoint saves them and ``--resume`` continues with the same pool. Random draws come
from torch's global generator, which the training engine seeds and restores.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ImagePool(nn.Module):
    """A buffer of up to ``size`` past fakes of shape ``image_shape`` (C, H, W).

    :meth:`query` follows the paper's rule for each image of a batch: while the pool is not
    full, store it and return it; afterwards, with probability ``p``, return a random stored
    image and put the new one in its place, else return the new image. ``size=0`` turns the
    pool off (``query`` returns its input).

    >>> pool = ImagePool(50, (1, 28, 28))
    >>> mixed = pool.query(fakes)   # doctest: +SKIP
    """

    images: Tensor  # registered buffers (declared here for type checkers)
    count: Tensor

    def __init__(self, size: int, image_shape: tuple[int, int, int], p: float = 0.5) -> None:
        super().__init__()
        self.size = int(size)
        self.p = float(p)
        self.register_buffer("images", torch.zeros(self.size, *image_shape))
        self.register_buffer("count", torch.zeros((), dtype=torch.int64))

    @property
    def filled(self) -> int:
        """How many images the pool holds now."""
        return int(self.count)

    @torch.no_grad()
    def query(self, images: Tensor) -> Tensor:
        """A batch as large as ``images`` mixing them with stored fakes; updates the pool.

        The bookkeeping runs on Python integers and the pixels move in two ``index_select``
        calls, so a batch of 64 costs two tensor copies rather than 64 small ones. When a batch
        picks the same slot twice, the second pick sees the image the first one stored, exactly
        as if the images had been queried one by one.
        """
        if self.size == 0:
            return images
        n = images.shape[0]
        fresh = images.detach().to(self.images.dtype)
        draws = torch.rand(n).tolist()
        slots = torch.randint(0, self.size, (n,)).tolist()
        # Sources: 0..size-1 are the stored images before this call, size+k is the k-th new image.
        content = list(range(self.size))
        picked: list[int] = []
        count = self.filled
        for k in range(n):
            new = self.size + k
            if count < self.size:
                content[count] = new
                count += 1
                picked.append(new)
            elif draws[k] < self.p:
                picked.append(content[slots[k]])
                content[slots[k]] = new
            else:
                picked.append(new)
        pool = torch.cat([self.images, fresh])
        out = pool.index_select(0, torch.tensor(picked, device=pool.device))
        self.images.copy_(pool.index_select(0, torch.tensor(content, device=pool.device)))
        self.count.fill_(count)
        return out.to(images.dtype)

    def extra_repr(self) -> str:
        return f"size={self.size}, p={self.p}"
