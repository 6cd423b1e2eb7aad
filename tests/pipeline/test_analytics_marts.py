"""The dbt marts on sandbox data, on DuckDB and on PostgreSQL, against plain-Python figures.

One sandbox org is synced by the real tap into a file of Singer messages; the same file is
loaded by each engine's loader (target-calendly-duckdb, PyPI target-postgres), `dbt build`
runs the models and their data tests there, and every mart is compared with numbers
recomputed from ``Sandbox.ground_truth()`` in tests/support/analytics_reference.py. "Now"
is the sandbox's clock, passed to dbt as CALENDLY_AS_OF, so has-started figures are exact.

One test per engine runs every ``check_*`` on its warehouse and reports all failing checks
together: a test item per check would let xdist build the same warehouse on both workers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tests.support import analytics_reference as ref
from tests.support.dbt import ENGINES, PROJECT, ROOT, dbt_env, installed, run_dbt
from tests.support.tap_run import sync_to_file
from tests.support.warehouse import Truth, Warehouse, ts

BIN = Path(sys.executable).parent
TARGET_POSTGRES = ROOT / ".meltano" / "loaders" / "target-postgres" / "venv" / "bin"
MART_STREAMS = (
    "users",
    "event_types",
    "scheduled_events",
    "event_invitees",
    "routing_forms",
    "routing_form_submissions",
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (installed() and (TARGET_POSTGRES / "target-postgres").exists()),
        reason="dbt and target-postgres are not installed; run `make meltano-install`",
    ),
]


@dataclass
class Synced:
    messages: Path
    truth: Truth
    as_of: datetime


@dataclass
class Marts:
    warehouse: Warehouse
    synced: Synced
    env: dict[str, str]
    run_results: dict[str, Any]

    @property
    def truth(self) -> Truth:
        return self.synced.truth

    def rows(self, sql: str) -> list[dict[str, Any]]:
        return self.warehouse.rows(sql)


def sync(work: Path) -> Synced:
    """One sandbox org through the real tap into a file of Singer messages, and its truth."""
    settings = SandboxSettings(seed=11, scale="small", rate_limit_per_minute=1_000_000)
    with Sandbox(settings) as sandbox:
        now = sync_to_file(sandbox, work / "messages.jsonl", days=3 * 365)
        truth = sandbox.ground_truth()
    return Synced(work / "messages.jsonl", truth, now)


def load(command: list[str], messages: Path) -> None:
    with messages.open("rb") as source:
        done = subprocess.run(command, stdin=source, capture_output=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]


def build(engine: str, synced: Synced, work: Path, request: pytest.FixtureRequest) -> Marts:
    """Load the messages with the engine's loader, then ``dbt build`` there."""
    config = work / "target.json"
    as_of = synced.as_of.strftime("%Y-%m-%dT%H:%M:%SZ")
    if engine == "duckdb":
        database = work / "warehouse.duckdb"
        config.write_text(json.dumps({"database": str(database), "schema": "calendly"}))
        load([str(BIN / "target-calendly-duckdb"), "--config", str(config)], synced.messages)
        warehouse = Warehouse("duckdb", duckdb_path=database)
        env = dbt_env(engine, work, as_of=as_of, duckdb_path=database)
    else:
        server = request.getfixturevalue("postgres")
        settings = {
            **server.connect_args(),
            "database": server.database,
            "default_target_schema": "calendly",
            "load_method": "upsert",
            "use_copy": True,
        }
        del settings["dbname"]  # target-postgres calls it database
        config.write_text(json.dumps(settings))
        load([str(TARGET_POSTGRES / "target-postgres"), "--config", str(config)], synced.messages)
        warehouse = Warehouse("postgres", postgres=server)
        env = dbt_env(engine, work, as_of=as_of, postgres=server)
    run_dbt(engine, ["build"], env)
    results = json.loads(Path(env["DBT_TARGET_PATH"], "run_results.json").read_text())
    return Marts(warehouse, synced, env, results)


def model_files(folder: str) -> set[str]:
    return {p.stem for p in (PROJECT / "models" / folder).glob("*.sql")}


# -- dbt itself ------------------------------------------------------------------------------


def check_every_model_was_built_and_every_data_test_passed(marts: Marts) -> None:
    results = marts.run_results["results"]
    built = {r["unique_id"].split(".")[-1] for r in results if r["unique_id"].startswith("model.")}
    assert built == model_files("staging") | model_files("marts")
    tests = [r for r in results if r["unique_id"].startswith("test.")]
    assert len(tests) > 60
    assert {r["status"] for r in results} <= {"success", "pass"}, [
        (r["unique_id"], r["status"], r.get("message"))
        for r in results
        if r["status"] not in {"success", "pass"}
    ]
    kinds = {r["unique_id"].split(".")[2].split("_")[0] for r in tests}
    assert {"unique", "not", "relationships", "accepted"} <= kinds


def check_marts_are_tables_and_staging_views_in_their_schemas(marts: Marts) -> None:
    rows = marts.rows(
        "SELECT table_schema, table_name, table_type FROM information_schema.tables "
        "WHERE table_schema IN ('analytics', 'analytics_staging')"
    )
    found = {(r["table_schema"], r["table_name"]): r["table_type"] for r in rows}
    assert {name for schema, name in found if schema == "analytics"} == model_files("marts")
    assert {name for schema, name in found if schema == "analytics_staging"} == model_files(
        "staging"
    )
    assert {t for (schema, _), t in found.items() if schema == "analytics"} == {"BASE TABLE"}
    assert {t for (schema, _), t in found.items() if schema == "analytics_staging"} == {"VIEW"}


def test_every_model_is_documented() -> None:
    documented: dict[str, str] = {}
    for path in (PROJECT / "models").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            documented[model["name"]] = model.get("description", "")
    marts = model_files("marts")
    assert set(documented) == marts | model_files("staging")
    assert all(documented[name] for name in marts)


def check_a_broken_reference_fails_the_data_tests(marts: Marts) -> None:
    """The data tests can fail: an invitee pointing at no event breaks a relationship."""
    victim = marts.rows("SELECT min(uri) AS uri FROM calendly.event_invitees")[0]["uri"]
    event = marts.rows(f"SELECT \"event\" FROM calendly.event_invitees WHERE uri = '{victim}'")[0]
    update = "UPDATE calendly.event_invitees SET \"event\" = {} WHERE uri = '{}'"
    write = marts.warehouse.execute
    write(update.format("'https://nowhere.example/scheduled_events/x'", victim))
    try:
        done = run_dbt(
            marts.warehouse.engine,
            ["test", "--select", "stg_calendly__event_invitees"],
            marts.env,
            check=False,
        )
    finally:
        write(update.format("'" + event["event"] + "'", victim))
    assert done.returncode != 0
    assert "FAIL 1 relationships_stg_calendly__event_invitees_event_uri" in done.stdout


# -- the synced tables -----------------------------------------------------------------------


def check_synced_tables_hold_the_sandbox_records(marts: Marts) -> None:
    for stream in MART_STREAMS:
        uris = {r["uri"] for r in marts.rows(f"SELECT uri FROM calendly.{stream}")}
        assert uris == {r["uri"] for r in marts.truth[stream]}, stream


# -- the marts against independent figures --------------------------------------------------


def check_bookings_weekly_by_event_type(marts: Marts) -> None:
    rows = marts.rows(
        "SELECT week, event_type_uri, meetings, canceled_meetings FROM analytics.bookings_weekly"
    )
    got = {(r["week"], r["event_type_uri"]): (r["meetings"], r["canceled_meetings"]) for r in rows}
    expected = ref.weekly(marts.truth)
    assert len(expected) > 50
    assert got == expected


def check_bookings_daily_by_event_type(marts: Marts) -> None:
    rows = marts.rows("SELECT day, event_type_uri, meetings FROM analytics.bookings_daily")
    got = {(r["day"], r["event_type_uri"]): r["meetings"] for r in rows}
    assert got == dict(ref.daily(marts.truth))


def check_bookings_made_by_booking_date(marts: Marts) -> None:
    for mart, bucket in (("daily", "day"), ("weekly", "week")):
        rows = marts.rows(
            f"SELECT {bucket}, event_type_uri, bookings, canceled, rescheduled "
            f"FROM analytics.bookings_made_{mart}"
        )
        expected = ref.bookings_made(marts.truth, bucket)
        assert sum(v[2] for v in expected.values()) > 0
        got = {
            (r[bucket], r["event_type_uri"]): (r["bookings"], r["canceled"], r["rescheduled"])
            for r in rows
        }
        assert got == expected, mart


def check_rates_match_ground_truth(marts: Marts) -> None:
    (got,) = marts.rows("SELECT * FROM analytics.rates")
    expected = ref.rates(marts.truth, marts.synced.as_of)
    assert expected["no_shows"] > 0
    assert expected["rescheduled_invitees"] > 0
    assert expected["canceled_invitees"] > 0
    assert 0 < expected["past_active_invitees"] < expected["invitees"]
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-9), key
    assert got["as_of"] == marts.synced.as_of


def check_event_type_stats_sum_to_totals(marts: Marts) -> None:
    rows = marts.rows("SELECT * FROM analytics.event_type_stats")
    by_type: dict[str, int] = {}
    for event in marts.truth["scheduled_events"]:
        by_type[event["event_type"]] = by_type.get(event["event_type"], 0) + 1
    assert {r["event_type_uri"]: r["meetings"] for r in rows} == by_type
    types = {t["uri"]: t for t in marts.truth["event_types"]}
    for row in rows:
        event_type = types[row["event_type_uri"]]
        assert row["event_type_name"] == event_type["name"]
        assert row["profile_name"] == (event_type["profile"] or {}).get("name")
    expected = ref.rates(marts.truth, marts.synced.as_of)
    assert sum(r["no_shows"] for r in rows) == expected["no_shows"]
    assert sum(r["rescheduled_invitees"] for r in rows) == expected["rescheduled_invitees"]


def check_host_load_matches_ground_truth(marts: Marts) -> None:
    rows = marts.rows("SELECT * FROM analytics.host_load")
    expected = ref.host_load(marts.truth, marts.synced.as_of)
    assert {r["host_uri"] for r in rows} == set(expected)
    names = ref.host_names(marts.truth)
    for row in rows:
        want = expected[row["host_uri"]]
        assert row["meetings"] == want["meetings"]
        assert row["canceled_meetings"] == want["canceled_meetings"]
        assert row["upcoming_meetings"] == want["upcoming"]
        assert row["meeting_hours"] == pytest.approx(want["meeting_hours"])
        assert row["host_name"] == names[row["host_uri"]]


def check_host_load_weekly_adds_up_to_host_load(marts: Marts) -> None:
    weekly = marts.rows(
        "SELECT host_uri, sum(meetings) AS meetings FROM analytics.host_load_weekly "
        "GROUP BY host_uri"
    )
    totals = marts.rows("SELECT host_uri, meetings FROM analytics.host_load")
    assert {r["host_uri"]: r["meetings"] for r in weekly} == {
        r["host_uri"]: r["meetings"] for r in totals if r["meetings"]
    }


def check_routing_conversion_matches_ground_truth(marts: Marts) -> None:
    rows = marts.rows("SELECT * FROM analytics.routing_conversion")
    expected = ref.routing(marts.truth)
    assert {r["routing_form_uri"]: (r["submissions"], r["booked_submissions"]) for r in rows} == (
        expected
    )
    for row in rows:
        total, booked = expected[row["routing_form_uri"]]
        assert row["conversion_rate"] == (pytest.approx(booked / total) if total else None)
    assert any(0 < b < t for t, b in expected.values())


def check_lead_time_per_meeting(marts: Marts) -> None:
    rows = marts.rows("SELECT event_uri, lead_time_hours, has_started FROM analytics.meetings")
    events = {e["uri"]: e for e in marts.truth["scheduled_events"]}
    assert len(rows) == len(events)
    for row in rows:
        event = events[row["event_uri"]]
        delta = ts(event["start_time"]) - ts(event["created_at"])
        assert row["lead_time_hours"] == pytest.approx(delta.total_seconds() / 3600)
        assert row["has_started"] == (ts(event["start_time"]) < marts.synced.as_of)


# -- nested arrays as rows, tracking columns -------------------------------------------------


def assert_one_row_each(marts: Marts, mart: str, columns: str, expected: set[Any]) -> None:
    """The mart's ``columns`` as tuples are exactly ``expected``, with no row twice."""
    names = [name.strip() for name in columns.split(",")]
    rows = marts.rows(f"SELECT {columns} FROM analytics.{mart}")
    got = [tuple(r[name] for name in names) for r in rows]
    assert len(got) == len(expected)
    assert set(got) == expected


def check_invitee_answers_one_row_per_answer(marts: Marts) -> None:
    expected = ref.invitee_answers(marts.truth)
    assert len(expected) > 1000
    assert_one_row_each(
        marts, "invitee_answers", "invitee_uri, position, question, answer", expected
    )


def check_hosts_one_row_per_meeting_and_host(marts: Marts) -> None:
    expected = ref.event_hosts(marts.truth)
    assert any(position > 0 for _, position, _ in expected)  # collective meetings exist
    assert_one_row_each(marts, "host_meetings", "event_uri, host_position, host_uri", expected)


def check_guests_one_row_per_meeting_and_guest(marts: Marts) -> None:
    expected = ref.event_guests(marts.truth)
    assert len(expected) > 100
    assert_one_row_each(
        marts, "event_guests", "event_uri, guest_position, guest_email, added_at", expected
    )


def check_routing_form_answers_one_row_per_answer(marts: Marts) -> None:
    expected = ref.routing_answers(marts.truth)
    assert len(expected) > 100
    assert_one_row_each(
        marts,
        "routing_form_answers",
        "submission_uri, position, question_uuid, question, answer",
        expected,
    )


def check_utm_tracking_columns(marts: Marts) -> None:
    columns = (*ref.UTM_FIELDS, "salesforce_uuid")
    rows = marts.rows(f"SELECT invitee_uri, {', '.join(columns)} FROM analytics.invitee_outcomes")
    got = {r["invitee_uri"]: tuple(r[c] for c in columns) for r in rows}
    expected = ref.invitee_tracking(marts.truth)
    assert sum(any(v) for v in expected.values()) > 100
    assert got == expected
    by_utm = marts.rows(
        "SELECT utm_source, utm_medium, utm_campaign, bookings FROM analytics.bookings_by_utm"
    )
    assert {
        (r["utm_source"], r["utm_medium"], r["utm_campaign"]): r["bookings"] for r in by_utm
    } == dict(ref.bookings_by_utm(marts.truth))


def check_days_and_weeks_are_dates(marts: Marts) -> None:
    (row,) = marts.rows("SELECT start_day, start_week FROM analytics.meetings LIMIT 1")
    assert type(row["start_day"]) is date
    assert row["start_week"].weekday() == 0


#: Every check, in order; the last one damages the source data and repairs it.
CHECKS = [
    check_every_model_was_built_and_every_data_test_passed,
    check_marts_are_tables_and_staging_views_in_their_schemas,
    check_synced_tables_hold_the_sandbox_records,
    check_bookings_weekly_by_event_type,
    check_bookings_daily_by_event_type,
    check_bookings_made_by_booking_date,
    check_rates_match_ground_truth,
    check_event_type_stats_sum_to_totals,
    check_host_load_matches_ground_truth,
    check_host_load_weekly_adds_up_to_host_load,
    check_routing_conversion_matches_ground_truth,
    check_lead_time_per_meeting,
    check_invitee_answers_one_row_per_answer,
    check_hosts_one_row_per_meeting_and_host,
    check_guests_one_row_per_meeting_and_guest,
    check_routing_form_answers_one_row_per_answer,
    check_utm_tracking_columns,
    check_days_and_weeks_are_dates,
    check_a_broken_reference_fails_the_data_tests,
]


def test_every_check_is_run() -> None:
    defined = {name for name in globals() if name.startswith("check_")}
    assert defined == {check.__name__ for check in CHECKS}
    assert CHECKS[-1] is check_a_broken_reference_fails_the_data_tests


@pytest.mark.parametrize("engine", ENGINES)
def test_marts_on_each_engine(
    engine: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> None:
    marts = build(
        engine, sync(tmp_path_factory.mktemp("sync")), tmp_path_factory.mktemp(engine), request
    )
    failures: dict[str, str] = {}
    for check in CHECKS:
        try:
            check(marts)
        except AssertionError as exc:
            failures[check.__name__] = str(exc)[:3000]
    assert not failures, "\n\n".join(f"{name}: {text}" for name, text in failures.items())
