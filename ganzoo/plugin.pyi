"""The stable plugin API: the one list of its names (see ganzoo/plugin.py, which loads them from here).

Each ``from ganzoo.x import Name as Name`` line exports one name: type checkers read it here, and
``ganzoo.plugin`` imports ``Name`` from ``ganzoo.x`` on first use. Adding a line adds a name to
the API (a minor version); dropping or changing one is a major version. docs/plugins.md lists
exactly these names (tests/plugins/test_plugin_api.py checks). Building blocks the built-in
plugins share live in ``ganzoo.plugin_blocks`` (plugin_blocks.pyi), which is provisional.
"""

from typing import Final

from ganzoo.data import ClassSelection as ClassSelection
from ganzoo.data import DatasetInfo as DatasetInfo
from ganzoo.data import InMemoryImages as InMemoryImages
from ganzoo.data import build_dataset as build_dataset
from ganzoo.data import check_split as check_split
from ganzoo.data import data_home as data_home
from ganzoo.data import option_bool as option_bool
from ganzoo.data import option_int as option_int
from ganzoo.data import resolve_classes as resolve_classes
from ganzoo.data import run_download as run_download
from ganzoo.data import search_roots as search_roots
from ganzoo.data import to_unit_range as to_unit_range
from ganzoo.errors import CheckpointError as CheckpointError
from ganzoo.errors import DataUnavailableError as DataUnavailableError
from ganzoo.errors import GanzooError as GanzooError
from ganzoo.errors import HubError as HubError
from ganzoo.errors import PluginError as PluginError
from ganzoo.errors import TrainingError as TrainingError
from ganzoo.errors import UnknownNameError as UnknownNameError
from ganzoo.errors import UsageError as UsageError
from ganzoo.eval.features import FeatureExtractor as FeatureExtractor
from ganzoo.eval.features import Features as Features
from ganzoo.eval.metrics import Metric as Metric
from ganzoo.hookspecs import Register as Register
from ganzoo.hookspecs import hookimpl as hookimpl
from ganzoo.hub.record import sha256_file as sha256_file
from ganzoo.hub.zoo import register_bundled as register_bundled
from ganzoo.losses import AdversarialLoss as AdversarialLoss
from ganzoo.losses import Critic as Critic
from ganzoo.losses import Objective as Objective
from ganzoo.losses import Regulariser as Regulariser
from ganzoo.models import GAN as GAN
from ganzoo.models import ImageToImageGAN as ImageToImageGAN
from ganzoo.models import Logs as Logs
from ganzoo.models import build_model as build_model
from ganzoo.models import discriminator_objective as discriminator_objective
from ganzoo.models import generator_adversarial as generator_adversarial
from ganzoo.models import has_batch_norm as has_batch_norm
from ganzoo.models import score_together as score_together
from ganzoo.plugins import get_registry as get_registry
from ganzoo.plugins import lookup as lookup
from ganzoo.sharing import SharedFakes as SharedFakes

#: Version of this API (``MAJOR.MINOR``); a plugin may check ``API_VERSION.split(".")[0] == "1"``.
API_VERSION: Final = "1.2"
