"""Turn Meltano's log stream into short progress lines (records and requests per stream).

Meltano relays the tap's and loader's stderr; the Singer SDK reports counters as
``METRIC: {json}`` lines (or, with structured logging, a ``metric_info`` object). We keep
running totals per stream and print a line when a stream's count moves, at most every
``interval`` seconds per stream, so a long sync shows it is alive without flooding.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_METRIC_PREFIX = "METRIC: "


def parse_metric(line: str) -> dict[str, Any] | None:
    """The SDK metric carried by one log line, in whichever form Meltano relayed it."""
    text = line.strip()
    if not text:
        return None
    if text.startswith("{"):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict):
            found = _metric_in(obj)
            if found is not None:
                return found
    index = text.find(_METRIC_PREFIX)
    if index < 0:
        return None
    payload = text[index + len(_METRIC_PREFIX) :]
    try:
        value, _ = json.JSONDecoder().raw_decode(payload.replace('\\"', '"'))
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) and "metric" in value else None


def _metric_in(obj: dict[str, Any]) -> dict[str, Any] | None:
    info = obj.get("metric_info")
    if isinstance(info, dict) and "metric" in info:
        return info
    for key in ("event", "message"):
        inner = obj.get(key)
        if isinstance(inner, str) and _METRIC_PREFIX in inner:
            return parse_metric(inner[inner.find(_METRIC_PREFIX) :])
        if isinstance(inner, dict):
            found = _metric_in(inner)
            if found is not None:
                return found
    return None


@dataclass
class Progress:
    """Running totals of one sync, fed line by line."""

    emit: Callable[[str], None]
    interval: float = 2.0
    records: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    _last: dict[str, float] = field(default_factory=dict)
    _shown: dict[str, int] = field(default_factory=dict)

    def feed(self, line: str) -> None:
        metric = parse_metric(line)
        if metric is None:
            return
        tags = metric.get("tags") or {}
        stream = str(tags.get("stream") or "?")
        name = metric.get("metric")
        value = metric.get("value")
        if name == "record_count" and isinstance(value, int):
            self.records[stream] = self.records.get(stream, 0) + value
            self._maybe_show(stream)
        elif name == "http_request_duration":
            self.requests[stream] = self.requests.get(stream, 0) + 1
        elif name == "http_request_count" and isinstance(value, int):
            self.requests[stream] = self.requests.get(stream, 0) + value

    def _maybe_show(self, stream: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last.get(stream, -1e9) < self.interval:
            return
        total = self.records.get(stream, 0)
        if self._shown.get(stream) == total:
            return
        self._last[stream] = now
        self._shown[stream] = total
        self.emit(self.line(stream))

    def line(self, stream: str) -> str:
        requests = self.requests.get(stream)
        extra = f", {requests:>5} requests" if requests else ""
        return f"    {stream:<28} {self.records.get(stream, 0):>7} records{extra}"

    def finish(self) -> None:
        """Show each stream whose latest total was throttled."""
        for stream in self.records:
            self._maybe_show(stream, force=True)
