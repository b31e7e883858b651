"""Client tests run Qt without a display unless the environment chooses a platform."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
