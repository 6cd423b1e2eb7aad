"""Seeded fault injection: the failures a client must survive, on demand.

Faults come from a per-request probability per kind and/or a deterministic schedule
("the 3rd request to ``GET /scheduled_events`` gets a 503"), both drawn from a seeded RNG
so a failing run replays exactly.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

#: Fault kinds. ``429``/``500``/``502``/``503`` answer with that status and an ErrorResponse;
#: ``reset`` closes the socket without answering; ``stall`` waits ``stall_seconds`` then
#: closes; ``truncate`` promises a longer Content-Length than it sends, then closes.
FAULT_KINDS: tuple[str, ...] = ("429", "500", "502", "503", "reset", "stall", "truncate")


@dataclass
class ScheduledFault:
    """The ``nth`` (1-based) request to ``endpoint`` (``None``: any) and the ``times - 1``
    after it get fault ``kind``."""

    kind: str
    nth: int
    endpoint: str | None = None
    times: int = 1

    @classmethod
    def parse(cls, text: str) -> ScheduledFault:
        """Parse ``[ENDPOINT#]N=KIND[xTIMES]``, e.g. ``GET /scheduled_events#3=503x2``."""
        left, sep, right = text.partition("=")
        if not sep:
            raise ValueError(f"fault schedule {text!r}: expected [ENDPOINT#]N=KIND[xTIMES]")
        endpoint, _, nth = left.rpartition("#")
        kind, _, times = right.partition("x")
        try:
            return cls(kind=kind, nth=int(nth), endpoint=endpoint or None, times=int(times or 1))
        except ValueError as exc:
            raise ValueError(f"fault schedule {text!r}: N and TIMES must be integers") from exc


@dataclass
class FaultConfig:
    """What to break. ``rates`` maps a kind to its per-request probability."""

    seed: int = 0
    rates: dict[str, float] = field(default_factory=dict)
    schedule: list[ScheduledFault] = field(default_factory=list)
    stall_seconds: float = 30.0
    #: Length of a ``429`` burst: the faulted request and the next ``burst - 1`` requests
    #: to any endpoint answer 429.
    burst: int = 1

    def __post_init__(self) -> None:
        for kind in [*self.rates, *(f.kind for f in self.schedule)]:
            if kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {kind!r}; use one of {FAULT_KINDS}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "rates": dict(self.rates),
            "schedule": [vars(f).copy() for f in self.schedule],
            "stall_seconds": self.stall_seconds,
            "burst": self.burst,
        }


class FaultInjector:
    """Decides, per request, whether and how to fail. Thread-safe and deterministic for a
    given seed and request order."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()
        self._seen: dict[str, int] = {}
        self._total = 0
        self._burst_left = 0
        self.injected: dict[str, int] = {}

    def decide(self, endpoint: str) -> str | None:
        """Return the fault kind for this request to ``endpoint`` (e.g. ``GET /users/me``)."""
        with self._lock:
            self._total += 1
            nth = self._seen.get(endpoint, 0) + 1
            self._seen[endpoint] = nth
            kind = self._pick(endpoint, nth)
            if kind is not None:
                self.injected[kind] = self.injected.get(kind, 0) + 1
            return kind

    def _pick(self, endpoint: str, nth: int) -> str | None:
        if self._burst_left > 0:
            self._burst_left -= 1
            return "429"
        for fault in self.config.schedule:
            index = self._total if fault.endpoint is None else nth
            if fault.endpoint not in (None, endpoint):
                continue
            if fault.nth <= index < fault.nth + fault.times:
                return self._start(fault.kind)
        for kind, rate in self.config.rates.items():
            if rate > 0 and self._rng.random() < rate:
                return self._start(kind)
        return None

    def _start(self, kind: str) -> str:
        if kind == "429":
            self._burst_left = max(0, self.config.burst - 1)
        return kind
