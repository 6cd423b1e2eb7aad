"""The synthetic organization: deterministic, spec-shaped, internally consistent, varied."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tap_calendly.sandbox import data_records
from tap_calendly.sandbox.export import ground_truth, write_jsonl
from tap_calendly.sandbox.generator import SCALES, generate_org
from tap_calendly.sandbox.store import COLLECTIONS, SandboxOrg, format_ts, parse_ts
from tests.support import org_checks
from tests.support.spec_schema import RecordValidator

SPEC = Path(__file__).resolve().parents[2] / ".." / "shared" / "calendly-api" / "openapi.yaml"
BASE = "http://127.0.0.1:8765"
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def org() -> SandboxOrg:
    return generate_org(7, "small", BASE, NOW)


@pytest.fixture(scope="module")
def validator() -> RecordValidator:
    return RecordValidator(SPEC)


def test_same_seed_same_org_and_other_seed_differs(org: SandboxOrg) -> None:
    again = generate_org(7, "small", BASE, NOW)
    assert ground_truth(again) == ground_truth(org)
    assert again.external_busy == org.external_busy
    assert again.signing_keys == org.signing_keys
    assert again.owner_uri == org.owner_uri
    other = ground_truth(generate_org(8, "small", BASE, NOW))
    assert other["scheduled_events"] != ground_truth(org)["scheduled_events"]
    assert other["users"] != ground_truth(org)["users"]


def test_org_does_not_depend_on_the_port(org: SandboxOrg) -> None:
    """The sandbox binds a random port, so seed 7 must mean the same org on any port."""
    from tap_calendly.sandbox.mutations import advance

    def shape(base: str) -> str:
        other = generate_org(7, "small", base, NOW)
        advance(other, timedelta(days=1))
        text = json.dumps(ground_truth(other), sort_keys=True)
        return text.replace(base, "BASE")

    assert shape("http://127.0.0.1:1111") == shape("http://127.0.0.1:2222")


def test_small_scale_sizes(org: SandboxOrg) -> None:
    c = org.collections
    scale = SCALES["small"]
    assert len(c["users"]) == scale.users == 10
    assert scale.events <= len(c["scheduled_events"]) <= scale.events * 1.15
    assert (
        1.5 * len(c["scheduled_events"])
        <= len(c["event_invitees"])
        <= 3 * len(c["scheduled_events"])
    )
    for name in COLLECTIONS:
        assert c[name], f"{name} is empty"
    assert all(org.external_busy.get(u) for u in c["users"])
    assert org.organization["plan"] == "enterprise"


def test_unknown_scale_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown scale"):
        generate_org(1, "huge", BASE, NOW)


def test_every_record_matches_its_spec_schema(org: SandboxOrg, validator: RecordValidator) -> None:
    problems: Counter[str] = Counter()
    for name in COLLECTIONS:
        for record in org.collections[name].values():
            problems.update(validator.collection_errors(name, record))
    problems.update(validator.errors("Organization", org.organization))
    for blocks in org.external_busy.values():
        for block in blocks:
            problems.update(validator.errors("UserBusyTime", block))
    assert not problems, problems.most_common(10)


def test_validator_rejects_misspelt_and_missing_fields(
    org: SandboxOrg, validator: RecordValidator
) -> None:
    event = dict(next(iter(org.collections["scheduled_events"].values())))
    event["stauts"] = "active"
    assert any("stauts" in e for e in validator.collection_errors("scheduled_events", event))
    invitee = dict(next(iter(org.collections["event_invitees"].values())))
    del invitee["no_show"]
    assert any("no_show" in e for e in validator.collection_errors("event_invitees", invitee))


def test_references_and_counters_are_consistent(org: SandboxOrg) -> None:
    assert org_checks.integrity_problems(org) == []


def test_timestamps_format_and_order(org: SandboxOrg) -> None:
    assert org_checks.time_problems(org) == []
    events = list(org.collections["scheduled_events"].values())
    starts = sorted(parse_ts(e["start_time"]) for e in events)
    assert starts[0] < NOW - timedelta(days=700)
    assert NOW + timedelta(days=60) < starts[-1] <= NOW + timedelta(days=91)
    assert sum(1 for s in starts if s > NOW) > 50
    leads = sorted(parse_ts(e["start_time"]) - parse_ts(e["created_at"]) for e in events)
    median = leads[len(leads) // 2]
    assert timedelta(hours=2) < median < timedelta(days=21)
    assert leads[-1] > timedelta(days=14)
    assert leads[0] < timedelta(days=1)


def test_varied_data(org: SandboxOrg) -> None:
    c = org.collections
    events = list(c["scheduled_events"].values())
    invitees = list(c["event_invitees"].values())
    kinds = {e["location"]["type"] for e in events if e["location"]}
    assert kinds == set(data_records.LOCATION_KINDS)
    assert any(e["location"] is None for e in events)
    assert {e["status"] for e in events} == {"active", "canceled"}
    assert any(
        m.get("user_email") and m.get("user_name") for e in events for m in e["event_memberships"]
    )
    assert any(e["event_guests"] for e in events)
    assert any(e["calendar_event"] is None for e in events)
    assert any(e["invitees_counter"]["active"] > 3 for e in events)
    # group events where one invitee canceled and the event stays active
    assert any(
        e["status"] == "active"
        and 0 < e["invitees_counter"]["active"] < e["invitees_counter"]["total"]
        for e in events
    )
    names = {i["name"] for i in invitees}
    assert any(not n.isascii() for n in names)
    assert any("渡辺" in n for n in names)
    assert any("José" in n or "Łukasz" in n for n in names)
    zones = {i["timezone"] for i in invitees}
    assert {"America/Sao_Paulo", "Asia/Kolkata", "Asia/Kathmandu", None} <= zones
    assert any(i["payment"] for i in invitees)
    assert any(i["payment"] is None for i in invitees)
    assert any(i["reconfirmation"] for i in invitees)
    assert any(i["tracking"]["utm_source"] for i in invitees)
    assert any(i["questions_and_answers"] for i in invitees)
    assert any(i["first_name"] is None for i in invitees)
    assert any(i["first_name"] is not None for i in invitees)
    assert any(i["rescheduled"] for i in invitees)
    assert any(i["old_invitee"] for i in invitees)
    assert any(i["no_show"] for i in invitees)
    assert any(i["routing_form_submission"] for i in invitees)
    types = list(c["event_types"].values())
    assert {t["kind"] for t in types} == {"solo", "group"}
    assert {t["pooling_type"] for t in types} == {None, "round_robin", "collective"}
    assert {t["active"] for t in types} == {True, False}
    assert {t["admin_managed"] for t in types} == {True, False}
    assert {t["type"] for t in types} == {"StandardEventType", "AdhocEventType"}
    assert any(t["custom_questions"] for t in types)
    roles = Counter(m["role"] for m in c["organization_memberships"].values())
    assert roles["owner"] == 1
    assert roles["admin"] >= 1
    assert roles["user"] >= 1
    statuses = {i["status"] for i in c["organization_invitations"].values()}
    assert statuses == {"pending", "accepted", "declined"}
    hooks = list(c["webhook_subscriptions"].values())
    assert {h["scope"] for h in hooks} == {"organization", "user"}
    assert {h["state"] for h in hooks} == {"active", "disabled"}
    results = {s.get("result", {}).get("type") for s in c["routing_form_submissions"].values()}
    assert {"event_type", "external_url", "custom_message"} <= results
    assert any(s["submitter"] is None for s in c["routing_form_submissions"].values())
    actors = {e.get("actor", {}).get("type") for e in c["activity_log_entries"].values()}
    assert {"User", "System"} <= actors
    rules = [r for s in c["user_availability_schedules"].values() for r in s["rules"]]
    assert {r["type"] for r in rules} == {"wday", "date"}


def test_no_shows_follow_their_event_within_14_days(org: SandboxOrg) -> None:
    c = org.collections
    for mark in c["invitee_no_shows"].values():
        invitee = c["event_invitees"][mark["invitee"]]
        end = parse_ts(c["scheduled_events"][invitee["event"]]["end_time"])
        assert end < parse_ts(mark["created_at"]) <= end + timedelta(days=14, minutes=20)


def test_ground_truth_is_sorted_deep_copy(org: SandboxOrg) -> None:
    truth = ground_truth(org)
    assert list(truth) == list(COLLECTIONS)
    uris = [r["uri"] for r in truth["scheduled_events"]]
    assert uris == sorted(uris)
    truth["scheduled_events"][0]["invitees_counter"]["total"] = -1
    assert org.collections["scheduled_events"][uris[0]]["invitees_counter"]["total"] >= 0


def test_write_jsonl(org: SandboxOrg, tmp_path: Path) -> None:
    counts = write_jsonl(org, tmp_path / "out")
    assert counts == {name: len(org.collections[name]) for name in COLLECTIONS}
    lines = (tmp_path / "out" / "event_invitees.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == counts["event_invitees"]
    first = json.loads(lines[0])
    assert first == org.collections["event_invitees"][first["uri"]]


def test_clock_and_org_identity(org: SandboxOrg) -> None:
    assert org.now_ts() == format_ts(NOW)
    assert org.owner_uri in org.collections["users"]
    assert org.organization["uri"].startswith(BASE + "/organizations/")
    assert all(uri.startswith(BASE + "/users/") for uri in org.collections["users"])


def test_checks_detect_broken_records() -> None:
    broken = generate_org(3, "small", BASE, NOW)
    c = broken.collections
    invitee = next(i for i in c["event_invitees"].values() if i["old_invitee"])
    invitee["old_invitee"] = None
    event = next(iter(c["scheduled_events"].values()))
    event["invitees_counter"]["total"] += 1
    event["updated_at"] = "2000-01-01T00:00:00.000000Z"
    problems = org_checks.integrity_problems(broken)
    assert any("invitees_counter" in p for p in problems)
    assert any("new_invitee does not link back" in p for p in problems)
    assert any("created_at after updated_at" in p for p in org_checks.time_problems(broken))


_DIGEST_SCRIPT = """
import hashlib, orjson
from datetime import datetime, UTC, timedelta
from tap_calendly.sandbox.generator import generate_org
from tap_calendly.sandbox.mutations import advance
from tap_calendly.sandbox.export import ground_truth
org = generate_org(7, "small", "http://127.0.0.1:8765", datetime(2026, 3, 15, 12, 0, tzinfo=UTC))
advance(org, timedelta(hours=30))
print(hashlib.sha256(orjson.dumps(ground_truth(org))).hexdigest())
"""


def test_output_does_not_depend_on_hash_randomisation() -> None:
    digests = {
        subprocess.run(
            [sys.executable, "-c", _DIGEST_SCRIPT],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }
    assert len(digests) == 1
    assert len(digests.pop()) == 64


def test_some_people_book_more_than_once(org: SandboxOrg) -> None:
    emails = Counter(i["email"] for i in org.collections["event_invitees"].values())
    repeat = [e for e, n in emails.items() if n > 2]
    assert len(repeat) > 10


def test_history_follows_the_live_reconfirmation_rule(org: SandboxOrg) -> None:
    """History and the live clock share one rule: a request 24 hours before the start,
    a reply after the invitee's fixed delay (or never)."""
    seen = 0
    for invitee in org.collections["event_invitees"].values():
        reconfirmation = invitee["reconfirmation"]
        if reconfirmation is None:
            continue
        event = org.collections["scheduled_events"][invitee["event"]]
        asked = parse_ts(reconfirmation["created_at"])
        assert asked == parse_ts(event["start_time"]) - data_records.RECONFIRM_LEAD
        assert invitee["created_at"] <= reconfirmation["created_at"]
        delay = data_records.reconfirm_delay(invitee["uri"])
        if reconfirmation["confirmed_at"] is not None:
            assert delay is not None
            assert parse_ts(reconfirmation["confirmed_at"]) == asked + delay
            seen += 1
    assert seen > 10
