"""Full sync, then days of changes with incremental syncs: the merged output must equal
the sandbox's ground truth for everything the re-read window can see, including
cancellations, reschedules and no-shows; state stays O(streams)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tap_calendly.windows import incremental_window_start, parse_datetime

FULL_TABLE = (
    "organization_memberships",
    "organization_invitations",
    "groups",
    "event_types",
    "routing_forms",
    "webhook_subscriptions",
    "user_availability_schedules",
)
LOOKBACK_DAYS = 30


def strip_observed(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "observed_at"}


def merge(merged: dict[str, dict[str, dict]], result: Any) -> None:
    for stream, rows in result.records.items():
        table = merged.setdefault(stream, {})
        for row in rows:
            if "uri" in row:
                table[row["uri"]] = row


def check_against_truth(
    truth: dict[str, list[dict]],
    last: Any,
    merged: dict[str, dict[str, dict]],
    window: Any,
) -> dict[str, int]:
    checked: dict[str, int] = {}
    # Full-table streams: the latest run is the whole truth (deletions included).
    for stream in FULL_TABLE:
        mine = {uri: strip_observed(r) for uri, r in last.by_uri(stream).items()}
        assert mine == {r["uri"]: r for r in truth[stream]}, stream
        checked[stream] = len(mine)
    # Users: /users/me in full, members as embedded in their membership.
    users = last.by_uri("users")
    assert set(users) == {r["uri"] for r in truth["users"]}
    for row in truth["users"]:
        assert users[row["uri"]].items() <= row.items(), row["uri"]
    # Events and invitees: exact inside the re-read window, present everywhere.
    cutoff = window.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if window else ""
    in_window = {e["uri"] for e in truth["scheduled_events"] if e["start_time"] >= cutoff}
    for event in truth["scheduled_events"]:
        assert event["uri"] in merged["scheduled_events"]
        if event["uri"] in in_window:
            assert merged["scheduled_events"][event["uri"]] == event
    checked["scheduled_events"] = len(in_window)
    invitees_checked = 0
    for invitee in truth["event_invitees"]:
        assert invitee["uri"] in merged["event_invitees"]
        if invitee["event"] in in_window:
            assert merged["event_invitees"][invitee["uri"]] == invitee
            invitees_checked += 1
    checked["event_invitees"] = invitees_checked
    for no_show in truth["invitee_no_shows"]:
        invitee = merged["event_invitees"][no_show["invitee"]]
        if invitee["event"] in in_window:
            assert (invitee.get("no_show") or {}).get("uri") == no_show["uri"]
    for row in truth["routing_form_submissions"]:
        assert row["uri"] in merged["routing_form_submissions"]
        if row["created_at"] >= cutoff:
            assert merged["routing_form_submissions"][row["uri"]] == row
    assert {r["uri"]: r for r in truth["activity_log_entries"]} == merged["activity_log_entries"]
    return checked


@pytest.mark.slow
def test_incremental_days_converge_to_ground_truth(make_sandbox, run_tap, tap_config):
    sandbox = make_sandbox(scale="small", seed=11)
    config = tap_config(sandbox, lookback_days=LOOKBACK_DAYS)
    merged: dict[str, dict[str, dict]] = {}
    result = run_tap(config)
    merge(merged, result)
    check_against_truth(sandbox.ground_truth(), result, merged, None)
    full_requests = result.tap.sync_context.client.transport.total_requests()

    changes: dict[str, int] = {}
    state = result.state
    for _ in range(3):
        for kind, count in sandbox.advance(timedelta(days=1)).items():
            changes[kind] = changes.get(kind, 0) + count
        bookmark = state["bookmarks"]["scheduled_events"]["replication_key_value"]
        window = incremental_window_start(
            start_date=None, bookmark=bookmark, lookback_days=LOOKBACK_DAYS
        )
        result = run_tap(config, state=state)
        merge(merged, result)
        checked = check_against_truth(sandbox.ground_truth(), result, merged, window)
        assert checked["scheduled_events"] > 0
        # An incremental day re-reads the window only: far cheaper than a full sync.
        assert result.tap.sync_context.client.transport.total_requests() < 0.6 * full_requests
        state = result.state
        # State is O(streams): one small entry per stream, never per event.
        assert set(state["bookmarks"]) <= set(result.tap.streams)
        assert all("partitions" not in entry for entry in state["bookmarks"].values())
        assert len(json.dumps(state)) < 150 * len(result.tap.streams)
        assert parse_datetime(bookmark) <= parse_datetime(
            state["bookmarks"]["scheduled_events"]["replication_key_value"]
        )
    # The days did change what the test checks.
    assert changes["cancellations"] > 0
    assert changes["reschedules"] > 0
    assert changes["no_shows"] > 0
