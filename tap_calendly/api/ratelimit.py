"""One request budget per token, shared by every stream and worker thread.

Calendly counts requests per user in fixed windows and reports the window on every
response (``X-RateLimit-Limit``, ``-Remaining``, ``-Reset`` = seconds to reset). The
limiter reserves a permit *before* each send, so concurrent threads cannot jointly
overshoot into 429s: a permit is granted only while ``remaining - in_flight > 0``.
Requests still in flight may or may not be counted in the last ``remaining`` the
server reported, so subtracting all of them is conservative, never optimistic.

An optional local cap (``requests_per_minute``) keeps a sliding 60 s log of sends.
The clock and sleep are injectable so tests never wait in real time.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Clock = Callable[[], float]
Sleep = Callable[[float], None]

#: Longest single sleep while waiting; short enough to notice state changed by others.
_MAX_NAP = 0.25
#: Poll interval while the first response (and so the budget) is still unknown.
_UNKNOWN_POLL = 0.005
#: Calendly's window; assumed when a server says "0 remaining" without saying when
#: the window resets (waiting for a reset that is never announced would hang).
DEFAULT_WINDOW_SECONDS = 60.0
#: Longest wait a reset header can impose; beyond it the header is not believed (a
#: 429 announcing more is reported as an error instead of waited out).
MAX_RESET_SECONDS = 900.0


@dataclass
class LimiterStats:
    """Counters for progress logs and the benchmark."""

    permits: int = 0
    waits: int = 0
    wait_seconds: float = 0.0
    throttled: int = 0  # 429 responses seen


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


def _float_header(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def reset_seconds(headers: Mapping[str, str]) -> float | None:
    """``X-RateLimit-Reset`` as announced (finite, unclamped), if present."""
    return _float_header(headers, "X-RateLimit-Reset")


class RateLimiter:
    """Permit gate driven by the server's rate-limit headers.

    ``acquire()`` blocks until a permit is available and reserves it; the caller must
    then call ``release(headers, status)`` exactly once with the response headers (or
    ``release(None)`` if the request failed without a response).
    """

    def __init__(
        self,
        *,
        requests_per_minute: int | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        reset_margin: float = 0.05,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._cap = requests_per_minute
        self._sent: deque[float] = deque()
        self._limit: int | None = None
        self._remaining: int | None = None
        self._window_end: float | None = None
        self._in_flight = 0
        self._blocked_until: float | None = None
        self._seen_response = False
        self._reset_margin = reset_margin
        self.stats = LimiterStats()

    # -- permits ---------------------------------------------------------------------

    def _wait_needed(self, now: float) -> float:
        """Seconds to wait before a permit can be granted (0 = grant now). Lock held."""
        if self._window_end is not None and now >= self._window_end:
            # The server's window has rolled over: the full budget is back.
            self._remaining = self._limit
            self._window_end = None
        waits: list[float] = []
        if self._blocked_until is not None:
            # A 429 blocks until its reset even if later answers look permissive.
            if now < self._blocked_until:
                waits.append(self._blocked_until - now)
            else:
                self._blocked_until = None
        if self._remaining is None:
            # Budget unknown before the first response: one request at a time until
            # the server tells us the numbers. A server that sends no rate-limit
            # headers at all is not gated (only the local cap applies).
            if not self._seen_response and self._in_flight > 0:
                waits.append(_UNKNOWN_POLL)
        elif self._remaining - self._in_flight <= 0:
            if self._window_end is not None:
                waits.append(max(self._window_end - now, 0.001))
            else:
                waits.append(_UNKNOWN_POLL)
        if self._cap is not None:
            while self._sent and now - self._sent[0] >= 60.0:
                self._sent.popleft()
            if len(self._sent) >= self._cap:
                waits.append(max(self._sent[0] + 60.0 - now, 0.001))
        return max(waits) if waits else 0.0

    def acquire(self) -> None:
        """Block until a request may be sent, then reserve it."""
        waited = False
        started = self._clock()
        while True:
            with self._lock:
                now = self._clock()
                wait = self._wait_needed(now)
                if wait <= 0:
                    self._in_flight += 1
                    if self._cap is not None:
                        self._sent.append(now)
                    self.stats.permits += 1
                    if waited:
                        self.stats.waits += 1
                        self.stats.wait_seconds += now - started
                    return
            waited = True
            self._sleep(min(wait, _MAX_NAP))

    def release(self, headers: Mapping[str, str] | None, status: int | None = None) -> None:
        """Return the reservation and learn the window from the response headers."""
        with self._lock:
            self._in_flight = max(self._in_flight - 1, 0)
            if headers is None:
                return
            self._seen_response = True
            limit = _int_header(headers, "X-RateLimit-Limit")
            remaining = _int_header(headers, "X-RateLimit-Remaining")
            reset = _float_header(headers, "X-RateLimit-Reset")
            if status == 429:
                self.stats.throttled += 1
                remaining = 0
            if remaining == 0 and reset is None:
                reset = DEFAULT_WINDOW_SECONDS
            if reset is not None:
                reset = min(max(reset, 0.0), MAX_RESET_SECONDS)
            if limit is not None:
                self._limit = limit
            now = self._clock()
            new_end = now + reset + self._reset_margin if reset is not None else None
            # Answers arrive out of order: within one window the server's count only
            # goes down, so a larger "remaining" from an older request is stale. A
            # reset clearly beyond the known window end means a new window, but only
            # near that end: the server rounds its reset up to whole seconds, so its
            # window may end up to a second before ours, never earlier. A late answer
            # from earlier in the window (its reset shifted by a slow transfer) is stale.
            near_end = (
                self._window_end is not None and now >= self._window_end - 1.0 - self._reset_margin
            )
            same_window = (
                self._window_end is not None
                and now < self._window_end
                and (new_end is None or new_end <= self._window_end + 1.0 or not near_end)
            )
            if remaining is not None:
                if same_window and self._remaining is not None:
                    self._remaining = min(self._remaining, remaining)
                else:
                    self._remaining = remaining
            if new_end is not None:
                if not same_window or self._window_end is None:
                    self._window_end = new_end
                if status == 429:
                    self._window_end = max(self._window_end, new_end)
                    self._blocked_until = max(self._blocked_until or 0.0, new_end)

    # -- introspection (tests, logs) -------------------------------------------------

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    @property
    def remaining(self) -> int | None:
        with self._lock:
            return self._remaining
