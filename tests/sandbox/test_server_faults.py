"""Injected faults as a requests client sees them, latency, counters and the Date header."""

from __future__ import annotations

import http.client
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import pytest
import requests

from tap_calendly.sandbox.faults import FaultConfig, ScheduledFault


def _schedule(sandbox, kind, nth=1, times=1, **extra):
    fault = ScheduledFault(kind=kind, nth=nth, endpoint="GET /users/me", times=times)
    sandbox.configure(faults=FaultConfig(schedule=[fault], **extra))


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_on_schedule(sandbox, admin, status):
    _schedule(sandbox, str(status), nth=2)
    assert admin.get(f"{sandbox.url}/users/me").status_code == 200
    failed = admin.get(f"{sandbox.url}/users/me")
    assert failed.status_code == status
    assert set(failed.json()) == {"title", "message"}
    assert admin.get(f"{sandbox.url}/users/me").status_code == 200


def test_429_burst(sandbox, admin):
    _schedule(sandbox, "429", nth=1, burst=3)
    statuses = [admin.get(f"{sandbox.url}/users/me").status_code for _ in range(4)]
    assert statuses == [429, 429, 429, 200]


def test_connection_reset(sandbox, admin):
    _schedule(sandbox, "reset")
    with pytest.raises(requests.ConnectionError):
        admin.get(f"{sandbox.url}/users/me", timeout=5)
    assert admin.get(f"{sandbox.url}/users/me", timeout=5).status_code == 200


def test_stall_past_client_timeout(sandbox, admin):
    _schedule(sandbox, "stall", stall_seconds=1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        admin.get(f"{sandbox.url}/users/me", timeout=0.2)


def test_truncated_body(sandbox, admin):
    _schedule(sandbox, "truncate")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        admin.get(f"{sandbox.url}/users/me", timeout=5)
    assert admin.get(f"{sandbox.url}/users/me", timeout=5).status_code == 200


def test_schedule_targets_one_endpoint(sandbox, admin):
    _schedule(sandbox, "503")
    org = sandbox.org.organization["uri"]
    assert admin.get(f"{sandbox.url}/event_types", params={"organization": org}).ok
    assert admin.get(f"{sandbox.url}/users/me").status_code == 503


def _statuses(sandbox, admin, n):
    sandbox.configure(faults={"seed": 11, "rates": {"503": 0.3}})
    return [admin.get(f"{sandbox.url}/users/me").status_code for _ in range(n)]


def test_probabilistic_faults_are_seeded(sandbox, admin):
    first = _statuses(sandbox, admin, 30)
    second = _statuses(sandbox, admin, 30)
    assert first == second
    assert 503 in first
    assert 200 in first


def test_request_counts_by_template(sandbox, admin):
    event = next(iter(sandbox.org.children["event_invitees"]))
    uuid_ = event.rsplit("/", 1)[-1]
    admin.get(f"{sandbox.url}/scheduled_events/{uuid_}/invitees")
    admin.get(f"{sandbox.url}/scheduled_events/{uuid_}/invitees")
    admin.get(f"{sandbox.url}/scheduled_events/{uuid_}")
    counts = sandbox.request_counts()
    assert counts["GET /scheduled_events/{uuid}/invitees"] == 2
    assert counts["GET /scheduled_events/{uuid}"] == 1
    over_http = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=5).json()
    assert over_http["requests"] == counts  # control calls are not counted
    sandbox.reset_counts()
    assert sandbox.request_counts() == {}


def test_date_header_is_the_simulated_clock(sandbox, admin):
    response = admin.get(f"{sandbox.url}/users/me")
    assert parsedate_to_datetime(response.headers["Date"]) == sandbox.org.now().replace(
        microsecond=0
    )


def test_keep_alive_reuses_one_connection(sandbox):
    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(sandbox.url).port, timeout=5)
    headers = {"Authorization": f"Bearer {sandbox.admin_token}"}
    sockets = set()
    for _ in range(5):
        conn.request("GET", "/users/me", headers=headers)
        response = conn.getresponse()
        assert response.status == 200
        response.read()
        sockets.add(id(conn.sock))
    conn.close()
    assert len(sockets) == 1
