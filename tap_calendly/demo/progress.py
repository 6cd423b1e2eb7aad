"""Turn Meltano's log stream into short progress lines (records and requests per stream).

Meltano (``--log-format json``) relays each plugin's stderr as one JSON object per
line. We show: the tap's own per-stream ``Progress``/``Finished`` lines (records and
requests), the loader's commits, and any error; the Singer SDK's ``record_count``
metrics are totalled as a fallback for streams the tap did not summarise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_METRIC_PREFIX = "METRIC: "
_QUIET_LIMITS = re.compile(r"; rate-limit waits so far: 0 \(0\.0s\), 429s: 0$")
_STREAM_IN_SUMMARY = re.compile(r"(\w+): \d+ records")
_COMMITTED = re.compile(r"committed (\d+) records")
#: dbt's own lines worth showing: the summary, and any failing, warning or erroring node.
_DBT_TIME = re.compile(r"^\d\d:\d\d:\d\d\s+")
_DBT_SHOWN = re.compile(
    r"^(Running with dbt|Finished running|Done\. PASS=|Completed with|Encountered an error)"
    r"|\b(FAIL|WARN|ERROR)\b \d*\s*\S"
)
#: Meltano's own error-level lines that add nothing to the plugin's message.
_NOISE = frozenset({"Block run completed"})


def parse_line(line: str) -> dict[str, Any] | None:
    """The JSON object Meltano logged on this line, if it is one."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def parse_metric(line: str) -> dict[str, Any] | None:
    """The SDK metric carried by one log line, in whichever form it was relayed."""
    obj = parse_line(line)
    if obj is not None:
        info = obj.get("metric_info")
        if isinstance(info, dict) and "metric" in info:
            return info
        event = obj.get("event")
        line = event if isinstance(event, str) else ""
    index = line.find(_METRIC_PREFIX)
    if index < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(line[index + len(_METRIC_PREFIX) :].strip())
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) and "metric" in value else None


@dataclass
class Progress:
    """Running totals of one sync, fed line by line; ``emit`` prints a progress line."""

    emit: Callable[[str], None]
    records: dict[str, int] = field(default_factory=dict)
    summarised: set[str] = field(default_factory=set)
    committed: int = 0

    def feed(self, line: str) -> None:
        metric = parse_metric(line)
        if metric is not None:
            self._metric(metric)
            return
        obj = parse_line(line)
        if obj is None:
            return
        event = str(obj.get("event") or "")
        plugin = str(obj.get("string_id") or obj.get("name") or "")
        level = str(obj.get("level") or "")
        if plugin == "tap-calendly" and event.startswith(("Progress ", "Finished ")):
            self.summarised.update(_STREAM_IN_SUMMARY.findall(event))
            self.emit("    " + _QUIET_LIMITS.sub("", event))
        elif plugin.startswith("dbt-"):
            text = _DBT_TIME.sub("", event.strip())
            if _DBT_SHOWN.search(text):
                self.emit(f"    {plugin}: {text}")
        elif plugin.startswith("target-") and (match := _COMMITTED.search(event)):
            self.committed += int(match.group(1))
            self.emit(f"    {plugin}: committed {int(match.group(1)):,} records")
        elif level in ("error", "critical") or (plugin and ": error:" in event):
            first = event.strip().splitlines()[0] if event.strip() else ""
            if first and first not in _NOISE:
                self.emit(f"    ! {plugin or 'meltano'}: {first}")

    def _metric(self, metric: dict[str, Any]) -> None:
        tags = metric.get("tags") or {}
        value = metric.get("value")
        if metric.get("metric") == "record_count" and isinstance(value, int):
            stream = str(tags.get("stream") or "?")
            self.records[stream] = self.records.get(stream, 0) + value

    def finish(self) -> None:
        """Show totals for streams the tap's own summary lines did not cover."""
        for stream, total in self.records.items():
            if total and stream not in self.summarised:
                self.emit(f"    {stream}: {total} records")
