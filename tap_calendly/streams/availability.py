"""Availability snapshots: busy times, available times, availability schedules.

These endpoints only describe the future (windows must not start in the past), so the
streams are snapshots: every record carries when it was observed (``observed_at``, the
server's clock) and whose it is (``user`` / ``event_type``). Windows are tiled from the
server's ``Date`` header, not the local clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tap_calendly.client import ChildStream, Record
from tap_calendly.streams.organization import OrganizationMembershipsStream
from tap_calendly.streams.scheduling import EventTypesStream
from tap_calendly.streams.schema import (
    array,
    boolean,
    datetime_,
    integer,
    key_string,
    obj,
    record,
    string,
)
from tap_calendly.windows import availability_windows, format_api_time

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

#: Longest window each endpoint accepts.
BUSY_TIMES_MAX_DAYS = 7
AVAILABLE_TIMES_MAX_DAYS = 31


def busy_time_id(user: str, row: Mapping[str, Any]) -> str:
    """Stable key: the same block observed twice gets the same id."""
    event = row.get("event") or {}
    parts = (
        user,
        str(row.get("type") or ""),
        str(row.get("start_time") or ""),
        str(row.get("end_time") or ""),
        str(event.get("uri") or "") if isinstance(event, dict) else "",
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


class _WindowedChild(ChildStream):
    """Unpaged per-owner endpoint queried once per availability window."""

    paginated = False
    max_window_days: ClassVar[int] = 7

    def windows(self) -> list[tuple[str, str]]:
        horizon = float(self.config.get("availability_horizon_days", 14))
        spans = availability_windows(
            self.tap.server_now(),
            horizon_days=horizon,
            max_window_days=self.max_window_days,
        )
        return [(format_api_time(a), format_api_time(b)) for a, b in spans]

    def window_records(self, context: Mapping[str, Any]) -> Iterable[Record]:
        for start, end in self.windows():
            window_context = {**context, "start_time": start, "end_time": end}
            yield from self.request_records(window_context)


class UserBusyTimesStream(_WindowedChild):
    """``/user_busy_times`` per member, over the horizon in 7-day windows."""

    name = "user_busy_times"
    path = "/user_busy_times"
    parent_stream_type = OrganizationMembershipsStream
    parent_key = "user_uri"
    primary_keys = ("busy_time_id",)
    gated = True
    max_window_days = BUSY_TIMES_MAX_DAYS
    schema: ClassVar[dict[str, Any]] = record(
        busy_time_id=key_string(),
        user=string(),
        observed_at=datetime_(),
        type=string(),
        start_time=datetime_(),
        end_time=datetime_(),
        buffered_start_time=datetime_(),
        buffered_end_time=datetime_(),
        event=obj(uri=string()),
    )

    def query(self, context: Context | None) -> dict[str, Any]:
        assert context is not None
        return {
            "user": context["user_uri"],
            "start_time": context["start_time"],
            "end_time": context["end_time"],
        }

    def fetch_all(self, context: Mapping[str, Any]) -> list[Record]:
        user = str(context["user_uri"])
        observed = format_api_time(self.tap.server_now())
        rows: dict[str, Record] = {}
        for row in self.window_records(context):
            key = busy_time_id(user, row)
            if key not in rows:  # a block spanning two windows is listed twice
                rows[key] = {"busy_time_id": key, "user": user, "observed_at": observed, **row}
        return list(rows.values())


class EventTypeAvailableTimesStream(_WindowedChild):
    """``/event_type_available_times`` per ACTIVE event type (31-day windows)."""

    name = "event_type_available_times"
    path = "/event_type_available_times"
    parent_stream_type = EventTypesStream
    parent_key = "event_type_uri"
    primary_keys = ("event_type", "start_time")
    gated = True
    max_window_days = AVAILABLE_TIMES_MAX_DAYS
    schema: ClassVar[dict[str, Any]] = record(
        event_type=key_string(),
        start_time={"type": "string", "format": "date-time"},
        observed_at=datetime_(),
        status=string(),
        invitees_remaining=integer(),
        scheduling_url=string(),
    )

    def schedule(self, context: Mapping[str, Any], parent: Record) -> None:
        if parent.get("active"):
            super().schedule(context, parent)

    def query(self, context: Context | None) -> dict[str, Any]:
        assert context is not None
        return {
            "event_type": context["event_type_uri"],
            "start_time": context["start_time"],
            "end_time": context["end_time"],
        }

    def fetch_all(self, context: Mapping[str, Any]) -> list[Record]:
        if not context.get("active"):
            return []
        owner = str(context["event_type_uri"])
        observed = format_api_time(self.tap.server_now())
        rows: dict[str, Record] = {}
        for row in self.window_records(context):
            rows.setdefault(
                str(row.get("start_time")), {"event_type": owner, "observed_at": observed, **row}
            )
        return list(rows.values())


class UserAvailabilitySchedulesStream(ChildStream):
    """``/user_availability_schedules?user=`` per member (no timestamps: snapshot)."""

    name = "user_availability_schedules"
    path = "/user_availability_schedules"
    parent_stream_type = OrganizationMembershipsStream
    parent_key = "user_uri"
    paginated = False
    gated = True
    schema: ClassVar[dict[str, Any]] = record(
        uri=key_string(),
        default=boolean(),
        name=string(),
        user=string(),
        timezone=string(),
        observed_at=datetime_(),
        rules=array(
            obj(
                type=string(),
                wday=string(),
                date=string(),
                intervals=array(obj(**{"from": string(), "to": string()})),
            )
        ),
    )

    def query(self, context: Context | None) -> dict[str, Any]:
        assert context is not None
        return {"user": context["user_uri"]}

    def fetch_all(self, context: Mapping[str, Any]) -> list[Record]:
        observed = format_api_time(self.tap.server_now())
        return [{**row, "observed_at": observed} for row in self.request_records(dict(context))]


__all__ = [
    "EventTypeAvailableTimesStream",
    "UserAvailabilitySchedulesStream",
    "UserBusyTimesStream",
    "busy_time_id",
]
