"""The request log behind rate-limit honesty checks: every API request in arrival order
with the rate-limit clock, a token fingerprint (never the token), status and the
``X-RateLimit-*`` values it answered."""

from __future__ import annotations

import requests

from tap_calendly.sandbox.faults import FaultConfig, ScheduledFault


def test_log_lists_requests_in_order_with_limits(sandbox, admin, member, rate_clock):
    sandbox.configure(rate_limit_per_minute=2)
    start = rate_clock()
    admin.get(f"{sandbox.url}/users/me")
    rate_clock.advance(1.5)
    admin.get(f"{sandbox.url}/users/me")
    admin.get(f"{sandbox.url}/users/me")  # over the limit: 429
    member.get(f"{sandbox.url}/nowhere")
    requests.get(f"{sandbox.url}/users/me", timeout=5)  # no token: 401
    requests.get(f"{sandbox.url}/_sandbox/info", timeout=5)  # control: not logged

    body = requests.get(f"{sandbox.url}/_sandbox/requests", timeout=5).json()
    log = body["requests"]
    assert body["dropped"] == 0
    assert log == sandbox.request_log()
    assert [e["seq"] for e in log] == [1, 2, 3, 4, 5]
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", "/users/me", 200),
        ("GET", "/users/me", 200),
        ("GET", "/users/me", 429),
        ("GET", "/nowhere", 404),
        ("GET", "/users/me", 401),
    ]
    assert [e["rate_limit_remaining"] for e in log[:4]] == [1, 0, 0, 1]
    assert [e["rate_limit_reset"] for e in log[:3]] == [60, 59, 59]
    assert [e["t"] for e in log[:2]] == [start, start + 1.5]
    assert {e["now"] for e in log} == {sandbox.org.now_ts()}
    owner, again, limited, other, anonymous = (e["token"] for e in log)
    assert owner == again == limited != other
    assert anonymous is None
    text = str(log)
    assert sandbox.admin_token not in text
    assert sandbox.user_token not in text


def test_faults_are_logged_and_reset_clears_the_log(sandbox, admin):
    fault = ScheduledFault(kind="503", nth=1, endpoint="GET /users/me")
    sandbox.configure(faults=FaultConfig(schedule=[fault]))
    assert admin.get(f"{sandbox.url}/users/me").status_code == 503
    (entry,) = sandbox.request_log()
    assert (entry["status"], entry["fault"], entry["endpoint"]) == (503, "503", "GET /users/me")
    assert entry["rate_limit_remaining"] is None
    requests.post(f"{sandbox.url}/_sandbox/stats/reset", timeout=5)
    assert sandbox.request_log() == []
    admin.get(f"{sandbox.url}/users/me")
    assert [e["seq"] for e in sandbox.request_log()] == [1]
