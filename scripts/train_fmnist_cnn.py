#!/usr/bin/env python
"""Train the ``fmnist-cnn`` feature extractor on the Fashion-MNIST train split.

Reproduces ``plugins/ganzoo_metrics/fmnist_cnn.safetensors``: seeded, about five minutes on two
idle CPU cores with bf16 autocast (where the CPU has AMX or AVX512-BF16) and channels_last. Prints the
test accuracy after every epoch (for information only: the final epoch is kept, no checkpoint is
chosen on the test set), then writes the weights as float16 safetensors atomically and prints
their size and sha256, and pins them in fmnist_cnn.json beside the file (what the extractor checks).

    python scripts/train_fmnist_cnn.py                       # the shipped weights
    python scripts/train_fmnist_cnn.py --epochs 2 --out /tmp/cnn.safetensors
"""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from ganzoo.data import build_dataset
from ganzoo.devices import cpu_has_fast_bf16
from ganzoo.hub.checkpoint import sha256_file
from ganzoo.io import atomic_path, write_json
from ganzoo_metrics.fmnist_cnn import WEIGHTS_FILE, FashionCNN, load_network


def augment(images: Tensor, generator: torch.Generator, shift: int = 1, group: int = 16) -> Tensor:
    """Random horizontal flips, and translations of up to ``shift`` pixels (one per ``group`` images).

    Shifting groups by slicing is several times cheaper than a per-image gather, and across a
    batch of 256 it is as varied as the network needs.
    """
    n, _, h, w = images.shape
    flip = torch.rand(n, generator=generator) < 0.5
    images = torch.where(flip.view(n, 1, 1, 1), images.flip(-1), images)
    padded = F.pad(images, (shift, shift, shift, shift), value=-1.0)
    out = torch.empty_like(images)
    offsets = torch.randint(0, 2 * shift + 1, (2, -(-n // group)), generator=generator).tolist()
    for i, (dy, dx) in enumerate(zip(*offsets)):
        out[i * group:(i + 1) * group] = padded[i * group:(i + 1) * group, :, dy:dy + h, dx:dx + w]
    return out


def autocast(enabled: bool) -> contextlib.AbstractContextManager:
    return torch.autocast("cpu", dtype=torch.bfloat16) if enabled else contextlib.nullcontext()


@torch.no_grad()
def accuracy(net: FashionCNN, dataset, bf16: bool, batch_size: int = 1000) -> float:
    net.eval()
    correct = 0
    for start in range(0, len(dataset), batch_size):
        images = images_of(dataset)[start:start + batch_size]
        with autocast(bf16):
            logits = net(images.contiguous(memory_format=torch.channels_last))
        correct += int((logits.argmax(1) == dataset.labels[start:start + batch_size]).sum())
    return correct / len(dataset)


def images_of(dataset) -> Tensor:
    """The whole split as float32 in [-1, 1], converted once (190 MB for the train split)."""
    if not hasattr(dataset, "_float_images"):
        dataset._float_images = dataset.get_batch(torch.arange(len(dataset)))["image"]
    return dataset._float_images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--shift", type=int, default=1, help="largest random translation, in pixels")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto")
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    bf16 = args.precision == "bf16" or (args.precision == "auto" and cpu_has_fast_bf16())
    train = build_dataset("fashion-mnist", split="train")
    test = build_dataset("fashion-mnist", split="test")
    net = FashionCNN().to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = len(train) // args.batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                                   steps_per_epoch=steps_per_epoch)
    print(f"training fmnist-cnn: {len(train)} images, {args.epochs} epochs, batch {args.batch_size}, "
          f"{'bf16 autocast' if bf16 else 'fp32'}, {torch.get_num_threads()} threads, seed {args.seed}", flush=True)
    started = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        net.train()
        tick = time.perf_counter()
        order = torch.randperm(len(train), generator=generator)
        total_loss, total_correct = 0.0, 0
        for step in range(steps_per_epoch):
            index = order[step * args.batch_size:(step + 1) * args.batch_size]
            labels = train.labels[index]
            images = augment(images_of(train)[index], generator, shift=args.shift)
            images = images.contiguous(memory_format=torch.channels_last)
            with autocast(bf16):
                logits = net(images)
                loss = F.cross_entropy(logits.float(), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += float(loss.detach())
            total_correct += int((logits.argmax(1) == labels).sum())
        seen = steps_per_epoch * args.batch_size
        test_acc = accuracy(net, test, bf16)
        print(f"epoch {epoch:2d}/{args.epochs}  loss {total_loss / steps_per_epoch:.4f}  "
              f"train-acc {total_correct / seen:.4f}  test-acc {test_acc:.4f}  ({time.perf_counter() - tick:.0f} s)",
              flush=True)

    from safetensors.torch import save_file

    state = {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in net.state_dict().items()}
    metadata = {"format": "ganzoo-fmnist-cnn", "format_version": "1", "epochs": str(args.epochs),
                "seed": str(args.seed), "dtype": "float16"}
    with atomic_path(args.out) as tmp:
        save_file(state, str(tmp), metadata=metadata)
        tmp.chmod(0o644)  # temporary files are private (0600); a shipped file must be readable by all
    shipped = load_network(args.out)  # exactly what users load: float16 weights cast to float32
    final = accuracy(shipped, test, bf16=False)
    print(f"wrote {args.out}: {args.out.stat().st_size / 1e6:.2f} MB, float16, test accuracy {final:.4f} "
          f"(fp32 inference), {time.perf_counter() - started:.0f} s in all")
    pin = args.out.with_suffix(".json")  # what the extractor checks the bundled file against
    write_json(pin, {"file": args.out.name, "sha256": sha256_file(args.out), "size": args.out.stat().st_size})
    print(f"pinned {args.out.name} in {pin}: sha256 {sha256_file(args.out)}")


if __name__ == "__main__":
    main()
