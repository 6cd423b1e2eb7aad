"""The dbt project on small hand-built DuckDB tables: partial syncs and bad settings.

The full marts are checked against ground truth in test_analytics_marts.py; these cases
need no sandbox: what a user who synced only some streams can build, and the one-line
errors for a missing stream, a DuckDB file named like the schema, and a bad as_of.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.support.dbt import dbt_env, installed, run_dbt

pytestmark = pytest.mark.skipif(
    not installed(), reason="dbt is not installed; run `make meltano-install`"
)


def events_and_users(path: Path) -> Path:
    """Only scheduled_events and users, as target-calendly-duckdb would have typed them."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA calendly")
        con.execute(
            "CREATE TABLE calendly.scheduled_events (uri VARCHAR, name VARCHAR,"
            " meeting_notes_plain VARCHAR, status VARCHAR, start_time TIMESTAMPTZ,"
            " end_time TIMESTAMPTZ, event_type VARCHAR, location JSON, invitees_counter JSON,"
            " created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ, event_memberships JSON,"
            " event_guests JSON, cancellation JSON, calendar_event JSON)"
        )
        con.execute(
            "CREATE TABLE calendly.users (uri VARCHAR, name VARCHAR, slug VARCHAR, email VARCHAR,"
            " scheduling_url VARCHAR, timezone VARCHAR, avatar_url VARCHAR, locale VARCHAR,"
            " time_notation VARCHAR, resource_type VARCHAR, created_at TIMESTAMPTZ,"
            " updated_at TIMESTAMPTZ, current_organization VARCHAR)"
        )
        con.execute(
            "INSERT INTO calendly.scheduled_events (uri, name, status, start_time, end_time,"
            " event_type, created_at, event_memberships, cancellation) VALUES"
            " ('e1', 'Intro', 'active', '2026-01-05 10:00Z', '2026-01-05 10:45Z', 't1',"
            ' \'2026-01-01 10:00Z\', \'[{"user": "u1"}, {"user": "u2", "user_name": "Bo"}]\','
            " NULL),"
            " ('e2', 'Intro', 'canceled', '2026-01-12 10:00Z', '2026-01-12 10:30Z', 't1',"
            ' \'2026-01-02 10:00Z\', \'[{"user": "u1"}]\', \'{"canceler_type": "host"}\')'
        )
        con.execute("INSERT INTO calendly.users (uri, name, email) VALUES ('u1', 'Ada', 'a@x')")
    return path


def test_a_partial_sync_builds_the_models_it_can(tmp_path: Path) -> None:
    database = events_and_users(tmp_path / "partial.duckdb")
    env = dbt_env("duckdb", tmp_path, as_of="2026-01-10T00:00:00Z", duckdb_path=database)
    run_dbt("duckdb", ["build", "--select", "+host_load", "--indirect-selection", "cautious"], env)
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "SELECT host_uri, host_name, meetings, meeting_hours, canceled_meetings,"
            " upcoming_meetings FROM analytics.host_load ORDER BY host_uri"
        ).fetchall()
    # u1 hosts e1 (45 min, active, past) and e2 (canceled); u2 co-hosts e1 and is no
    # member (no users row), so the name the event carries stands in.
    assert rows == [("u1", "Ada", 1, 0.75, 1, 0), ("u2", "Bo", 1, 0.75, 0, 0)]


def test_a_missing_stream_is_one_clear_error(tmp_path: Path) -> None:
    database = events_and_users(tmp_path / "partial.duckdb")
    env = dbt_env("duckdb", tmp_path, duckdb_path=database)
    done = run_dbt("duckdb", ["run", "--select", "stg_calendly__event_invitees"], env, check=False)
    assert done.returncode != 0
    assert "calendly: " in done.stdout
    assert "event_invitees does not exist or has no columns; sync that stream first" in (
        " ".join(done.stdout.split())
    )


def test_a_duckdb_file_named_like_the_schema_is_refused(tmp_path: Path) -> None:
    database = events_and_users(tmp_path / "seed.duckdb").rename(tmp_path / "calendly.duckdb")
    env = dbt_env("duckdb", tmp_path, duckdb_path=database)
    done = run_dbt("duckdb", ["run", "--select", "stg_calendly__users"], env, check=False)
    assert done.returncode != 0
    assert "is named like the source schema 'calendly'" in done.stdout
    assert "load into a file with another name" in done.stdout


def test_a_bad_as_of_is_refused(tmp_path: Path) -> None:
    database = events_and_users(tmp_path / "partial.duckdb")
    env = dbt_env("duckdb", tmp_path, as_of="yesterday'; drop", duckdb_path=database)
    done = run_dbt("duckdb", ["run", "--select", "+host_meetings"], env, check=False)
    assert done.returncode != 0
    assert "must be an ISO-8601 timestamp with a time zone" in done.stdout
    with duckdb.connect(str(database), read_only=True) as con:
        schemas = {r[0] for r in con.execute("SELECT schema_name FROM duckdb_schemas()").fetchall()}
    assert "analytics" not in schemas
