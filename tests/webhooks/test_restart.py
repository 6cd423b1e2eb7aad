"""A receiver process killed or stopped with deliveries in flight loses nothing it
acknowledged; Calendly's retries then fill in the rest exactly once."""

from __future__ import annotations

import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from tap_calendly.webhooks.envelope import parse
from tests.webhooks.helpers import KEY, envelope, invitee_payload, signed_headers
from tests.webhooks.process import ServeProcess, journal_keys

ENV = {"TAP_CALENDLY_WEBHOOK_SIGNING_KEY": KEY}
TOTAL = 400


def bodies():
    return [
        envelope("invitee.created", invitee_payload(f"https://api.calendly.com/i/{n}"))
        for n in range(TOTAL)
    ]


def send_all(url, items, acked, stop_after=None, stopper=None):
    """Send concurrently on keep-alive connections; record what was acknowledged."""
    lock = threading.Lock()
    local = threading.local()

    def one(body):
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        try:
            response = session.post(url, data=body, headers=signed_headers(body), timeout=10)
        except requests.RequestException:
            return
        if response.status_code == 200:
            with lock:
                acked.append(body)
                if stop_after is not None and len(acked) == stop_after and stopper:
                    stopper()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, items))


def test_kill_with_deliveries_in_flight_loses_nothing_acknowledged(tmp_path):
    journal = tmp_path / "journal"
    items = bodies()
    first = ServeProcess(["--journal", str(journal)], ENV)
    acked: list[bytes] = []
    send_all(first.url, items, acked, stop_after=120, stopper=first.proc.kill)
    assert first.wait() == -signal.SIGKILL
    assert 120 <= len(acked) < TOTAL  # the kill cut the stream short
    stored = journal_keys(journal)
    assert {parse(b).key for b in acked} <= stored

    second = ServeProcess(["--journal", str(journal)], ENV)
    try:
        retried: list[bytes] = []
        send_all(second.url, items, retried)  # Calendly retries everything unacknowledged
        assert len(retried) == TOTAL
    finally:
        second.proc.send_signal(signal.SIGTERM)
        assert second.wait() == 0
    assert journal_keys(journal) == {parse(b).key for b in items}
    assert f"{TOTAL - len(stored)} stored, {len(stored)} duplicates" in second.stderr


def test_sigterm_finishes_in_flight_deliveries(tmp_path):
    journal = tmp_path / "journal"
    items = bodies()
    serving = ServeProcess(["--journal", str(journal)], ENV)
    acked: list[bytes] = []
    send_all(
        serving.url,
        items,
        acked,
        stop_after=100,
        stopper=lambda: serving.proc.send_signal(signal.SIGTERM),
    )
    assert serving.wait() == 0
    assert "Traceback" not in serving.stderr
    assert "stopped:" in serving.stderr
    assert {parse(b).key for b in acked} <= journal_keys(journal)
