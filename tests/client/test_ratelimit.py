"""The shared rate limiter, driven by a fake clock: no real sleeping."""

from __future__ import annotations

import pytest

from tap_calendly.api.ratelimit import RateLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset),
    }


def make(**kwargs) -> tuple[RateLimiter, FakeTime]:
    fake = FakeTime()
    return RateLimiter(clock=fake.clock, sleep=fake.sleep, reset_margin=0.0, **kwargs), fake


def test_permits_never_exceed_remaining_minus_in_flight():
    limiter, fake = make()
    limiter.acquire()
    limiter.release(headers(500, 3, 40))  # server: 3 left for 40 s
    for _ in range(3):
        limiter.acquire()  # three reservations, nothing returned yet
    assert limiter.in_flight == 3
    assert fake.slept == []
    # A fourth would overshoot: it must wait for the window to reset (40 s).
    limiter.release(headers(500, 2, 40))
    limiter.release(headers(500, 1, 40))
    limiter.release(headers(500, 0, 40))
    limiter.acquire()
    assert fake.now == pytest.approx(140.0, abs=0.3)
    assert limiter.stats.waits == 1


def test_429_waits_for_the_reported_reset_not_exponential_backoff():
    limiter, fake = make()
    limiter.acquire()
    limiter.release({"X-RateLimit-Limit": "500", "X-RateLimit-Reset": "7"}, status=429)
    assert limiter.stats.throttled == 1
    limiter.acquire()
    assert fake.now == pytest.approx(107.0, abs=0.3)
    assert sum(fake.slept) == pytest.approx(7.0, abs=0.3)


def test_first_request_goes_alone_until_the_budget_is_known():
    limiter, fake = make()
    limiter.acquire()
    waited_before = len(fake.slept)
    # Release arrives only "later": simulate by releasing from the sleep hook.
    released = []

    def sleep_then_release(seconds: float) -> None:
        fake.slept.append(seconds)
        fake.now += seconds
        if not released:
            released.append(True)
            limiter.release(headers(500, 499, 60))

    limiter._sleep = sleep_then_release
    limiter.acquire()
    assert len(fake.slept) == waited_before + 1  # had to wait for the first answer
    assert limiter.in_flight == 1


def test_server_without_headers_is_not_serialised():
    limiter, fake = make()
    limiter.acquire()
    limiter.release({})
    for _ in range(10):
        limiter.acquire()
    assert fake.slept == []


def test_local_cap_is_a_sliding_minute():
    limiter, fake = make(requests_per_minute=5)
    limiter.acquire()
    limiter.release({})
    for _ in range(4):
        limiter.acquire()
        limiter.release({})
        fake.now += 1
    limiter.acquire()  # sixth within the minute: waits until the first is 60 s old
    assert fake.now == pytest.approx(160.0, abs=0.3)


def test_window_rollover_restores_the_full_limit():
    limiter, fake = make()
    limiter.acquire()
    limiter.release(headers(10, 0, 5))
    fake.now += 6
    for _ in range(10):
        limiter.acquire()
    assert fake.slept == []
    assert limiter.remaining == 10


def test_out_of_order_answers_never_raise_the_remaining_count():
    limiter, _fake = make()
    limiter.acquire()
    limiter.release(headers(100, 50, 30))
    for _ in range(3):
        limiter.acquire()
    limiter.release(headers(100, 5, 30))  # the newest count
    limiter.release(headers(100, 7, 30))  # an older request answering late
    limiter.release(headers(100, 6, 30))
    assert limiter.remaining == 5


def test_a_new_server_window_is_accepted():
    limiter, fake = make()
    limiter.acquire()
    limiter.release(headers(100, 1, 2))
    fake.now += 1.5
    limiter.acquire()
    limiter.release(headers(100, 99, 60))  # server already started a new window
    assert limiter.remaining == 99


def test_a_late_answer_from_earlier_in_the_window_is_stale():
    """A slow transfer shifts an old answer's reset forward: still the same window."""
    limiter, fake = make()
    limiter.acquire()
    limiter.release(headers(100, 0, 57))  # budget spent; the window ends in 57 s
    fake.now += 2
    limiter.release(headers(100, 1, 58))  # an older request answering 2 s late
    assert limiter.remaining == 0
