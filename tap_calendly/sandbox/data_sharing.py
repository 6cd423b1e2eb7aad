"""Shares and single-use scheduling links: booking URLs for an event type.

Neither is stored (the API cannot list them); they only need a plausible, deterministic
booking URL and the override fields Calendly echoes back.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from tap_calendly.sandbox import data_records as rec
from tap_calendly.sandbox.api_errors import invalid_argument
from tap_calendly.sandbox.data_errors import get_record, op_rng
from tap_calendly.sandbox.store import Record, SandboxOrg


def _booking_url(rng: random.Random, slug: str) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    code = (
        "".join(rng.choice(alphabet) for _ in range(4))
        + "-"
        + "".join(rng.choice(alphabet) for _ in range(4))
    )
    return f"https://calendly.com/d/{code}/{slug}"


def create_scheduling_link(
    org: SandboxOrg, *, owner: str, owner_type: str, max_event_count: int
) -> Record:
    """A single-use booking link for an event type (not stored: the API cannot list them)."""
    if owner_type != "EventType":
        raise invalid_argument("owner_type", "must be EventType")
    if max_event_count != 1:
        raise invalid_argument("max_event_count", "must be 1")
    with org.lock:
        event_type = get_record(org, "event_types", owner)
        rng = op_rng(org, "link", owner)
        return {
            "booking_url": _booking_url(rng, event_type["slug"] or "meeting"),
            "owner": owner,
            "owner_type": "EventType",
        }


_SHARE_FIELDS = (
    "name",
    "duration",
    "period_type",
    "start_date",
    "end_date",
    "max_booking_time",
    "hide_location",
    "location_configurations",
    "availability_rule",
)


def create_share(org: SandboxOrg, body: dict[str, Any]) -> Record:
    """A customised one-off share of an event type; omitted fields come from the type."""
    event_type_uri = body.get("event_type")
    if not isinstance(event_type_uri, str) or not event_type_uri:
        raise invalid_argument("event_type", "must be filled")
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 55):
        raise invalid_argument("name", "must be at most 55 characters")
    period = body.get("period_type", "moving")
    if period not in ("available_moving", "moving", "fixed", "unlimited"):
        raise invalid_argument("period_type", "is not supported")
    if period == "fixed" and not (body.get("start_date") and body.get("end_date")):
        raise invalid_argument(
            "start_date", "start_date and end_date are required for fixed periods"
        )
    with org.lock:
        event_type = get_record(org, "event_types", event_type_uri)
        owner = rec.team_hosts(org, event_type)
        owner_user = owner[0] if owner else org.get("users", org.owner_uri) or {}
        override: Record = {
            "name": event_type["name"],
            "duration": int(event_type["duration"]),
            "period_type": period,
            "start_date": None,
            "end_date": None,
            "max_booking_time": 60 * 24 * 60 if period in ("moving", "available_moving") else None,
            "hide_location": False,
            "location_configurations": [],
            "availability_rule": {
                "rules": [
                    {"type": "wday", "wday": day, "intervals": [{"from": "09:00", "to": "17:00"}]}
                    for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
                ],
                "timezone": owner_user.get("timezone", "UTC"),
            },
        }
        for key in _SHARE_FIELDS:
            if key in body:
                override[key] = copy.deepcopy(body[key])
        rng = op_rng(org, "share", event_type_uri)
        return {
            "scheduling_links": [
                {
                    "booking_url": _booking_url(rng, event_type["slug"] or "meeting"),
                    "owner": event_type_uri,
                    "owner_type": "EventType",
                }
            ],
            "share_override": override,
        }
