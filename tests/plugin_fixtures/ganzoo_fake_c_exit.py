"""A plugin that ends the process from C (libc ``_exit(3)``), as a native extension might."""

import ctypes

ctypes.CDLL(None)._exit(3)
