"""A plugin that crashes the interpreter (SIGSEGV) while being imported."""

import os
import signal

os.kill(os.getpid(), signal.SIGSEGV)
