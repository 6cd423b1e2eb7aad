"""data-compliance delete-invitees / delete-events: Calendly's side and the DuckDB copy."""

from __future__ import annotations

import shutil

import pytest

from tests.support.loader import held_open
from tests.support.sandbox_config import reconfigured

from . import warehouse

EVENTS_PATH = "POST /data_compliance/deletion/events"
INVITEES_PATH = "POST /data_compliance/deletion/invitees"


@pytest.fixture(scope="module")
def loaded(sandbox, tmp_path_factory):
    """The module sandbox synced into DuckDB by the tap and the loader (once)."""
    work = tmp_path_factory.mktemp("warehouse")
    return warehouse.load(sandbox, work / "calendly_test.duckdb", work)


@pytest.fixture
def database(loaded, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(loaded, copy)
    return copy


def submitter(sandbox):
    """An invitee who also submitted a routing form (so a dependent row exists)."""
    invitee_uris = {s["submitter"] for s in sandbox.org.records("routing_form_submissions")}
    return next(
        i
        for i in sorted(sandbox.org.records("event_invitees"), key=lambda i: i["uri"])
        if i["uri"] in invitee_uris and i["email"].startswith("s")
    )


def guest_email(sandbox):
    return sorted(
        g["email"] for e in sandbox.org.records("scheduled_events") for g in e["event_guests"]
    )[3]


def test_delete_invitees_in_calendly(cli, sandbox, sent):
    person = submitter(sandbox)
    result = cli("data-compliance", "delete-invitees", person["email"].upper(), "--yes")
    assert result.code == 0, result.err
    assert result.json["status"] == "accepted"
    assert sent(INVITEES_PATH) == 1
    left = [i for i in sandbox.org.records("event_invitees") if i["email"] == person["email"]]
    assert left == []


def test_delete_invitees_is_checked_first(cli, sent, tmp_path):
    bad = cli("data-compliance", "delete-invitees", "someone@example.com", "nope", "--yes")
    assert bad.code == 2
    assert "'nope' is not an e-mail address" in bad.error_line
    missing = cli(
        "data-compliance", "delete-invitees", "someone@example.com", "--duckdb",
        str(tmp_path / "absent.duckdb"), "--yes",
    )  # fmt: skip
    assert missing.code == 2
    assert "no such database file" in missing.error_line
    unconfirmed = cli("data-compliance", "delete-invitees", "someone@example.com")
    assert unconfirmed.code == 2
    assert sent(INVITEES_PATH) == 0


def test_data_compliance_needs_enterprise(cli, sandbox):
    with reconfigured(sandbox, plan="teams"):
        result = cli("data-compliance", "delete-invitees", "someone@example.com", "--yes")
    assert result.code == 3
    assert "403 Permission Denied: Please upgrade your Calendly account to Enterprise." in (
        result.error_line
    )


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2027-01-01T00:00:00Z", "2029-01-02T00:00:00Z", "at most 24 months"),
        ("2029-02-01T00:00:00Z", "2029-01-01T00:00:00Z", "must be after"),
        ("2029-12-01T00:00:00Z", "2030-02-01T00:00:00Z", "must be in the past"),
        ("yesterday", "2029-01-01T00:00:00Z", "ISO 8601"),
    ],
)
def test_delete_events_range_is_checked_before_sending(cli, sent, start, end, message):
    result = cli(
        "data-compliance", "delete-events", "--start-time", start, "--end-time", end, "--yes"
    )
    assert result.code == 2
    assert message in result.error_line
    assert sent(EVENTS_PATH) == 0


def test_delete_events_in_calendly(cli, sandbox, sent):
    lo, hi = "2029-03-01T00:00:00.000000Z", "2029-03-08T00:00:00.000000Z"
    doomed = [
        e["uri"] for e in sandbox.org.records("scheduled_events") if lo <= e["start_time"] < hi
    ]
    assert doomed
    result = cli("data-compliance", "delete-events", "--start-time", lo, "--end-time", hi, "--yes")
    assert result.code == 0, result.err
    assert result.json["request"] == {"start_time": lo, "end_time": hi}
    assert sent(EVENTS_PATH) == 1
    assert all(sandbox.org.get("scheduled_events", uri) is None for uri in doomed)


def test_duckdb_erasure_removes_every_trace_and_nothing_else(cli, sandbox, database):
    person = submitter(sandbox)
    guest = guest_email(sandbox)
    invitee_uris = [
        i["uri"] for i in sandbox.org.records("event_invitees") if i["email"] == person["email"]
    ]
    before = warehouse.dump(database)
    assert warehouse.holding(before, person["email"])
    assert "calendly.scheduled_events" in warehouse.holding(before, guest)

    result = cli(
        "data-compliance", "delete-invitees", person["email"], guest.upper(), "--duckdb",
        str(database), "--yes",
    )  # fmt: skip
    assert result.code == 0, result.err
    after = warehouse.dump(database)
    for email in (person["email"], guest):
        assert warehouse.holding(after, email) == {}, email
    removed = {t: before[t] - after[t] for t in before}
    for table, rows in after.items():
        assert rows <= before[table], f"{table}: a row changed"
    counted = {t: len(rows) for t, rows in removed.items() if rows}
    assert result.json["duckdb"]["deleted"] == counted
    assert counted["calendly.event_invitees"] == len(invitee_uris)
    for rows in removed.values():
        for row in rows:
            text = row.lower()
            holds_email = person["email"] in text or guest.lower() in text
            assert holds_email or any(uri in row for uri in invitee_uris), row[:200]


def test_duckdb_erasure_dry_run_and_no_api(cli, sandbox, database, sent):
    person = sorted(sandbox.org.records("event_invitees"), key=lambda i: i["uri"])[-1]
    before = warehouse.dump(database)
    dry = cli(
        "data-compliance", "delete-invitees", person["email"], "--duckdb", str(database),
        "--dry-run",
    )  # fmt: skip
    assert dry.code == 0, dry.err
    assert dry.json["duckdb"]["would_delete"]["calendly.event_invitees"] >= 1
    assert warehouse.dump(database) == before
    assert sent(INVITEES_PATH) == 0

    local = cli(
        "data-compliance", "delete-invitees", person["email"], "--duckdb", str(database),
        "--no-api", "--yes",
    )  # fmt: skip
    assert local.code == 0, local.err
    assert "status" not in local.json
    assert sent(INVITEES_PATH) == 0
    assert warehouse.holding(warehouse.dump(database), person["email"]) == {}
    assert sandbox.org.get("event_invitees", person["uri"]) is not None


def test_duckdb_erasure_of_events_takes_invitees_and_their_submissions(cli, sandbox, database):
    lo, hi = "2028-06-01T00:00:00.000000Z", "2028-09-01T00:00:00.000000Z"
    rows_in_range = warehouse.query(
        database,
        "SELECT count(*) FROM calendly.scheduled_events WHERE start_time >= ?::TIMESTAMPTZ "
        "AND start_time < ?::TIMESTAMPTZ",
        lo,
        hi,
    )[0][0]
    assert rows_in_range > 0
    invitees_in_range = warehouse.query(
        database,
        "SELECT i.uri FROM calendly.event_invitees i JOIN calendly.scheduled_events e "
        "ON i.event = e.uri WHERE e.start_time >= ?::TIMESTAMPTZ AND e.start_time < ?::TIMESTAMPTZ",
        lo,
        hi,
    )
    submissions = warehouse.query(
        database,
        "SELECT count(*) FROM calendly.routing_form_submissions WHERE submitter IN "
        "(SELECT unnest(?::VARCHAR[]))",
        [u for (u,) in invitees_in_range],
    )[0][0]
    before_total = warehouse.query(database, "SELECT count(*) FROM calendly.scheduled_events")[0][0]

    result = cli(
        "data-compliance", "delete-events", "--start-time", lo, "--end-time", hi, "--duckdb",
        str(database), "--yes",
    )  # fmt: skip
    assert result.code == 0, result.err
    deleted = result.json["duckdb"]["deleted"]
    assert deleted["calendly.scheduled_events"] == rows_in_range
    assert deleted["calendly.event_invitees"] == len(invitees_in_range)
    assert deleted.get("calendly.routing_form_submissions", 0) == submissions
    left = warehouse.query(database, "SELECT count(*) FROM calendly.scheduled_events")[0][0]
    assert left == before_total - rows_in_range
    orphans = warehouse.query(
        database,
        "SELECT count(*) FROM calendly.event_invitees i WHERE NOT EXISTS "
        "(SELECT 1 FROM calendly.scheduled_events e WHERE e.uri = i.event)",
    )[0][0]
    assert orphans == 0


def test_a_database_held_by_a_load_stops_the_command_before_anything_is_sent(cli, database, sent):
    with held_open(database):
        result = cli(
            "data-compliance", "delete-invitees", "someone@example.com", "--duckdb",
            str(database), "--yes",
        )  # fmt: skip
    assert result.code == 1
    assert "in use by another process" in result.error_line
    assert sent(INVITEES_PATH) == 0
