"""Entry point: ``python -m tap_calendly.demo``."""

from __future__ import annotations

import signal
import sys
from types import FrameType

from tap_calendly.demo.run import main


def _terminate(signum: int, frame: FrameType | None) -> None:
    # Unwind like Ctrl-C does, so the sandbox and Meltano are stopped on the way out.
    raise KeyboardInterrupt


signal.signal(signal.SIGTERM, _terminate)
sys.exit(main())
