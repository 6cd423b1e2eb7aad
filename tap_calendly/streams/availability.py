"""Availability snapshots: busy times, available times, availability schedules.

These endpoints only describe the future (windows must not start in the past), so the
streams are snapshots: every record carries when it was observed (``observed_at``, the
server's clock) and whose it is (``user`` / ``event_type``). Windows are tiled from the
server's ``Date`` header, not the local clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tap_calendly.streams.base import ChildStream, Record
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
    """Unpaged per-owner endpoint queried once per availability window.

    Each window is one part (one pool task); every row carries its owner and when it
    was observed (the server's clock when the parent was scheduled).
    """

    paginated = False
    max_window_days: ClassVar[int] = 7
    #: Context key of the owner, and the record field it is copied to.
    owner_field: ClassVar[str] = "user"

    def windows(self) -> list[tuple[str, str]]:
        spans = availability_windows(
            self.sync_context.server_now(),
            horizon_days=self.sync_context.settings.availability_horizon_days,
            max_window_days=self.max_window_days,
        )
        return [(format_api_time(a), format_api_time(b)) for a, b in spans]

    def parts(self, context: Mapping[str, Any]) -> list[dict[str, Any]]:
        observed = format_api_time(self.sync_context.server_now())
        return [
            {**context, "start_time": start, "end_time": end, "observed_at": observed}
            for start, end in self.windows()
        ]

    def decorate(self, row: Record, part: Mapping[str, Any]) -> Record:
        return {
            self.owner_field: str(part[self.parent_key]),
            "observed_at": part["observed_at"],
            **row,
        }

    def fetch_part(self, part: Mapping[str, Any]) -> list[Record]:
        return [self.decorate(row, part) for row in self.request_records(dict(part))]

    def combine(self, results: list[list[Record]]) -> list[Record]:
        """A row listed twice (a busy block spanning two windows) is kept once."""
        rows: dict[tuple[Any, ...], Record] = {}
        for row in (row for part in results for row in part):
            rows.setdefault(tuple(row.get(k) for k in self.primary_keys), row)
        return list(rows.values())

    def query(self, context: Context | None) -> dict[str, Any]:
        assert context is not None
        return {
            self.owner_field: context[self.parent_key],
            "start_time": context["start_time"],
            "end_time": context["end_time"],
        }


class UserBusyTimesStream(_WindowedChild):
    """``/user_busy_times`` per distinct member, over the horizon in 7-day windows."""

    name = "user_busy_times"
    path = "/user_busy_times"
    parent_stream_type = OrganizationMembershipsStream
    parent_key = "user_uri"
    distinct_parents = True
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

    def decorate(self, row: Record, part: Mapping[str, Any]) -> Record:
        user = str(part[self.parent_key])
        return {"busy_time_id": busy_time_id(user, row), **super().decorate(row, part)}


class EventTypeAvailableTimesStream(_WindowedChild):
    """``/event_type_available_times`` per ACTIVE event type (31-day windows)."""

    name = "event_type_available_times"
    path = "/event_type_available_times"
    parent_stream_type = EventTypesStream
    parent_key = "event_type_uri"
    owner_field = "event_type"
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

    def parts(self, context: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Inactive event types have no available times: no request."""
        return super().parts(context) if context.get("active") else []


class UserAvailabilitySchedulesStream(ChildStream):
    """``/user_availability_schedules?user=`` per distinct member (snapshot)."""

    name = "user_availability_schedules"
    path = "/user_availability_schedules"
    parent_stream_type = OrganizationMembershipsStream
    parent_key = "user_uri"
    distinct_parents = True
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

    def parts(self, context: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [{**context, "observed_at": format_api_time(self.sync_context.server_now())}]

    def query(self, context: Context | None) -> dict[str, Any]:
        assert context is not None
        return {"user": context["user_uri"]}

    def fetch_part(self, part: Mapping[str, Any]) -> list[Record]:
        return [
            {**row, "observed_at": part["observed_at"]} for row in self.request_records(dict(part))
        ]


__all__ = [
    "EventTypeAvailableTimesStream",
    "UserAvailabilitySchedulesStream",
    "UserBusyTimesStream",
    "busy_time_id",
]
