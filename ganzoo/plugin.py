"""The declared plugin API: everything a third-party plugin imports from ganzoo, in one module.

A plugin -- a GAN family, dataset, loss, regulariser, metric, feature extractor or command --
imports ganzoo only from here (and :mod:`ganzoo.testing` in its tests)::

    from ganzoo.plugin import GAN, Logs, discriminator_objective, hookimpl

These names are the stable surface, versioned by :data:`API_VERSION` (``MAJOR.MINOR``: a minor
release only adds names, a major one may change or drop them); every other ganzoo module is
internal and may change in any release. docs/plugins.md documents each name.

Importing this module is cheap and never imports torch (hook modules import it, and ``ganzoo
list`` loads every hook module): each name is imported from where it lives on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ganzoo.hookspecs import Register, hookimpl

#: Version of this API (``MAJOR.MINOR``); a plugin may check ``API_VERSION.split(".")[0] == "1"``.
API_VERSION = "1.1"

if TYPE_CHECKING:
    from ganzoo.cli.output import OVERWRITE_HELP as OVERWRITE_HELP
    from ganzoo.data import (
        ClassSelection as ClassSelection,
    )
    from ganzoo.data import (
        DatasetInfo as DatasetInfo,
    )
    from ganzoo.data import (
        InMemoryImages as InMemoryImages,
    )
    from ganzoo.data import (
        build_dataset as build_dataset,
    )
    from ganzoo.data import (
        check_split as check_split,
    )
    from ganzoo.data import (
        data_home as data_home,
    )
    from ganzoo.data import (
        option_bool as option_bool,
    )
    from ganzoo.data import (
        option_int as option_int,
    )
    from ganzoo.data import (
        resolve_classes as resolve_classes,
    )
    from ganzoo.data import (
        run_download as run_download,
    )
    from ganzoo.data import (
        search_roots as search_roots,
    )
    from ganzoo.data import (
        to_unit_range as to_unit_range,
    )
    from ganzoo.devices import select_device as select_device
    from ganzoo.errors import (
        CheckpointError as CheckpointError,
    )
    from ganzoo.errors import (
        DataUnavailableError as DataUnavailableError,
    )
    from ganzoo.errors import (
        GanzooError as GanzooError,
    )
    from ganzoo.errors import (
        HubError as HubError,
    )
    from ganzoo.errors import (
        PluginError as PluginError,
    )
    from ganzoo.errors import (
        TrainingError as TrainingError,
    )
    from ganzoo.errors import (
        UnknownNameError as UnknownNameError,
    )
    from ganzoo.errors import (
        UsageError as UsageError,
    )
    from ganzoo.errors import (
        warn as warn,
    )
    from ganzoo.eval.features import FeatureExtractor as FeatureExtractor
    from ganzoo.eval.features import Features as Features
    from ganzoo.eval.metrics import Metric as Metric
    from ganzoo.hub.checkpoint import sha256_file as sha256_file
    from ganzoo.images import (
        image_to_tensor as image_to_tensor,
    )
    from ganzoo.images import (
        make_gif as make_gif,
    )
    from ganzoo.images import (
        open_image as open_image,
    )
    from ganzoo.images import (
        read_image as read_image,
    )
    from ganzoo.images import (
        tensor_to_image as tensor_to_image,
    )
    from ganzoo.images import (
        write_image as write_image,
    )
    from ganzoo.losses import (
        AdversarialLoss as AdversarialLoss,
    )
    from ganzoo.losses import (
        Critic as Critic,
    )
    from ganzoo.losses import (
        Objective as Objective,
    )
    from ganzoo.losses import (
        Regulariser as Regulariser,
    )
    from ganzoo.models import (
        GAN as GAN,
    )
    from ganzoo.models import (
        ImageToImageGAN as ImageToImageGAN,
    )
    from ganzoo.models import (
        Logs as Logs,
    )
    from ganzoo.models import (
        build_model as build_model,
    )
    from ganzoo.models import (
        discriminator_objective as discriminator_objective,
    )
    from ganzoo.models import (
        generator_adversarial as generator_adversarial,
    )
    from ganzoo.models import (
        has_batch_norm as has_batch_norm,
    )
    from ganzoo.models import (
        score_together as score_together,
    )
    from ganzoo.nn.dcgan_blocks import (
        FlattenHWC as FlattenHWC,
    )
    from ganzoo.nn.dcgan_blocks import (
        ToImageHWC as ToImageHWC,
    )
    from ganzoo.nn.dcgan_blocks import (
        check_image_size as check_image_size,
    )
    from ganzoo.nn.dcgan_blocks import (
        example_convs as example_convs,
    )
    from ganzoo.nn.dcgan_blocks import (
        example_generator as example_generator,
    )
    from ganzoo.nn.dcgan_blocks import (
        tutorial_convs as tutorial_convs,
    )
    from ganzoo.nn.dcgan_blocks import (
        tutorial_generator as tutorial_generator,
    )
    from ganzoo.nn.dropout import FastDropout as FastDropout
    from ganzoo.nn.init import (
        init_like_dcgan_paper as init_like_dcgan_paper,
    )
    from ganzoo.nn.init import (
        init_like_tensorflow as init_like_tensorflow,
    )
    from ganzoo.nn.spectral import apply_spectral_norm as apply_spectral_norm
    from ganzoo.outputs import (
        check_distinct as check_distinct,
    )
    from ganzoo.outputs import (
        check_file as check_file,
    )
    from ganzoo.outputs import (
        check_folder as check_folder,
    )
    from ganzoo.outputs import (
        live_folder as live_folder,
    )
    from ganzoo.outputs import (
        writing as writing,
    )
    from ganzoo.plugins import get_registry as get_registry
    from ganzoo.plugins import lookup as lookup
    from ganzoo.sharing import SharedFakes as SharedFakes
    from ganzoo.train.config import arch_train_defaults as arch_train_defaults


def _errors() -> ModuleType:
    import ganzoo.errors

    return ganzoo.errors


def _registry() -> ModuleType:
    import ganzoo.plugins

    return ganzoo.plugins


def _models() -> ModuleType:
    import ganzoo.models

    return ganzoo.models


def _losses() -> ModuleType:
    import ganzoo.losses

    return ganzoo.losses


def _sharing() -> ModuleType:
    import ganzoo.sharing

    return ganzoo.sharing


def _data() -> ModuleType:
    import ganzoo.data

    return ganzoo.data


def _spectral() -> ModuleType:
    import ganzoo.nn.spectral

    return ganzoo.nn.spectral


def _init() -> ModuleType:
    import ganzoo.nn.init

    return ganzoo.nn.init


def _blocks() -> ModuleType:
    import ganzoo.nn.dcgan_blocks

    return ganzoo.nn.dcgan_blocks


def _dropout() -> ModuleType:
    import ganzoo.nn.dropout

    return ganzoo.nn.dropout


def _images() -> ModuleType:
    import ganzoo.images

    return ganzoo.images


def _outputs() -> ModuleType:
    import ganzoo.outputs

    return ganzoo.outputs


def _devices() -> ModuleType:
    import ganzoo.devices

    return ganzoo.devices


def _checkpoint() -> ModuleType:
    import ganzoo.hub.checkpoint

    return ganzoo.hub.checkpoint


def _metrics() -> ModuleType:
    import ganzoo.eval.metrics

    return ganzoo.eval.metrics


def _features() -> ModuleType:
    import ganzoo.eval.features

    return ganzoo.eval.features


def _train() -> ModuleType:
    import ganzoo.train.config

    return ganzoo.train.config


def _cli() -> ModuleType:
    import ganzoo.cli.output

    return ganzoo.cli.output


#: The names of the API, each with the loader of the module it lives in (explicit imports, so
#: the layer test sees every edge).
_LOADERS: dict[str, Callable[[], ModuleType]] = {
    **dict.fromkeys(
        [
            "GanzooError",
            "UsageError",
            "UnknownNameError",
            "PluginError",
            "DataUnavailableError",
            "CheckpointError",
            "TrainingError",
            "HubError",
            "warn",
        ],
        _errors,
    ),
    **dict.fromkeys(["get_registry", "lookup"], _registry),
    **dict.fromkeys(
        [
            "GAN",
            "ImageToImageGAN",
            "Logs",
            "discriminator_objective",
            "generator_adversarial",
            "score_together",
            "has_batch_norm",
            "build_model",
        ],
        _models,
    ),
    **dict.fromkeys(["Objective", "AdversarialLoss", "Regulariser", "Critic"], _losses),
    **dict.fromkeys(["SharedFakes"], _sharing),
    **dict.fromkeys(
        [
            "DatasetInfo",
            "InMemoryImages",
            "ClassSelection",
            "build_dataset",
            "check_split",
            "option_int",
            "option_bool",
            "resolve_classes",
            "to_unit_range",
            "data_home",
            "run_download",
            "search_roots",
        ],
        _data,
    ),
    **dict.fromkeys(["init_like_dcgan_paper", "init_like_tensorflow"], _init),
    **dict.fromkeys(
        [
            "FlattenHWC",
            "ToImageHWC",
            "check_image_size",
            "example_convs",
            "example_generator",
            "tutorial_convs",
            "tutorial_generator",
        ],
        _blocks,
    ),
    **dict.fromkeys(["FastDropout"], _dropout),
    **dict.fromkeys(["apply_spectral_norm"], _spectral),
    **dict.fromkeys(
        ["open_image", "image_to_tensor", "tensor_to_image", "read_image", "write_image", "make_gif",
         "max_image_pixels"],
        _images
    ),
    **dict.fromkeys(["check_distinct", "check_file", "check_folder", "live_folder", "writing"], _outputs),
    **dict.fromkeys(["select_device"], _devices),
    **dict.fromkeys(["sha256_file"], _checkpoint),
    **dict.fromkeys(["Metric"], _metrics),
    **dict.fromkeys(["FeatureExtractor", "Features"], _features),
    **dict.fromkeys(["arch_train_defaults"], _train),
    **dict.fromkeys(["OVERWRITE_HELP"], _cli),
}

__all__ = ["API_VERSION", "Register", "hookimpl", *_LOADERS]


def __getattr__(name: str) -> Any:
    loader = _LOADERS.get(name)
    if loader is None:
        raise AttributeError(
            f"module 'ganzoo.plugin' has no attribute {name!r}; the plugin API is: {', '.join(sorted(__all__))}"
        )
    value = getattr(loader(), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
