"""The dbt marts' figures recomputed from the sandbox's ground truth in plain Python.

An independent implementation with ordinary loops, not the same SQL run twice: the
analytics tests compare every mart with these on DuckDB and on PostgreSQL.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.support.warehouse import Truth, ts


def week_of(moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def weekly(truth: Truth) -> dict[tuple[date, str], tuple[int, int]]:
    """(week of start, event type) -> (meetings, canceled meetings)."""
    counts: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
    for event in truth["scheduled_events"]:
        key = (week_of(ts(event["start_time"])), event["event_type"])
        counts[key][0] += 1
        counts[key][1] += event["status"] == "canceled"
    return {k: (v[0], v[1]) for k, v in counts.items()}


def daily(truth: Truth) -> Counter[tuple[date, str]]:
    return Counter((ts(e["start_time"]).date(), e["event_type"]) for e in truth["scheduled_events"])


def bookings_made(truth: Truth, bucket: str) -> dict[tuple[date, str], tuple[int, int, int]]:
    """Invitees by the day or week they booked (``created_at``) and event type."""
    events = {e["uri"]: e for e in truth["scheduled_events"]}
    counts: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for invitee in truth["event_invitees"]:
        booked = ts(invitee["created_at"])
        key = (
            booked.date() if bucket == "day" else week_of(booked),
            events[invitee["event"]]["event_type"],
        )
        counts[key][0] += 1
        counts[key][1] += invitee["status"] == "canceled" and not invitee["rescheduled"]
        counts[key][2] += bool(invitee["rescheduled"])
    return {k: (v[0], v[1], v[2]) for k, v in counts.items()}


def rates(truth: Truth, now: datetime) -> dict[str, Any]:
    events = {e["uri"]: e for e in truth["scheduled_events"]}
    invitees = truth["event_invitees"]
    canceled = rescheduled = past_active = no_shows = 0
    lead_hours: list[float] = []
    for invitee in invitees:
        event = events[invitee["event"]]
        start = ts(event["start_time"])
        if invitee["rescheduled"]:
            rescheduled += 1
        elif invitee["status"] == "canceled":
            canceled += 1
        if invitee["status"] == "active" and start < now:
            past_active += 1
            no_shows += invitee.get("no_show") is not None
        lead_hours.append((start - ts(invitee["created_at"])).total_seconds() / 3600)
    meetings = len(events)
    canceled_meetings = sum(e["status"] == "canceled" for e in events.values())
    return {
        "meetings": meetings,
        "canceled_meetings": canceled_meetings,
        "meeting_cancellation_rate": canceled_meetings / meetings,
        "invitees": len(invitees),
        "canceled_invitees": canceled,
        "rescheduled_invitees": rescheduled,
        "past_active_invitees": past_active,
        "no_shows": no_shows,
        "cancellation_rate": canceled / len(invitees),
        "reschedule_rate": rescheduled / len(invitees),
        "no_show_rate": no_shows / past_active,
        "avg_lead_time_hours": statistics.fmean(lead_hours),
        "median_lead_time_hours": statistics.median(lead_hours),
    }


def host_load(truth: Truth, now: datetime) -> dict[str, dict[str, Any]]:
    load: dict[str, dict[str, Any]] = {}
    for event in truth["scheduled_events"]:
        start, end = ts(event["start_time"]), ts(event["end_time"])
        for membership in event["event_memberships"]:
            row = load.setdefault(
                membership["user"],
                {"meetings": 0, "meeting_hours": 0.0, "canceled_meetings": 0, "upcoming": 0},
            )
            if event["status"] == "canceled":
                row["canceled_meetings"] += 1
                continue
            row["meetings"] += 1
            row["meeting_hours"] += (end - start).total_seconds() / 3600
            row["upcoming"] += start >= now
    return load


def host_names(truth: Truth) -> dict[str, str]:
    """A host's name: the member's, else the name the event carries (a host who left)."""
    names = {
        m["user"]: m["user_name"] for e in truth["scheduled_events"] for m in e["event_memberships"]
    }
    names.update({u["uri"]: u["name"] for u in truth["users"]})
    return names


def routing(truth: Truth) -> dict[str, tuple[int, int]]:
    out = {form["uri"]: (0, 0) for form in truth["routing_forms"]}
    for submission in truth["routing_form_submissions"]:
        total, booked = out.get(submission["routing_form"], (0, 0))
        out[submission["routing_form"]] = (
            total + 1,
            booked + (submission["submitter"] is not None),
        )
    return out


def invitee_answers(truth: Truth) -> set[tuple[str, int, str, str]]:
    return {
        (i["uri"], qa["position"], qa["question"], qa["answer"])
        for i in truth["event_invitees"]
        for qa in i["questions_and_answers"] or []
    }


def event_hosts(truth: Truth) -> set[tuple[str, int, str]]:
    return {
        (e["uri"], n, m["user"])
        for e in truth["scheduled_events"]
        for n, m in enumerate(e["event_memberships"] or [])
    }


def event_guests(truth: Truth) -> set[tuple[str, int, str, datetime]]:
    return {
        (e["uri"], n, g["email"], ts(g["created_at"]))
        for e in truth["scheduled_events"]
        for n, g in enumerate(e["event_guests"] or [])
    }


def routing_answers(truth: Truth) -> set[tuple[str, int, str, str, str]]:
    return {
        (s["uri"], n, qa["question_uuid"], qa["question"], qa["answer"])
        for s in truth["routing_form_submissions"]
        for n, qa in enumerate(s["questions_and_answers"] or [])
    }


UTM_FIELDS = ("utm_campaign", "utm_source", "utm_medium", "utm_content", "utm_term")


def invitee_tracking(truth: Truth) -> dict[str, tuple[str | None, ...]]:
    return {
        i["uri"]: tuple((i["tracking"] or {}).get(f) for f in (*UTM_FIELDS, "salesforce_uuid"))
        for i in truth["event_invitees"]
    }


def bookings_by_utm(truth: Truth) -> Counter[tuple[str | None, str | None, str | None]]:
    return Counter(
        (
            (i["tracking"] or {}).get("utm_source"),
            (i["tracking"] or {}).get("utm_medium"),
            (i["tracking"] or {}).get("utm_campaign"),
        )
        for i in truth["event_invitees"]
    )
