"""403 on gated streams and 404 on vanished parents skip instead of failing (no HTTP)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from tap_calendly.api import Owner
from tap_calendly.api.errors import AccessDenied, NotFound
from tap_calendly.tap import TapCalendly

BASE = "https://api.example.test"


class RaisingTransport:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def send(self, request, *, stream):
        self.calls += 1
        raise self.error


def make_tap(error: Exception) -> tuple[TapCalendly, RaisingTransport]:
    tap = TapCalendly(config={"personal_access_token": "pat", "api_url": BASE}, setup_mapper=False)
    tap.sync_context.client._owner = Owner(
        me={"uri": f"{BASE}/users/ME"},
        user_uri=f"{BASE}/users/ME",
        organization_uri=f"{BASE}/organizations/O",
        server_now=datetime(2026, 7, 1, tzinfo=UTC),
    )
    transport = RaisingTransport(error)
    tap.sync_context.client.transport = transport  # type: ignore[assignment]
    return tap, transport


def test_gated_stream_skips_with_a_single_warning(caplog):
    denied = AccessDenied(403, "Permission Denied", "Enterprise only", "GET /activity_log_entries")
    tap, _ = make_tap(denied)
    stream = tap.streams["activity_log_entries"]
    with caplog.at_level(logging.WARNING):
        assert list(stream.request_records(None)) == []
        assert list(stream.request_records(None)) == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "activity_log_entries: skipped: access denied (Permission Denied: Enterprise only)"
    ]


def test_vanished_parent_yields_no_invitees():
    gone = NotFound(404, "Resource Not Found", "", "GET /scheduled_events/E1/invitees")
    tap, transport = make_tap(gone)
    stream = tap.streams["event_invitees"]
    assert stream.fetch_all({"event_uri": f"{BASE}/scheduled_events/E1"}) == []
    assert transport.calls == 1


def test_403_on_an_ungated_stream_is_fatal():
    denied = AccessDenied(403, "Permission Denied", "", "GET /scheduled_events")
    tap, _ = make_tap(denied)
    with pytest.raises(AccessDenied):
        list(tap.streams["scheduled_events"].request_records(None))
