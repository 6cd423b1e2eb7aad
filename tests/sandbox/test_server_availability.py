"""Busy and available times on a hand-made org where every slot is known."""

from __future__ import annotations

from datetime import timedelta

from tap_calendly.sandbox import server
from tap_calendly.sandbox.store import format_ts

from .conftest import FIXED_NOW, session_for

MEMBER = "/users/MEMBER"


def test_busy_times_merge_events_and_external_blocks(tiny):
    session = session_for(tiny.admin_token)
    response = session.get(
        f"{tiny.url}/user_busy_times",
        params={
            "user": tiny.url + MEMBER,
            "start_time": format_ts(FIXED_NOW),
            "end_time": format_ts(FIXED_NOW + timedelta(days=7)),
        },
    )
    assert response.status_code == 200
    busy = response.json()["collection"]
    assert [(b["type"], b["start_time"]) for b in busy] == [
        ("calendly", "2026-03-03T10:00:00.000000Z"),
        ("external", "2026-03-04T09:00:00.000000Z"),
    ]
    assert busy[0]["event"] == {"uri": f"{tiny.url}/scheduled_events/EV"}
    assert "event" not in busy[1]


def test_available_times_are_schedule_minus_busy(tiny):
    session = session_for(tiny.admin_token)
    tuesday = FIXED_NOW.replace(hour=0) + timedelta(days=1)
    response = session.get(
        f"{tiny.url}/event_type_available_times",
        params={
            "event_type": f"{tiny.url}/event_types/ET",
            "start_time": format_ts(tuesday),
            "end_time": format_ts(tuesday + timedelta(days=2)),
        },
    )
    assert response.status_code == 200
    starts = [slot["start_time"][:16] for slot in response.json()["collection"]]
    assert starts == [
        "2026-03-03T09:00",
        "2026-03-03T09:30",
        "2026-03-03T10:30",
        "2026-03-03T11:00",
        "2026-03-03T11:30",
        "2026-03-04T10:00",
        "2026-03-04T10:30",
        "2026-03-04T11:00",
        "2026-03-04T11:30",
    ]
    slot = response.json()["collection"][0]
    assert slot["status"] == "available"
    assert slot["scheduling_url"].startswith("https://calendly.com/member/chat/")


def test_canceling_the_event_frees_its_slot(tiny):
    tiny.org.collections["scheduled_events"][f"{tiny.url}/scheduled_events/EV"]["status"] = (
        "canceled"
    )
    session = session_for(tiny.admin_token)
    tuesday = FIXED_NOW.replace(hour=0) + timedelta(days=1)
    response = session.get(
        f"{tiny.url}/event_type_available_times",
        params={
            "event_type": f"{tiny.url}/event_types/ET",
            "start_time": format_ts(tuesday),
            "end_time": format_ts(tuesday + timedelta(days=1)),
        },
    )
    assert len(response.json()["collection"]) == 6


def test_latency_and_jitter_sleep_in_the_handler(tiny, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(server.time, "sleep", slept.append)
    tiny.configure(latency_ms=40, jitter_ms=10)
    session = session_for(tiny.admin_token)
    for _ in range(5):
        assert session.get(f"{tiny.url}/users/me").status_code == 200
    assert len(slept) == 5
    assert all(0.040 <= s <= 0.050 for s in slept)
    assert len(set(slept)) > 1
