"""Per-token fixed-window rate limiting with Calendly's ``X-RateLimit-*`` headers.

Each token gets a 60-second window starting at its first request. The window runs on an
injectable clock (``time.monotonic`` by default) so tests exhaust and reset a window by
moving a fake clock instead of sleeping a minute.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_seconds),
        }


class ManualClock:
    """A monotonic clock that only moves when told to (for tests)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.value = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.value

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.value += seconds


class RateLimiter:
    """Counts requests per key in fixed windows of :data:`WINDOW_SECONDS`."""

    def __init__(self, limit_per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit_per_minute
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str) -> RateDecision:
        """Record one request for ``key`` and say whether it is within the limit."""
        now = self.clock()
        with self._lock:
            start, used = self._windows.get(key, (now, 0))
            if now - start >= WINDOW_SECONDS:
                start, used = now, 0
            reset = max(0, math.ceil(start + WINDOW_SECONDS - now))
            if used >= self.limit:
                self._windows[key] = (start, used)
                return RateDecision(False, self.limit, 0, reset)
            used += 1
            self._windows[key] = (start, used)
            return RateDecision(True, self.limit, self.limit - used, reset)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
