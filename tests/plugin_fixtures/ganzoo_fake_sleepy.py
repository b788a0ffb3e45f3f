"""A plugin whose import hangs: it sleeps GANZOO_FAKE_SLEEP seconds (default 60)."""

import os
import time

time.sleep(float(os.environ.get("GANZOO_FAKE_SLEEP", "60")))
