"""Entry point: ``python -m tap_calendly.demo``."""

from __future__ import annotations

import sys

from tap_calendly.demo.run import main

sys.exit(main())
