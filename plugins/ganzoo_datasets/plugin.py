"""Hooks of the built-in datasets plugin; torch-free, as every hook module must be.

Each factory is ``build(split="train", **options)`` in a sibling module and is imported only
when a dataset is built (see :func:`ganzoo.data.build_dataset`). ``"feature"`` and ``"classifier"``
in a dataset's metadata name the feature extractor and classifier it is evaluated with by default
(:func:`ganzoo.eval.names.default_feature`; ``inception`` when a dataset names none).
"""

from ganzoo.plugin import Register, hookimpl

_FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                    "Bag", "Ankle boot"]
_CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

_DATASETS = {
    "fashion-mnist": (
        "mnist:fashion_mnist",
        "Zalando's Fashion-MNIST: 70,000 28x28 grayscale clothes in 10 classes",
        ["grayscale", "labelled", "in-memory"],
        {"channels": 1, "size": 28, "classes": _FASHION_CLASSES, "license": "MIT",
         "feature": "fmnist-cnn", "classifier": "fmnist-cnn",
         "splits": ["train", "test"], "split_sizes": {"train": 60000, "test": 10000},
         "source": "https://github.com/zalandoresearch/fashion-mnist",
         "local_copy": "apt-get install dataset-fashion-mnist (/usr/share/datasets/fashion-mnist)"},
    ),
    "mnist": (
        "mnist:mnist",
        "MNIST handwritten digits: 70,000 28x28 grayscale images in 10 classes",
        ["grayscale", "labelled", "in-memory"],
        {"channels": 1, "size": 28, "classes": [str(d) for d in range(10)],
         "license": "CC BY-SA 3.0 (as commonly cited; the authors state none)",
         "splits": ["train", "test"], "split_sizes": {"train": 60000, "test": 10000},
         "source": "http://yann.lecun.com/exdb/mnist/"},
    ),
    "cifar10": (
        "cifar:cifar10",
        "CIFAR-10: 60,000 32x32 colour images in 10 classes (airplane ... truck)",
        ["color", "labelled", "in-memory"],
        {"channels": 3, "size": 32, "classes": _CIFAR10_CLASSES, "license": "unknown (cite Krizhevsky, 2009)",
         "splits": ["train", "test"], "split_sizes": {"train": 50000, "test": 10000},
         "source": "https://www.cs.toronto.edu/~kriz/cifar.html"},
    ),
    "image-folder": (
        "folder:image_folder",
        "Your own folder of images (recursive); first-level subfolders become classes",
        ["color", "your-data"],
        {"channels": 3, "license": "that of your images", "splits": ["train"],
         "source": "the root= folder", "formats": ["png", "jpg", "jpeg", "bmp", "webp", "gif"]},
    ),
    "fashion-domains": (
        "unpaired:fashion_domains",
        "Two Fashion-MNIST classes as unpaired domains A and B (default Sneaker -> Ankle boot)",
        ["grayscale", "labelled", "in-memory", "unpaired", "image-to-image"],
        {"channels": 1, "size": 28, "classes": _FASHION_CLASSES, "license": "MIT", "task": "image-to-image",
         "feature": "fmnist-cnn", "classifier": "fmnist-cnn", "paired": False,
         "domains": {"a": "Sneaker", "b": "Ankle boot"}, "splits": ["train", "test"],
         "split_sizes": {"train": 6000, "test": 1000},
         "source": "https://github.com/zalandoresearch/fashion-mnist"},
    ),
    "unpaired-folder": (
        "unpaired:unpaired_folder",
        "Your own unpaired domains: ROOT/trainA, trainB, testA, testB (the CycleGAN datasets' layout)",
        ["color", "your-data", "unpaired", "image-to-image"],
        {"channels": 3, "license": "that of your images", "task": "image-to-image", "paired": False,
         "splits": ["train", "test"],
         "source": "the root= folder", "formats": ["png", "jpg", "jpeg", "bmp", "webp", "gif"]},
    ),
    "edges2fashion": (
        "edges:edges2fashion",
        "Fashion-MNIST garments paired with their Canny edge maps (edge map -> garment), 28x28",
        ["grayscale", "labelled", "in-memory", "paired", "image-to-image"],
        {"channels": 1, "size": 28, "classes": _FASHION_CLASSES, "license": "MIT", "task": "image-to-image",
         "feature": "fmnist-cnn", "classifier": "fmnist-cnn", "paired": True, "source_channels": 1,
         "domains": {"a": "edge map", "b": "garment"},
         "splits": ["train", "test"], "split_sizes": {"train": 60000, "test": 10000},
         "edges": "kornia.filters.canny, 5x5 Gaussian with sigma 1, thresholds 0.1/0.2 on [0, 1] pixels, "
                  "hysteresis; black lines on white",
         "source": "https://github.com/zalandoresearch/fashion-mnist"},
    ),
    "paired-folder": (
        "paired:paired_folder",
        "Your own paired data in the pix2pix layout: ROOT/train, val, test of A|B side-by-side images",
        ["color", "your-data", "paired", "image-to-image"],
        {"channels": 3, "license": "that of your images", "task": "image-to-image", "paired": True,
         "splits": ["train", "val", "test"], "source": "the root= folder",
         "formats": ["png", "jpg", "jpeg", "bmp", "webp", "gif"]},
    ),
    "hf": (
        "hf:hub_dataset",
        "Any Hugging Face Hub image data set, hf:owner/name[@revision][:split], or hf:FOLDER in the Hub's layout",
        ["color", "your-data", "hub", "memory-mapped"],
        {"prefix": "hf:", "describe": "ganzoo_datasets.hf:describe", "channels": 3,
         "splits": ["train", "test"], "splits_note": "any split the data set has (hf:owner/name:validation)",
         "license": "that of the data set (see its card)", "requires": "datasets",
         "install": "pip install 'ganzoo[hub-datasets]'", "source": "https://huggingface.co/datasets",
         "options": "image_column, label_column, size, channels, classes, limit, revision, offline"},
    ),
    "fake": (
        "fake:fake",
        "Deterministic synthetic images of any shape and class count, for smoke tests",
        ["synthetic", "labelled", "in-memory"],
        {"channels": 1, "license": "none (generated)", "splits": ["train", "test"],
         "source": "generated on the fly"},
    ),
}


@hookimpl
def register_datasets(register: Register) -> None:
    for name, (target, summary, tags, metadata) in _DATASETS.items():
        register(name, f"ganzoo_datasets.{target}", summary=summary, tags=tags, metadata=metadata)
