"""Rate-limit honesty: what the server saw, not what the client believes it did.

The sandbox enforces a per-token fixed window on a clock shared with the tap (a fake
clock: waits cost no real time) and logs every API request as it arrives
(``Sandbox.request_log()``: when, the status answered, ``X-RateLimit-Remaining`` and
``-Reset``). A sync must never send a request after ``X-RateLimit-Remaining: 0`` before the
announced reset (the server would refuse it: a 429), and with ``requests_per_minute`` set it
must never send more than that in any minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tap_calendly.api.ratelimit import RateLimiter
from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tap_calendly.windows import parse_datetime
from tests.reliability.e2e import compare_with_truth, iso, sync_in_process
from tests.support.tap_run import FakeTime

SERVER_LIMIT = 100


@dataclass
class Logged:
    sandbox: Sandbox
    fake: FakeTime

    def log(self) -> list[dict[str, Any]]:
        return self.sandbox.request_log()


@pytest.fixture
def logged() -> Iterator[Logged]:
    """A sandbox limited to SERVER_LIMIT a minute on a fake clock shared with the tap."""
    fake = FakeTime()
    settings = SandboxSettings(
        seed=12, scale="small", rate_limit_per_minute=SERVER_LIMIT, webhooks=False
    )
    with Sandbox(settings, rate_clock=fake.clock) as sandbox:
        yield Logged(sandbox, fake)


def config(sandbox: Sandbox, **extra: object) -> dict[str, object]:
    since = parse_datetime(sandbox.info()["now"]) - timedelta(days=10)
    return {
        "personal_access_token": sandbox.admin_token,
        "api_url": sandbox.url,
        "start_date": iso(since),
        "availability_horizon_days": 1,
        "max_concurrency": 8,
        **extra,
    }


def assert_never_sent_after_remaining_zero(log: list[dict[str, Any]]) -> None:
    refused = [r for r in log if r["status"] == 429 and r["fault"] is None]
    assert refused == [], f"{len(refused)} requests arrived after Remaining: 0, before the reset"
    blocked_until = float("-inf")
    for entry in sorted(log, key=lambda r: r["seq"]):
        assert entry["t"] >= blocked_until, "a request arrived before the announced reset"
        if entry["rate_limit_remaining"] == 0 and entry["rate_limit_reset"] is not None:
            # the reset is announced in whole seconds, rounded up
            blocked_until = entry["t"] + entry["rate_limit_reset"] - 1


def max_in_any_window(times: list[float], seconds: float) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_a_sync_never_sends_after_remaining_zero(logged: Logged, tmp_path: Path):
    sandbox = logged.sandbox
    outcome = sync_in_process(
        config(sandbox), None, tmp_path / "rl.duckdb", tmp_path, fake=logged.fake
    )
    assert outcome.loader_code == 0
    log = logged.log()
    assert len(log) > 2 * SERVER_LIMIT  # the budget ran out more than once
    assert sum(r["rate_limit_remaining"] == 0 for r in log) >= 2
    assert all(r["token"] and len(r["token"]) == 12 for r in log)  # one token, fingerprinted
    assert_never_sent_after_remaining_zero(log)
    assert outcome.throttled == 0  # and so the tap never met a 429
    since = parse_datetime(str(config(sandbox)["start_date"]))
    truth = sandbox.ground_truth()
    comparison = compare_with_truth(tmp_path / "rl.duckdb", truth, since=since, window=since)
    assert comparison.mismatches == 0, comparison.examples


def test_requests_per_minute_is_never_exceeded(
    logged: Logged, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The local cap bounds the moments requests are admitted to be sent; the server's
    log shows that each request it saw was admitted (none bypassed the cap), and none
    was refused. (On the fake clock, transit takes "time" whenever other threads wait,
    so arrival times are not a measure of the client's sending rate.)"""
    cap = 60
    admitted: list[float] = []
    original = RateLimiter._wait_needed

    def wait_needed(self: RateLimiter, now: float) -> float:
        wait = original(self, now)
        if wait <= 0:  # granted, at ``now`` (called under the limiter's lock)
            admitted.append(now)
        return wait

    monkeypatch.setattr(RateLimiter, "_wait_needed", wait_needed)
    outcome = sync_in_process(
        config(logged.sandbox, requests_per_minute=cap),
        None,
        tmp_path / "cap.duckdb",
        tmp_path,
        fake=logged.fake,
    )
    assert outcome.loader_code == 0
    assert len(admitted) > 2 * cap
    assert max_in_any_window(admitted, 60.0) <= cap
    assert max_in_any_window(admitted, 60.0) >= cap - 5  # the cap, not something far below
    log = logged.log()
    assert len(log) == len(admitted)  # the server saw no request that was not admitted
    assert_never_sent_after_remaining_zero(log)
