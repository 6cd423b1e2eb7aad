"""Time-window arithmetic, kept pure so it is unit-tested without HTTP.

Two kinds of windows:
- the incremental re-read window ``[max(start_date, bookmark - lookback), +inf)``:
  Calendly cannot filter on ``updated_at``, so changes to old events (cancellations,
  no-shows) are only seen by re-reading a start-time window each run;
- availability windows: future-only spans of at most N days (busy times 7, available
  times 31), tiled from the *server's* "now" plus a small lead, because the API
  rejects windows that start in the past and the sandbox runs on a simulated clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

#: Lead added to the server's "now" so a window never starts in the past by the time
#: the request arrives.
AVAILABILITY_LEAD = timedelta(minutes=1)


def parse_datetime(value: str | datetime) -> datetime:
    """Parse ISO-8601 (``Z`` or offset, or a bare date) into an aware UTC datetime."""
    if isinstance(value, datetime):
        parsed = value
    else:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_api_time(value: datetime) -> str:
    """Calendly's wire format: UTC, microseconds, ``Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def incremental_window_start(
    *,
    start_date: str | datetime | None,
    bookmark: str | datetime | None,
    lookback_days: float,
) -> datetime | None:
    """Lower bound of the re-read window, or None for "all history".

    ``max(start_date, bookmark - lookback)``; either side may be missing.
    """
    candidates: list[datetime] = []
    if start_date:
        candidates.append(parse_datetime(start_date))
    if bookmark:
        candidates.append(parse_datetime(bookmark) - timedelta(days=lookback_days))
    return max(candidates) if candidates else None


def availability_windows(
    server_now: datetime,
    *,
    horizon_days: float,
    max_window_days: float,
    lead: timedelta = AVAILABILITY_LEAD,
) -> list[tuple[datetime, datetime]]:
    """Consecutive ``(start, end)`` spans covering ``horizon_days`` from server now.

    Every span is at most ``max_window_days`` long and starts in the future; the last
    one is shortened to end exactly at the horizon.
    """
    if horizon_days <= 0:
        return []
    start = server_now.astimezone(UTC).replace(microsecond=0) + lead
    end = start + timedelta(days=horizon_days)
    step = timedelta(days=max_window_days)
    windows: list[tuple[datetime, datetime]] = []
    cursor = start
    while cursor < end:
        upper = min(cursor + step, end)
        windows.append((cursor, upper))
        cursor = upper
    return windows
