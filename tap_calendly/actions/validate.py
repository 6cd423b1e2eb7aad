"""Argument checks that run before any request, so a mistake costs no API call.

Every check raises :class:`UsageError` (exit code 2) with one line naming the argument
and what to do. Limits come from the official spec and FACTS.md (the API's own ranges);
values are echoed only when they are not secrets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson

from tap_calendly.api.errors import UsageError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UUID = re.compile(r"^[A-Za-z0-9_-]+$")
_HHMM = re.compile(r"^\d\d:\d\d$")

#: Webhook events: the spec's three plus those the current docs list (FACTS.md section 9).
WEBHOOK_EVENTS = (
    "invitee.created",
    "invitee.canceled",
    "routing_form_submission.created",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
    "event_type.created",
    "event_type.updated",
    "event_type.deleted",
    "meeting_recap.created",
    "meeting_recap.updated",
    "meeting_recap.deleted",
    "contact.created",
    "contact.updated",
    "contact.deleted",
)
PERIOD_TYPES = ("available_moving", "moving", "fixed", "unlimited")
LOCATION_KINDS = (
    "physical",
    "ask_invitee",
    "custom",
    "outbound_call",
    "inbound_call",
    "google_conference",
    "gotomeeting_conference",
    "microsoft_teams_conference",
    "webex_conference",
    "zoom_conference",
)
WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
#: The cancellation reason's maxLength in the spec.
MAX_REASON = 10_000
#: Share name maxLength and duration range in the spec.
MAX_SHARE_NAME = 55
SHARE_DURATION = (1, 720)
#: Data-compliance event deletion: at most 24 months, in the past (spec description).
MAX_DELETION_MONTHS = 24
#: Windowed lists: busy times 7 days, available times 31 days (FACTS.md 2.10, 2.11).
BUSY_TIMES_MAX_DAYS = 7
AVAILABLE_TIMES_MAX_DAYS = 31
#: Activity log search_term maximum length (FACTS.md 2.9).
MAX_SEARCH_TERM = 300


def fail(message: str) -> UsageError:
    return UsageError(message)


def uuid_of(value: str, what: str, *, segment: str | None = None) -> str:
    """The UUID a command takes, from a bare UUID or the object's full URI."""
    text = (value or "").strip()
    if "://" in text:
        parts = [p for p in urlsplit(text).path.split("/") if p]
        if not parts or (segment is not None and segment not in parts):
            raise fail(f"{what}: {value!r} is not a {segment or 'Calendly'} URI")
        text = parts[-1]
    if not text or not _UUID.match(text):
        raise fail(f"{what}: expected a UUID or the object's URI, got {value!r}")
    return text


def uri(value: str | None, what: str) -> str:
    """A full http(s) URI (Calendly filters take URIs, not bare UUIDs)."""
    text = (value or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or not parts.path.strip("/"):
        raise fail(f"{what} must be a full URI such as https://api.calendly.com/users/AAAA")
    return text


def optional_uri(value: str | None, what: str) -> str | None:
    return None if value is None else uri(value, what)


def invitee_uri(value: str) -> str:
    """An invitee URI: .../scheduled_events/EVENT/invitees/INVITEE."""
    text = uri(value, "INVITEE_URI")
    parts = [p for p in urlsplit(text).path.split("/") if p]
    if len(parts) < 4 or parts[-2] != "invitees" or parts[-4] != "scheduled_events":
        raise fail(
            "INVITEE_URI must look like https://api.calendly.com/scheduled_events/EVENT/"
            "invitees/INVITEE (see `calendly invitees list EVENT`)"
        )
    return text


def callback_url(value: str, what: str = "--url") -> str:
    text = (value or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise fail(f"{what} must be an absolute http(s) URL with a host")
    return text


def email(value: str, what: str = "email") -> str:
    text = (value or "").strip()
    if not _EMAIL.match(text):
        raise fail(f"{what}: {value!r} is not an e-mail address")
    return text


def emails(values: Iterable[str]) -> list[str]:
    """Distinct addresses (case-insensitive), in the order given."""
    seen: dict[str, str] = {}
    for value in values:
        checked = email(value, "EMAIL")
        seen.setdefault(checked.lower(), checked)
    if not seen:
        raise fail("give at least one EMAIL")
    return list(seen.values())


def choice(value: str | None, allowed: Iterable[str], what: str) -> str | None:
    options = tuple(allowed)
    if value is not None and value not in options:
        raise fail(f"{what} must be one of {', '.join(options)}, not {value!r}")
    return value


def limit(value: int | None) -> int | None:
    if value is not None and value < 1:
        raise fail("--limit must be at least 1")
    return value


def timestamp(value: str | datetime, what: str) -> datetime:
    """An ISO 8601 instant; a naive one is taken as UTC."""
    if isinstance(value, datetime):
        parsed = value
    else:
        text = value.strip()
        text = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise fail(
                f"{what} must be an ISO 8601 date-time such as 2024-01-31T09:00:00Z"
            ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def calendly_time(value: datetime) -> str:
    """Calendly's own format: UTC, microseconds, ``Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def optional_time(value: str | datetime | None, what: str) -> str | None:
    return None if value is None else calendly_time(timestamp(value, what))


def window(
    start: str | datetime, end: str | datetime, *, max_days: int, names: tuple[str, str]
) -> tuple[str, str]:
    """A [start, end) window no longer than ``max_days`` (the API's own limit)."""
    lo, hi = timestamp(start, names[0]), timestamp(end, names[1])
    if hi <= lo:
        raise fail(f"{names[1]} must be after {names[0]}")
    if hi - lo > timedelta(days=max_days):
        raise fail(f"the window from {names[0]} to {names[1]} can be at most {max_days} days")
    return calendly_time(lo), calendly_time(hi)


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months, clamped to the month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def deletion_range(start: str | datetime, end: str | datetime) -> tuple[datetime, datetime]:
    """The data-compliance event range: end after start, at most 24 months."""
    lo, hi = timestamp(start, "--start-time"), timestamp(end, "--end-time")
    if hi <= lo:
        raise fail("--end-time must be after --start-time")
    if hi > add_months(lo, MAX_DELETION_MONTHS):
        raise fail(
            f"the range can be at most {MAX_DELETION_MONTHS} months (Calendly's limit): "
            "split it into several requests"
        )
    return lo, hi


def in_the_past(end: datetime, now: datetime) -> None:
    """Calendly deletes past events only; ``now`` is the server's clock."""
    if end > now:
        raise fail(
            f"--end-time must be in the past (Calendly's clock reads {calendly_time(now)}): "
            "Calendly deletes past events only"
        )


def day(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise fail(f"{what} must be a date as YYYY-MM-DD") from None


def json_arg(value: str | Any, what: str) -> Any:
    """A JSON option value (already-decoded values pass through, for the Python API)."""
    if not isinstance(value, str):
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise fail(f"{what} is not valid JSON ({exc.args[0].split(':')[0]})") from None


def _require_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(f"{what} must be a JSON object")
    return value


def _check_keys(item: dict[str, Any], allowed: Iterable[str], what: str) -> None:
    unknown = sorted(set(item) - set(allowed))
    if unknown:
        raise fail(f"{what}: unknown key(s) {', '.join(unknown)}")


def locations(value: Any) -> list[dict[str, Any]]:
    """--location-configurations: a JSON array of {kind, location, additional_info, ...}."""
    what = "--location-configurations"
    items = json_arg(value, what)
    if not isinstance(items, list):
        raise fail(f"{what} must be a JSON array of objects")
    for index, raw in enumerate(items):
        where = f"{what}[{index}]"
        item = _require_dict(raw, where)
        _check_keys(
            item, ("kind", "location", "additional_info", "phone_number", "position"), where
        )
        choice(item.get("kind"), LOCATION_KINDS, f"{where}.kind")
        for key in ("location", "additional_info"):
            text = item.get(key)
            if text is not None and (not isinstance(text, str) or len(text) > 255):
                raise fail(f"{where}.{key} must be a string of at most 255 characters")
        if item.get("kind") == "inbound_call" and not item.get("phone_number"):
            raise fail(f"{where}.phone_number is required when kind is inbound_call")
        position = item.get("position")
        if position is not None and (isinstance(position, bool) or not isinstance(position, int)):
            raise fail(f"{where}.position must be an integer")
    return items


def rule(value: Any) -> dict[str, Any]:
    """--availability-rule: {timezone, rules: [{type: wday|date, wday|date, intervals}]}."""
    what = "--availability-rule"
    given = _require_dict(json_arg(value, what), what)
    _check_keys(given, ("timezone", "rules"), what)
    if not isinstance(given.get("timezone"), str) or not given["timezone"]:
        raise fail(f"{what}.timezone is required (e.g. America/New_York)")
    rules = given.get("rules")
    if not isinstance(rules, list) or not rules:
        raise fail(f"{what}.rules must be a non-empty array")
    for index, raw in enumerate(rules):
        where = f"{what}.rules[{index}]"
        item = _require_dict(raw, where)
        _check_keys(item, ("type", "wday", "date", "intervals"), where)
        kind = choice(item.get("type"), ("wday", "date"), f"{where}.type")
        if kind == "wday":
            if item.get("wday") not in WEEKDAYS:
                raise fail(f"{where}.wday must be one of {', '.join(WEEKDAYS)}")
        elif kind == "date":
            day(str(item.get("date") or ""), f"{where}.date")
        else:
            raise fail(f"{where}.type is required (wday or date)")
        intervals = item.get("intervals", [])
        if not isinstance(intervals, list):
            raise fail(f"{where}.intervals must be an array")
        for number, interval in enumerate(intervals):
            spot = f"{where}.intervals[{number}]"
            span = _require_dict(interval, spot)
            _check_keys(span, ("from", "to"), spot)
            for key in ("from", "to"):
                if not isinstance(span.get(key), str) or not _HHMM.match(span[key]):
                    raise fail(f"{spot}.{key} must be a time as hh:mm")
            if span["from"] >= span["to"]:
                raise fail(f"{spot}: from must be before to")
    return given


def share_body(
    event_type: str,
    *,
    name: str | None = None,
    duration: int | None = None,
    period_type: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    max_booking_time: int | None = None,
    hide_location: bool | None = None,
    location_configurations: Any = None,
    availability_rule: Any = None,
) -> dict[str, Any]:
    """The POST /shares body, checked against the spec and the period-type rules."""
    body: dict[str, Any] = {"event_type": uri(event_type, "--event-type")}
    if name is not None:
        if not name.strip() or len(name) > MAX_SHARE_NAME:
            raise fail(f"--name must be 1 to {MAX_SHARE_NAME} characters")
        body["name"] = name
    if duration is not None:
        low, high = SHARE_DURATION
        if not low <= duration <= high:
            raise fail(f"--duration must be between {low} and {high} minutes")
        body["duration"] = duration
    choice(period_type, PERIOD_TYPES, "--period-type")
    if period_type is not None:
        body["period_type"] = period_type
    if period_type == "fixed" and (start_date is None or end_date is None):
        raise fail("--period-type fixed needs --start-date and --end-date")
    if period_type in ("moving", "available_moving") and max_booking_time is None:
        raise fail(f"--period-type {period_type} needs --max-booking-time")
    if period_type in ("moving", "available_moving", "unlimited") and (start_date or end_date):
        raise fail("--start-date and --end-date apply only to --period-type fixed")
    if period_type in ("fixed", "unlimited") and max_booking_time is not None:
        raise fail("--max-booking-time applies only to --period-type moving or available_moving")
    if start_date is not None:
        body["start_date"] = day(start_date, "--start-date").isoformat()
    if end_date is not None:
        body["end_date"] = day(end_date, "--end-date").isoformat()
    if start_date is not None and end_date is not None and body["end_date"] < body["start_date"]:
        raise fail("--end-date must not be before --start-date")
    if max_booking_time is not None:
        if max_booking_time < 1:
            raise fail("--max-booking-time must be a positive number of days")
        body["max_booking_time"] = max_booking_time
    if hide_location is not None:
        body["hide_location"] = hide_location
    if location_configurations is not None:
        body["location_configurations"] = locations(location_configurations)
    if availability_rule is not None:
        body["availability_rule"] = rule(availability_rule)
    return body
