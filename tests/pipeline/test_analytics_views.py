"""Analytics views on sandbox data, checked against numbers computed in plain Python.

The sandbox org is synced by the real tap into the real loader (no Meltano), the views
are created, and every figure is recomputed here from ``Sandbox.ground_truth()`` with
ordinary loops: an independent implementation, not the same SQL run twice. "Now" for the
has-the-meeting-started questions is DuckDB's transaction time, read in the same
transaction as the view, so the boundary cannot move between the two computations.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tap_calendly.analytics import create_views, load_views
from tap_calendly.demo.pipeline import run_pipe
from tap_calendly.sandbox.runner import Sandbox, SandboxSettings

BIN = Path(sys.executable).parent
STREAMS = (
    "users",
    "event_types",
    "scheduled_events",
    "event_invitees",
    "routing_forms",
    "routing_form_submissions",
)
Record = dict[str, Any]


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def week_of(moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def is_no_show(invitee: Record) -> bool:
    return invitee.get("no_show") is not None


@dataclass
class Synced:
    con: duckdb.DuckDBPyConnection
    truth: dict[str, list[Record]]


def select_streams(catalog: dict[str, Any], wanted: tuple[str, ...]) -> dict[str, Any]:
    """Mark only ``wanted`` streams selected (stream-level metadata)."""
    for entry in catalog["streams"]:
        chosen = entry["tap_stream_id"] in wanted
        for meta in entry.get("metadata", []):
            if not meta.get("breadcrumb"):
                meta["metadata"]["selected"] = chosen
    return catalog


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    work = tmp_path_factory.mktemp("analytics")
    settings = SandboxSettings(seed=11, scale="small", rate_limit_per_minute=1_000_000)
    with Sandbox(settings) as sandbox:
        start = ts(sandbox.info()["now"]) - timedelta(days=3 * 365)
        tap_config = {
            "api_url": sandbox.url,
            "personal_access_token": sandbox.admin_token,
            "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        (work / "tap.json").write_text(json.dumps(tap_config))
        (work / "target.json").write_text(
            json.dumps({"database": str(work / "a.duckdb"), "schema": "calendly"})
        )
        tap = [str(BIN / "tap-calendly"), "--config", str(work / "tap.json")]
        catalog = json.loads(
            subprocess.run([*tap, "--discover"], check=True, capture_output=True).stdout
        )
        (work / "catalog.json").write_text(json.dumps(select_streams(catalog, STREAMS)))
        run_pipe(
            [*tap, "--catalog", str(work / "catalog.json")],
            [str(BIN / "target-calendly-duckdb"), "--config", str(work / "target.json")],
        )
        truth = sandbox.ground_truth()
    con = duckdb.connect(str(work / "a.duckdb"))
    created = create_views(con)
    assert not created.skipped, created.skipped
    yield Synced(con, truth)
    con.close()


def query_at_now(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[datetime, list[dict[str, Any]]]:
    """Run ``sql`` in one transaction with ``now()``; rows as dicts."""
    con.execute("BEGIN TRANSACTION")
    try:
        row = con.execute("SELECT now()").fetchone()
        assert row is not None
        now = row[0].astimezone(UTC)
        cur = con.execute(sql)
        names = [d[0] for d in cur.description or ()]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.execute("COMMIT")
    return now, rows


# -- independent reference computations -------------------------------------------------


def ref_weekly(truth: dict[str, list[Record]]) -> dict[tuple[date, str], tuple[int, int]]:
    counts: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
    for event in truth["scheduled_events"]:
        key = (week_of(ts(event["start_time"])), event["event_type"])
        counts[key][0] += 1
        counts[key][1] += event["status"] == "canceled"
    return {k: (v[0], v[1]) for k, v in counts.items()}


def ref_daily(truth: dict[str, list[Record]]) -> Counter[tuple[date, str]]:
    return Counter((ts(e["start_time"]).date(), e["event_type"]) for e in truth["scheduled_events"])


def ref_bookings_made(
    truth: dict[str, list[Record]], bucket: str
) -> dict[tuple[date, str], tuple[int, int, int]]:
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


def ref_rates(truth: dict[str, list[Record]], now: datetime) -> dict[str, Any]:
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
            no_shows += is_no_show(invitee)
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


def ref_host_load(truth: dict[str, list[Record]], now: datetime) -> dict[str, dict[str, Any]]:
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


def ref_routing(truth: dict[str, list[Record]]) -> dict[str, tuple[int, int]]:
    out = {form["uri"]: (0, 0) for form in truth["routing_forms"]}
    for submission in truth["routing_form_submissions"]:
        total, booked = out.get(submission["routing_form"], (0, 0))
        out[submission["routing_form"]] = (
            total + 1,
            booked + (submission["submitter"] is not None),
        )
    return out


# -- the tests ----------------------------------------------------------------------------


def test_every_view_is_created_and_documented(synced: Synced) -> None:
    names = {v.name for v in load_views()}
    rows = synced.con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'analytics'"
    ).fetchall()
    assert {r[0] for r in rows} == names
    assert all(v.doc for v in load_views())


def test_synced_tables_hold_the_sandbox_records(synced: Synced) -> None:
    for stream in STREAMS:
        uris = {r[0] for r in synced.con.execute(f"SELECT uri FROM calendly.{stream}").fetchall()}
        assert uris == {r["uri"] for r in synced.truth[stream]}, stream


def test_bookings_weekly_by_event_type(synced: Synced) -> None:
    rows = synced.con.execute(
        "SELECT week, event_type_uri, meetings, canceled_meetings FROM analytics.bookings_weekly"
    ).fetchall()
    got = {(r[0], r[1]): (r[2], r[3]) for r in rows}
    expected = ref_weekly(synced.truth)
    assert len(expected) > 50
    assert got == expected


def test_bookings_daily_by_event_type(synced: Synced) -> None:
    rows = synced.con.execute(
        "SELECT day, event_type_uri, meetings FROM analytics.bookings_daily"
    ).fetchall()
    assert {(r[0], r[1]): r[2] for r in rows} == dict(ref_daily(synced.truth))


@pytest.mark.parametrize(("view", "bucket"), [("daily", "day"), ("weekly", "week")])
def test_bookings_made_by_booking_date(synced: Synced, view: str, bucket: str) -> None:
    rows = synced.con.execute(
        f"SELECT {bucket}, event_type_uri, bookings, canceled, rescheduled "
        f"FROM analytics.bookings_made_{view}"
    ).fetchall()
    expected = ref_bookings_made(synced.truth, bucket)
    assert sum(v[2] for v in expected.values()) > 0
    assert {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows} == expected


def test_rates_match_ground_truth(synced: Synced) -> None:
    now, rows = query_at_now(synced.con, "SELECT * FROM analytics.rates")
    expected = ref_rates(synced.truth, now)
    (got,) = rows
    assert expected["no_shows"] > 0
    assert expected["rescheduled_invitees"] > 0
    assert expected["canceled_invitees"] > 0
    assert 0 < expected["past_active_invitees"] < expected["invitees"]
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-9), key


def test_event_type_stats_sum_to_totals(synced: Synced) -> None:
    now, rows = query_at_now(synced.con, "SELECT * FROM analytics.event_type_stats")
    by_type = Counter(e["event_type"] for e in synced.truth["scheduled_events"])
    assert {r["event_type_uri"]: r["meetings"] for r in rows} == dict(by_type)
    types = {t["uri"]: t for t in synced.truth["event_types"]}
    for row in rows:
        event_type = types[row["event_type_uri"]]
        assert row["event_type_name"] == event_type["name"]
        assert row["profile_name"] == (event_type["profile"] or {}).get("name")
    expected = ref_rates(synced.truth, now)
    assert sum(r["no_shows"] for r in rows) == expected["no_shows"]
    assert sum(r["rescheduled_invitees"] for r in rows) == expected["rescheduled_invitees"]


def test_host_load_matches_ground_truth(synced: Synced) -> None:
    now, rows = query_at_now(synced.con, "SELECT * FROM analytics.host_load")
    expected = ref_host_load(synced.truth, now)
    assert {r["host_uri"] for r in rows} == set(expected)
    users = {u["uri"]: u["name"] for u in synced.truth["users"]}
    for row in rows:
        want = expected[row["host_uri"]]
        assert row["meetings"] == want["meetings"]
        assert row["canceled_meetings"] == want["canceled_meetings"]
        assert row["upcoming_meetings"] == want["upcoming"]
        assert row["meeting_hours"] == pytest.approx(want["meeting_hours"])
        assert row["host_name"] == users.get(row["host_uri"])


def test_host_load_weekly_adds_up_to_host_load(synced: Synced) -> None:
    weekly = synced.con.execute(
        "SELECT host_uri, sum(meetings) FROM analytics.host_load_weekly GROUP BY host_uri"
    ).fetchall()
    _, totals = query_at_now(synced.con, "SELECT host_uri, meetings FROM analytics.host_load")
    assert {r[0]: r[1] for r in weekly} == {
        r["host_uri"]: r["meetings"] for r in totals if r["meetings"]
    }


def test_routing_conversion_matches_ground_truth(synced: Synced) -> None:
    rows = synced.con.execute(
        "SELECT routing_form_uri, submissions, booked_submissions, conversion_rate "
        "FROM analytics.routing_conversion"
    ).fetchall()
    expected = ref_routing(synced.truth)
    assert {r[0]: (r[1], r[2]) for r in rows} == expected
    for uri, _, _, rate in rows:
        total, booked = expected[uri]
        assert rate == (pytest.approx(booked / total) if total else None)
    assert any(0 < b < t for t, b in expected.values())


def test_lead_time_per_meeting(synced: Synced) -> None:
    rows = synced.con.execute(
        "SELECT event_uri, lead_time_hours FROM analytics.meetings"
    ).fetchall()
    events = {e["uri"]: e for e in synced.truth["scheduled_events"]}
    assert len(rows) == len(events)
    for uri, hours in rows:
        event = events[uri]
        delta = ts(event["start_time"]) - ts(event["created_at"])
        assert hours == pytest.approx(delta.total_seconds() / 3600)
