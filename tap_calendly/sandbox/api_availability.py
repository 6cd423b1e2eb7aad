"""Busy times, available times and availability schedules: unpaged, window-bound lists.

Busy times derive from the user's active Calendly events plus ``org.external_busy``;
available times are the event type owner's schedule cut into ``duration``-long slots,
minus those busy times (FACTS.md sections 2.10-2.12).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tap_calendly.sandbox import data_records
from tap_calendly.sandbox.api_context import Api, ApiRequest, ApiResponse, parse_time_param, respond
from tap_calendly.sandbox.api_errors import invalid_argument
from tap_calendly.sandbox.api_lists import BY_START, user_events_view
from tap_calendly.sandbox.store import Record, format_ts, parse_ts

BUSY_MAX_DAYS = 7
AVAILABLE_MAX_DAYS = 31
#: A window may start this much before "now" (a client deriving now from the
#: second-resolution Date header is slightly behind).
PAST_GRACE = timedelta(seconds=60)
#: Longest event the busy-time lookup expects; events starting this long before the
#: window are still checked for overlap.
MAX_EVENT_LENGTH = timedelta(days=1)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _window(api: Api, req: ApiRequest, max_days: int) -> tuple[datetime, datetime]:
    start = parse_time_param(req.param("start_time"), "start_time", required=True)
    end = parse_time_param(req.param("end_time"), "end_time", required=True)
    assert start is not None
    assert end is not None
    if start < api.org.now() - PAST_GRACE:
        raise invalid_argument("start_time", "start_time must not be in the past")
    if end <= start:
        raise invalid_argument("end_time", "end_time must be after start_time")
    if end - start > timedelta(days=max_days):
        raise invalid_argument("end_time", f"The date range can be no greater than {max_days} days")
    return start, end


def busy_times(api: Api, user: str, start: datetime, end: datetime) -> list[Record]:
    """The user's busy blocks overlapping [start, end), sorted by start time."""
    lo_ts, hi_ts = format_ts(start), format_ts(end)
    out: list[Record] = []
    with api.org.lock:
        view = user_events_view(api, user, BY_START)
        lo, hi = view.bounds(format_ts(start - MAX_EVENT_LENGTH), hi_ts)
        table = api.org.collections["scheduled_events"]
        for key in view.keys[lo:hi]:
            event = table.get(key[-1])
            if event is None or event.get("status") != "active" or event["end_time"] <= lo_ts:
                continue
            membership: dict[str, Any] = next(
                (m for m in event.get("event_memberships", ()) if m.get("user") == user), {}
            )
            out.append(
                {
                    "type": "calendly",
                    "start_time": event["start_time"],
                    "end_time": event["end_time"],
                    "buffered_start_time": membership.get("buffered_start_time")
                    or event["start_time"],
                    "buffered_end_time": membership.get("buffered_end_time") or event["end_time"],
                    "event": {"uri": event["uri"]},
                }
            )
        for block in api.org.external_busy.get(user, ()):
            if parse_ts(block["end_time"]) > start and parse_ts(block["start_time"]) < end:
                out.append(dict(block))
    out.sort(key=lambda b: (b["start_time"], b["end_time"]))
    return out


def list_busy_times(api: Api, req: ApiRequest) -> ApiResponse:
    user = req.param("user")
    if not user:
        raise invalid_argument("user", "user is required")
    api.check_user(user)
    start, end = _window(api, req, BUSY_MAX_DAYS)
    return respond(200, {"collection": busy_times(api, user, start, end)})


def _default_schedule(api: Api, user: str) -> Record | None:
    schedules = [s for s in api.org.records("user_availability_schedules") if s["user"] == user]
    return next((s for s in schedules if s.get("default")), schedules[0] if schedules else None)


def _clock(value: str) -> time | None:
    hours, _, minutes = value.partition(":")
    if int(hours) >= 24:
        return None  # "24:00": end of day
    return time(int(hours), int(minutes or 0))


def _intervals(schedule: Record, day: date) -> list[dict[str, str]]:
    rules = schedule.get("rules", [])
    for rule in rules:
        if rule.get("type") == "date" and rule.get("date") == day.isoformat():
            return list(rule.get("intervals", []))
    weekday = WEEKDAYS[day.weekday()]
    for rule in rules:
        if rule.get("type") == "wday" and rule.get("wday") == weekday:
            return list(rule.get("intervals", []))
    return []


def _host_slots(
    api: Api,
    event_type: Record,
    host: str,
    start: datetime,
    end: datetime,
) -> dict[datetime, datetime]:
    """One host's open slot starts (UTC) in [start, end) -> the slot's local start."""
    schedule = _default_schedule(api, host)
    if schedule is None:
        return {}
    try:
        zone = ZoneInfo(schedule.get("timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    step = timedelta(minutes=int(event_type.get("duration") or 30))
    busy = [
        (parse_ts(b["start_time"]), parse_ts(b["end_time"]))
        for b in busy_times(api, host, start - timedelta(days=1), end + timedelta(days=1))
    ]
    now = api.org.now()
    slots: dict[datetime, datetime] = {}
    day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date()
    while day <= last_day:
        for interval in _intervals(schedule, day):
            begin = datetime.combine(day, _clock(interval["from"]) or time(0), zone)
            finish_clock = _clock(interval["to"])
            finish = (
                datetime.combine(day + timedelta(days=1), time(0), zone)
                if finish_clock is None
                else datetime.combine(day, finish_clock, zone)
            )
            slot = begin
            while slot + step <= finish:
                slot_utc = slot.astimezone(UTC)
                slot_end = slot_utc + step
                if (
                    start <= slot_utc < end
                    and slot_utc >= now
                    and not any(b0 < slot_end and b1 > slot_utc for b0, b1 in busy)
                ):
                    slots[slot_utc] = slot
                slot += step
        day += timedelta(days=1)
    return slots


def available_slots(
    api: Api, event_type: Record, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Open slots of ``event_type`` in [start, end), stepping by its duration.

    A user-owned type uses its owner's default schedule and busy times. A team type
    (profile type ``Team``) uses its hosts: round robin offers a slot when any host is
    free, collective only when all are.
    """
    profile = event_type.get("profile") or {}
    if not event_type.get("active") or not profile.get("owner"):
        return []
    if profile.get("type") == "Team":
        hosts = [h["uri"] for h in data_records.team_hosts(api.org, event_type)]
    else:
        hosts = [profile["owner"]]
    per_host = [_host_slots(api, event_type, host, start, end) for host in hosts]
    if not per_host:
        return []
    merged = dict(per_host[0])
    for other in per_host[1:]:
        if event_type.get("pooling_type") == "collective":
            merged = {k: v for k, v in merged.items() if k in other}
        else:
            merged = {**other, **merged}
    out: list[dict[str, Any]] = []
    for slot_utc in sorted(merged):
        local = merged[slot_utc]
        out.append(
            {
                "status": "available",
                "invitees_remaining": 1,
                "start_time": format_ts(slot_utc),
                "scheduling_url": (
                    f"{event_type['scheduling_url']}/{local.isoformat()}"
                    f"?month={local:%Y-%m}&date={local.date().isoformat()}"
                ),
            }
        )
    return out


def list_available_times(api: Api, req: ApiRequest) -> ApiResponse:
    event_type_uri = req.param("event_type")
    if not event_type_uri:
        raise invalid_argument("event_type", "event_type is required")
    start, end = _window(api, req, AVAILABLE_MAX_DAYS)
    with api.org.lock:
        event_type = api.lookup("event_types", event_type_uri)
        return respond(200, {"collection": available_slots(api, event_type, start, end)})


def list_availability_schedules(api: Api, req: ApiRequest) -> ApiResponse:
    user = req.param("user") or req.principal.user_uri
    api.check_user(user)
    with api.org.lock:
        schedules = [s for s in api.org.records("user_availability_schedules") if s["user"] == user]
        schedules.sort(key=lambda s: (not s.get("default"), s["uri"]))
        return respond(200, {"collection": schedules})
