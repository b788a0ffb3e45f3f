"""An example ganzoo plugin: the tiny ``tinyconv`` GAN and the ``relativistic-average`` loss.

Importing this package is cheap; the torch code lives in :mod:`.models` and :mod:`.losses`,
which ganzoo imports only when an entry is used.
"""

__version__ = "0.1.0"
