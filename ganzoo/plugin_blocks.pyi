"""The provisional building blocks: the one list of their names (ganzoo/plugin_blocks.py loads them from here).

Each ``from ganzoo.x import Name as Name`` line exports one name, as in plugin.pyi. These names
may change or go in any minor release; docs/plugins.md lists exactly these names.
"""

from ganzoo.cli.output import OVERWRITE_HELP as OVERWRITE_HELP
from ganzoo.devices import select_device as select_device
from ganzoo.errors import warn as warn
from ganzoo.images import image_to_tensor as image_to_tensor
from ganzoo.images import make_gif as make_gif
from ganzoo.images import max_image_pixels as max_image_pixels
from ganzoo.images import open_image as open_image
from ganzoo.images import read_image as read_image
from ganzoo.images import tensor_to_image as tensor_to_image
from ganzoo.images import write_image as write_image
from ganzoo.models import OneGeneratorPassGAN as OneGeneratorPassGAN
from ganzoo.nn.dcgan_blocks import FlattenHWC as FlattenHWC
from ganzoo.nn.dcgan_blocks import ToImageHWC as ToImageHWC
from ganzoo.nn.dcgan_blocks import check_image_size as check_image_size
from ganzoo.nn.dcgan_blocks import example_convs as example_convs
from ganzoo.nn.dcgan_blocks import example_generator as example_generator
from ganzoo.nn.dcgan_blocks import tutorial_convs as tutorial_convs
from ganzoo.nn.dcgan_blocks import tutorial_generator as tutorial_generator
from ganzoo.nn.dropout import FastDropout as FastDropout
from ganzoo.nn.init import init_like_dcgan_paper as init_like_dcgan_paper
from ganzoo.nn.init import init_like_tensorflow as init_like_tensorflow
from ganzoo.nn.precision import FullPrecisionLinear as FullPrecisionLinear
from ganzoo.nn.precision import ReflectionPad2d as ReflectionPad2d
from ganzoo.nn.precision import dense_layer as dense_layer
from ganzoo.nn.spectral import apply_spectral_norm as apply_spectral_norm
from ganzoo.outputs import check_distinct as check_distinct
from ganzoo.outputs import check_file as check_file
from ganzoo.outputs import check_folder as check_folder
from ganzoo.outputs import live_folder as live_folder
from ganzoo.outputs import writing as writing
from ganzoo.train.config import arch_train_defaults as arch_train_defaults
