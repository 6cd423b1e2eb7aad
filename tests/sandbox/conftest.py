"""Fixtures for the sandbox server tests: a running small sandbox, sessions for the owner
and a plain member, a tiny hand-made org for exact availability checks, and a page walker."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tap_calendly.sandbox.rate_limit import ManualClock
from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tap_calendly.sandbox.store import SandboxOrg, SimClock, format_ts

FIXED_NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def settings(**overrides: Any) -> SandboxSettings:
    base: dict[str, Any] = {
        "seed": 7,
        "scale": "small",
        "now": FIXED_NOW,
        "webhook_retry_delays": (0.01, 0.02, 0.04),
    }
    base.update(overrides)
    return SandboxSettings(**base)


def session_for(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


@pytest.fixture(scope="module")
def rate_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def shared_sandbox(rate_clock: ManualClock) -> Iterator[Sandbox]:
    with Sandbox(settings(), rate_clock=rate_clock) as running:
        yield running


DEFAULTS: dict[str, Any] = {
    "rate_limit_per_minute": 500,
    "latency_ms": 0.0,
    "jitter_ms": 0.0,
    "faults": None,
    "plan": "enterprise",
    "access_token_ttl_seconds": 7200,
    "extra_fields": False,
}


@pytest.fixture
def sandbox(shared_sandbox: Sandbox) -> Sandbox:
    """The module's sandbox with default settings, fresh rate windows and zeroed counters.
    Tests that change data use ``fresh_sandbox`` instead."""
    shared_sandbox.configure(**DEFAULTS)
    shared_sandbox.reset_counts()
    return shared_sandbox


@pytest.fixture
def fresh_sandbox() -> Iterator[Sandbox]:
    with Sandbox(settings(), rate_clock=ManualClock()) as running:
        yield running


@pytest.fixture
def admin(sandbox: Sandbox) -> Iterator[requests.Session]:
    with session_for(sandbox.admin_token) as session:
        yield session


@pytest.fixture
def member(sandbox: Sandbox) -> Iterator[requests.Session]:
    with session_for(sandbox.user_token) as session:
        yield session


def walk(
    session: requests.Session,
    url: str,
    params: dict[str, Any] | None = None,
    between: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """All records of a listing, following ``next_page``; ``between(n)`` runs after page n."""
    records: list[dict[str, Any]] = []
    response = session.get(url, params=params, timeout=10)
    pages = 0
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        records.extend(body["collection"])
        pages += 1
        next_page = body["pagination"]["next_page"]
        if not next_page:
            return records
        if between is not None:
            between(pages)
        response = session.get(next_page, timeout=10)


def tiny_org(base_url: str) -> SandboxOrg:
    """Owner + one member; the member has a 30-minute event type, a Mon-Fri 09:00-12:00 UTC
    schedule, one booked event (Tue 10:00-10:30) and one external block (Wed 09:00-10:00)."""
    org_uri = f"{base_url}/organizations/ORG"
    org = SandboxOrg(
        base_url=base_url,
        clock=SimClock(FIXED_NOW),
        organization={
            "uri": org_uri,
            "plan": "enterprise",
            "stage": "paid",
            "created_at": "2020-01-01T00:00:00.000000Z",
            "updated_at": "2020-01-01T00:00:00.000000Z",
        },
        owner_uri=f"{base_url}/users/OWNER",
    )
    created = "2025-01-01T00:00:00.000000Z"
    for key, role in (("OWNER", "owner"), ("MEMBER", "user")):
        user = {
            "uri": f"{base_url}/users/{key}",
            "name": key.title(),
            "slug": key.lower(),
            "email": f"{key.lower()}@example.com",
            "scheduling_url": f"https://calendly.com/{key.lower()}",
            "timezone": "UTC",
            "avatar_url": None,
            "created_at": created,
            "updated_at": created,
            "current_organization": org_uri,
        }
        org.put("users", user)
        embedded = {k: v for k, v in user.items() if k != "current_organization"}
        org.put(
            "organization_memberships",
            {
                "uri": f"{base_url}/organization_memberships/M-{key}",
                "role": role,
                "user": embedded,
                "organization": org_uri,
                "created_at": created,
                "updated_at": created,
            },
        )
    member = f"{base_url}/users/MEMBER"
    org.put(
        "event_types",
        {
            "uri": f"{base_url}/event_types/ET",
            "name": "Chat",
            "active": True,
            "duration": 30,
            "scheduling_url": "https://calendly.com/member/chat",
            "profile": {"type": "User", "name": "Member", "owner": member},
        },
    )
    org.put(
        "user_availability_schedules",
        {
            "uri": f"{base_url}/user_availability_schedules/S",
            "default": True,
            "name": "Working hours",
            "user": member,
            "timezone": "UTC",
            "rules": [
                {"type": "wday", "wday": day, "intervals": [{"from": "09:00", "to": "12:00"}]}
                for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
            ],
        },
    )
    start = FIXED_NOW + timedelta(days=1, hours=1)  # Tuesday 10:00
    org.put(
        "scheduled_events",
        {
            "uri": f"{base_url}/scheduled_events/EV",
            "status": "active",
            "start_time": format_ts(start),
            "end_time": format_ts(start + timedelta(minutes=30)),
            "event_memberships": [{"user": member}],
            "created_at": created,
            "updated_at": created,
        },
    )
    wednesday = FIXED_NOW + timedelta(days=2)
    org.external_busy[member] = [
        {
            "type": "external",
            "start_time": format_ts(wednesday),
            "end_time": format_ts(wednesday + timedelta(hours=1)),
        }
    ]
    return org


@pytest.fixture
def tiny() -> Iterator[Sandbox]:
    with Sandbox(settings(), org_factory=tiny_org) as running:
        yield running
