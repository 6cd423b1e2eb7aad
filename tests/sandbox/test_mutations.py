"""The clock-driven mutator: realistic daily churn, deterministic, invariants kept."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tap_calendly.sandbox.export import ground_truth
from tap_calendly.sandbox.generator import generate_org
from tap_calendly.sandbox.mutations import COUNT_KEYS, advance
from tap_calendly.sandbox.store import COLLECTIONS, Record, SandboxOrg, format_ts, parse_ts
from tests.support import org_checks
from tests.support.spec_schema import RecordValidator

SPEC = Path(__file__).resolve().parents[2] / ".." / "shared" / "calendly-api" / "openapi.yaml"
BASE = "http://127.0.0.1:9002"
NOW = datetime(2026, 8, 1, 6, 0, tzinfo=UTC)
DAYS = 3


def _snapshot(org: SandboxOrg) -> dict[str, dict[str, Record]]:
    return {name: {r["uri"]: r for r in records} for name, records in ground_truth(org).items()}


@pytest.fixture(scope="module")
def run() -> tuple[dict[str, dict[str, Record]], SandboxOrg, list[dict[str, int]], Counter[str]]:
    """A small org before and after three simulated days (one advance per day)."""
    org = generate_org(5, "small", BASE, NOW)
    before = _snapshot(org)
    webhooks: Counter[str] = Counter()
    org.listeners.append(lambda event, _payload: webhooks.update([event]))
    days = [advance(org, timedelta(days=1)) for _ in range(DAYS)]
    return before, org, days, webhooks


def test_clock_moved_and_counts_reported(run) -> None:
    _, org, days, _ = run
    assert org.now() == NOW + timedelta(days=DAYS)
    for counts in days:
        assert set(counts) == set(COUNT_KEYS)
        assert 5 <= counts["bookings"] <= 80
    total = Counter()
    for counts in days:
        total.update(counts)
    for kind in ("cancellations", "reschedules", "no_shows", "routing_form_submissions"):
        assert total[kind] > 0, kind
    assert total["activity_log_entries"] > 0


def test_each_day_sees_cancellations_reschedules_or_no_shows(run) -> None:
    _, _, days, _ = run
    for counts in days:
        assert counts["cancellations"] + counts["reschedules"] + counts["no_shows"] >= 3


def test_counts_match_the_records(run) -> None:
    before, org, days, _ = run
    after = _snapshot(org)
    new_no_shows = set(after["invitee_no_shows"]) - set(before["invitee_no_shows"])
    made = sum(d["no_shows"] for d in days)
    removed = sum(d["no_shows_removed"] for d in days)
    assert len(new_no_shows) >= made - removed
    new_invitees = [u for u in after["event_invitees"] if u not in before["event_invitees"]]
    assert len(new_invitees) == sum(d["bookings"] + d["reschedules"] for d in days)
    reschedules = [u for u in new_invitees if after["event_invitees"][u]["old_invitee"]]
    assert len(reschedules) == sum(d["reschedules"] for d in days)


def test_invariants_hold_after_advancing(run) -> None:
    _, org, _, _ = run
    assert org_checks.integrity_problems(org) == []
    assert org_checks.time_problems(org) == []


def test_updated_at_monotonic_and_bumped_on_change(run) -> None:
    before, org, _, _ = run
    after = _snapshot(org)
    changed = 0
    for name in COLLECTIONS:
        for uri, old in before[name].items():
            new = after[name].get(uri)
            if new is None or "updated_at" not in old:
                continue
            assert new["updated_at"] >= old["updated_at"], uri
            if new != old:
                changed += 1
                assert new["updated_at"] > old["updated_at"], f"{uri} changed without a bump"
    assert changed > 10


def test_changed_and_new_records_match_the_spec(run) -> None:
    before, org, _, _ = run
    validator = RecordValidator(SPEC)
    after = _snapshot(org)
    problems: list[str] = []
    for name in COLLECTIONS:
        for uri, record in after[name].items():
            if before[name].get(uri) != record:
                problems += validator.collection_errors(name, record)
    for blocks in org.external_busy.values():
        for block in blocks[-3:]:
            problems += validator.errors("UserBusyTime", block)
    assert problems == []


def test_future_events_from_long_ago_get_canceled(run) -> None:
    before, org, _, _ = run
    after = _snapshot(org)
    newly_canceled = [
        e
        for uri, e in after["scheduled_events"].items()
        if e["status"] == "canceled"
        and before["scheduled_events"].get(uri, {}).get("status") == "active"
    ]
    assert newly_canceled
    assert any(
        parse_ts(e["updated_at"]) - parse_ts(e["created_at"]) > timedelta(days=7)
        for e in newly_canceled
    )
    assert all(e["start_time"] > e["updated_at"] for e in newly_canceled)


def test_new_bookings_span_next_days_to_90_days(run) -> None:
    before, org, _, _ = run
    after = _snapshot(org)
    new_events = [
        e for u, e in after["scheduled_events"].items() if u not in before["scheduled_events"]
    ]
    leads = [parse_ts(e["start_time"]) - parse_ts(e["created_at"]) for e in new_events]
    assert min(leads) < timedelta(days=3)
    assert max(leads) > timedelta(days=30)
    assert max(leads) <= timedelta(days=91)


def test_no_shows_marked_within_14_days_after_the_event(run) -> None:
    before, org, _, _ = run
    c = org.collections
    new_marks = [m for u, m in c["invitee_no_shows"].items() if u not in before["invitee_no_shows"]]
    assert new_marks
    for mark in new_marks:
        event = c["scheduled_events"][c["event_invitees"][mark["invitee"]]["event"]]
        end = parse_ts(event["end_time"])
        assert end <= parse_ts(mark["created_at"]) <= end + timedelta(days=14)


def test_webhooks_fired_for_changes(run) -> None:
    _, _, days, webhooks = run
    assert webhooks["invitee.created"] >= sum(d["bookings"] + d["reschedules"] for d in days)
    assert webhooks["invitee.canceled"] >= sum(d["cancellations"] + d["reschedules"] for d in days)
    assert webhooks["invitee_no_show.created"] == sum(d["no_shows"] for d in days)
    assert webhooks["routing_form_submission.created"] == sum(
        d["routing_form_submissions"] for d in days
    )


def test_deterministic_for_seed_start_and_advances() -> None:
    def play(seed: int) -> dict[str, list[Record]]:
        org = generate_org(seed, "small", BASE, NOW)
        advance(org, timedelta(hours=10))
        advance(org, timedelta(hours=14, minutes=30))
        return ground_truth(org)

    first = play(9)
    assert play(9) == first
    assert play(10)["scheduled_events"] != first["scheduled_events"]


def test_partial_steps_and_zero_delta() -> None:
    org = generate_org(2, "small", BASE, NOW)
    counts = advance(org, timedelta(seconds=0))
    assert sum(counts.values()) == 0
    advance(org, timedelta(minutes=90))
    assert org.now_ts() == format_ts(NOW + timedelta(minutes=90))
    with pytest.raises(ValueError, match="forward"):
        advance(org, timedelta(seconds=-1))


def test_membership_churn_over_weeks() -> None:
    org = generate_org(4, "small", BASE, NOW)
    total: Counter[str] = Counter()
    for _ in range(3):
        total.update(advance(org, timedelta(days=7)))
    assert total["invitations"] > 0
    assert total["members_joined"] + total["members_left"] > 0
    assert org_checks.integrity_problems(org) == []
    roles = Counter(m["role"] for m in org.collections["organization_memberships"].values())
    assert roles["owner"] == 1
    assert roles["user"] >= 1


def test_reconfirmations_requested_a_day_ahead_then_confirmed(run) -> None:
    before, org, days, _ = run
    assert sum(d["reconfirmations"] for d in days) > 0
    requested = confirmed = 0
    for uri, invitee in org.collections["event_invitees"].items():
        mark = invitee["reconfirmation"]
        old = before["event_invitees"].get(uri)
        if mark is None or old is None or old["reconfirmation"] == mark:
            continue
        start = parse_ts(org.collections["scheduled_events"][invitee["event"]]["start_time"])
        asked = parse_ts(mark["created_at"])
        if old["reconfirmation"] is None:
            requested += 1
            assert start - timedelta(hours=25) < asked <= start - timedelta(hours=23)
        if mark["confirmed_at"] is not None:
            confirmed += 1
            assert asked < parse_ts(mark["confirmed_at"]) < start
        assert invitee["updated_at"] > old["updated_at"]
    assert requested + confirmed > 0
