"""Acceptance: 30 simulated days of a sandbox org delivering signed webhooks to the
receiver while daily batch syncs run with a 1-day lookback.

Two DuckDB files get the same batch syncs; one also gets ``apply`` after each sync.
Batch-only misses changes to meetings that started before the lookback window (no-shows
are marked up to 14 days after a meeting); batch plus webhooks ends equal to the
sandbox's ground truth for every row.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from tap_calendly.api import CalendlyClient
from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tap_calendly.sandbox.store import parse_ts
from tap_calendly.webhooks.apply import apply_journal
from tap_calendly.webhooks.journal import Journal
from tap_calendly.webhooks.subscribe import ORGANIZATION_EVENTS, subscribe
from tests.webhooks.helpers import KEY, TABLES, batch_sync, differences, start_receiver, table_rows

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAYS = 30
LOOKBACK_DAYS = 1
START = NOW - timedelta(days=10)


@pytest.mark.slow
def test_batch_plus_webhooks_equals_ground_truth_where_batch_alone_misses(tmp_path):
    settings = SandboxSettings(
        seed=21,
        scale="small",
        now=NOW,
        rate_limit_per_minute=1_000_000,
        webhook_retry_delays=(0.05, 0.1, 0.2),
    )
    journal = tmp_path / "journal"
    batch_only, combined = tmp_path / "batch.duckdb", tmp_path / "combined.duckdb"
    with Sandbox(settings) as sandbox:
        # the sandbox signs each attempt with the wall clock, as Calendly does: the
        # receiver checks t against its own clock, months away from the sandbox's
        receiver = start_receiver(journal, time.time)
        try:
            with CalendlyClient.from_settings(
                {"api_url": sandbox.url, "personal_access_token": sandbox.admin_token}
            ) as client:
                subscribe(
                    client,
                    journal,
                    url=receiver.url,
                    events=ORGANIZATION_EVENTS,
                    scope="organization",
                    signing_key=KEY,
                    key_given=True,
                )

            def sync(state):
                return batch_sync(
                    sandbox,
                    [batch_only, combined],
                    state,
                    tmp_path,
                    start_date=START,
                    lookback_days=LOOKBACK_DAYS,
                )

            state = sync(None)
            for _day in range(DAYS):
                for _hour in range(24):
                    sandbox.advance(timedelta(hours=1))
                    assert sandbox.wait_for_webhooks(timeout=30)
                state = sync(state)
                apply_journal(journal, combined)
            truth = {
                name: {r["uri"]: r for r in records}
                for name, records in sandbox.ground_truth().items()
            }
            deliveries = sandbox.webhook_deliveries()
            final_now = sandbox.org.now()
        finally:
            receiver.stop()

    # every delivery was verified and acknowledged at the first attempt, and applied
    assert len(deliveries) > 500
    assert all(d.attempts == ["200"] for d in deliveries)
    assert receiver.app.stats.rejected == {}
    with Journal(journal) as opened:
        stored, pending = opened.counts()
    assert stored == len(deliveries)
    assert pending == 0
    kinds = {d.event for d in deliveries}
    assert {"invitee.created", "invitee.canceled", "invitee_no_show.created"} <= kinds

    # batch plus webhooks: every row equals the ground truth
    for table in TABLES:
        rows = table_rows(combined, table)
        wrong = {uri: differences(row, truth[table][uri]) for uri, row in rows.items()}
        assert {uri: cols for uri, cols in wrong.items() if cols} == {}, table
    # ... and nothing synced or delivered is missing
    synced_events = {
        uri for uri, e in truth["scheduled_events"].items() if parse_ts(e["start_time"]) >= START
    }
    assert synced_events <= set(table_rows(combined, "scheduled_events"))

    # batch alone: stale rows, all of them changes to meetings before the lookback window
    invitees = table_rows(batch_only, "event_invitees")
    stale = {
        uri: differences(row, truth["event_invitees"][uri])
        for uri, row in invitees.items()
        if differences(row, truth["event_invitees"][uri])
    }
    assert stale, "batch-only should have missed changes to older meetings"
    assert "no_show" in {col for cols in stale.values() for col in cols}
    events = truth["scheduled_events"]
    window = final_now - timedelta(days=LOOKBACK_DAYS)
    for uri in stale:
        assert parse_ts(events[truth["event_invitees"][uri]["event"]]["start_time"]) < window
    # ... which batch plus webhooks got right
    combined_invitees = table_rows(combined, "event_invitees")
    for uri in stale:
        assert differences(combined_invitees[uri], truth["event_invitees"][uri]) == []
