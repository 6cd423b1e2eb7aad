"""Busy and available times on a hand-made org where every slot is known."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests

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


def available_times(tiny: Any, *, days: int, event_type: str | None = None) -> requests.Response:
    """GET the bookable times of ``event_type`` (default ET) for ``days`` from Tuesday 00:00."""
    tuesday = FIXED_NOW.replace(hour=0) + timedelta(days=1)
    return session_for(tiny.admin_token).get(
        f"{tiny.url}/event_type_available_times",
        params={
            "event_type": event_type or f"{tiny.url}/event_types/ET",
            "start_time": format_ts(tuesday),
            "end_time": format_ts(tuesday + timedelta(days=days)),
        },
    )


def test_available_times_are_schedule_minus_busy(tiny):
    response = available_times(tiny, days=2)
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
    response = available_times(tiny, days=1)
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


@pytest.mark.parametrize(("pooling", "expected"), [("round_robin", 9), ("collective", 0)])
def test_team_event_types_pool_their_hosts(tiny, pooling, expected):
    # Both tiny users host the team type; only MEMBER has a schedule, so round robin
    # offers MEMBER's slots and collective (everyone free) offers none.
    uri = f"{tiny.url}/event_types/TEAM-{pooling}"
    tiny.org.put(
        "event_types",
        {
            "uri": uri,
            "name": "Team chat",
            "active": True,
            "duration": 30,
            "pooling_type": pooling,
            "scheduling_url": "https://calendly.com/team/chat",
            "profile": {"type": "Team", "name": "Team", "owner": f"{tiny.url}/groups/G"},
        },
    )
    response = available_times(tiny, days=2, event_type=uri)
    assert response.status_code == 200
    assert len(response.json()["collection"]) == expected
    listed = session_for(tiny.admin_token).get(
        f"{tiny.url}/event_types", params={"user": tiny.url + MEMBER}
    )
    assert uri in {e["uri"] for e in listed.json()["collection"]}
