"""The textbook DCGAN loop (the TensorFlow tutorial's, in plain PyTorch) at the leaderboard's budget.

The leaderboard's first row: what a reader of the tutorial gets without ganzoo's engine. The
networks are the seeds' DCGAN at 28x28 (the tutorial's layout); the loop is the tutorial's:
fp32, the default memory layout, Adam with lr 1e-4 and default betas for both players, batch
256, binary cross-entropy on logits, and one batch of noise per step whose fakes both players
use. It stops when ``--minutes`` of wall time are spent and writes the generator with the facts
``run.py`` reports (steps, images seen, seconds)::

    python benchmarks/leaderboard/textbook.py --seed 0 --minutes 4 --out runs/leaderboard/textbook-dcgan-s0
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from ganzoo.data import build_dataset
from ganzoo.models import build_model

BATCH_SIZE = 256
LEARNING_RATE = 1e-4


def train_textbook(seed: int, minutes: float) -> tuple[torch.nn.Module, dict[str, float]]:
    """Train until ``minutes`` have passed; the model and what it cost."""
    torch.manual_seed(seed)
    dataset = build_dataset("fashion-mnist", "train")
    images = dataset.get_batch(torch.arange(len(dataset)))["image"]  # the tutorial holds the data in memory too
    model = build_model("dcgan", share_fakes=False).train()
    opt_g = torch.optim.Adam(model.generator.parameters(), lr=LEARNING_RATE)
    opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=LEARNING_RATE)
    order = torch.randperm(len(images))
    cursor, steps, started = 0, 0, time.monotonic()
    while time.monotonic() - started < 60.0 * minutes:
        if cursor + BATCH_SIZE > len(order):
            order, cursor = torch.randperm(len(images)), 0
        real = images[order[cursor:cursor + BATCH_SIZE]]
        cursor += BATCH_SIZE
        fake = model.generate(torch.randn(BATCH_SIZE, model.latent_dim))
        real_logits = model.discriminate(real)
        fake_logits = model.discriminate(fake.detach())
        d_loss = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                  + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        g_logits = model.discriminate(fake)
        g_loss = F.binary_cross_entropy_with_logits(g_logits, torch.ones_like(g_logits))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        steps += 1
    seconds = time.monotonic() - started
    return model, {"steps": steps, "images_seen": steps * BATCH_SIZE, "train_seconds": round(seconds, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    torch.set_num_threads(torch.get_num_threads())  # the default a PyTorch user gets
    model, facts = train_textbook(args.seed, args.minutes)
    args.out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(args.out / "model.safetensors"))
    (args.out / "facts.json").write_text(json.dumps({**facts, "config": model.config}, indent=1) + "\n")
    print(f"textbook loop: {facts['steps']} steps, {facts['images_seen']} images in {facts['train_seconds']:.0f} s")


if __name__ == "__main__":
    main()
