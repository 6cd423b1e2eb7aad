"""The analytics CLI and view creation on hand-built tables (no sandbox, no sync)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tap_calendly.analytics import create_views, load_views
from tap_calendly.analytics.__main__ import main


def _events_only(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA calendly")
        con.execute(
            "CREATE TABLE calendly.scheduled_events (uri VARCHAR, name VARCHAR, status VARCHAR,"
            " start_time TIMESTAMPTZ, end_time TIMESTAMPTZ, event_type VARCHAR,"
            " created_at TIMESTAMPTZ, event_memberships JSON, cancellation JSON)"
        )
        con.execute("CREATE TABLE calendly.users (uri VARCHAR, name VARCHAR, email VARCHAR)")
        con.execute(
            "INSERT INTO calendly.scheduled_events VALUES"
            " ('e1', 'Intro', 'active', '2026-01-05 10:00Z', '2026-01-05 10:45Z', 't1',"
            '  \'2026-01-01 10:00Z\', \'[{"user": "u1"}, {"user": "u2"}]\', NULL),'
            " ('e2', 'Intro', 'canceled', '2026-01-12 10:00Z', '2026-01-12 10:30Z', 't1',"
            '  \'2026-01-02 10:00Z\', \'[{"user": "u1"}]\', \'{"canceler_type": "host"}\')'
        )
        con.execute("INSERT INTO calendly.users VALUES ('u1', 'Ada', 'ada@example.com')")


def test_views_needing_missing_tables_are_skipped(tmp_path: Path) -> None:
    db = tmp_path / "partial.duckdb"
    _events_only(db)
    with duckdb.connect(str(db)) as con:
        result = create_views(con)
        assert result.created == ["host_meetings", "host_load", "host_load_weekly"]
        assert result.skipped["meetings"] == ["event_invitees", "event_types"]
        assert result.skipped["bookings_weekly"] == ["meetings"]
        assert result.skipped["routing_conversion"] == ["routing_form_submissions", "routing_forms"]
        rows = con.execute(
            "SELECT host_uri, host_name, meetings, meeting_hours, canceled_meetings"
            " FROM analytics.host_load ORDER BY host_uri"
        ).fetchall()
    # u1 hosts e1 (45 min, active) and e2 (canceled); u2 co-hosts e1 and is not in users.
    assert rows == [("u1", "Ada", 1, 0.75, 1), ("u2", None, 1, 0.75, 0)]


def test_cli_creates_views_and_reports_skips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "partial.duckdb"
    _events_only(db)
    assert main(["--database", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("created 3 views in analytics: host_meetings, host_load")
    assert "skipped analytics.rates: missing invitee_outcomes, meetings" in out


def test_cli_missing_database_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--database", str(tmp_path / "nope.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "does not exist" in err
    assert not (tmp_path / "nope.duckdb").exists()


def test_cli_list_names_every_view(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list", "--schema", "reporting"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"reporting.{v.name}" for v in load_views()]


def test_views_go_into_the_chosen_schemas(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    _events_only(db)
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE TABLE raw.scheduled_events AS SELECT * FROM calendly.scheduled_events")
        con.execute("CREATE TABLE raw.users AS SELECT * FROM calendly.users WHERE false")
        result = create_views(con, source="raw", target="my reports")
        assert "host_load" in result.created
        row = con.execute('SELECT count(*) FROM "my reports".host_meetings').fetchone()
    assert row == (3,)


def test_database_named_like_the_schema_gets_views_beside_the_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The loader's defaults: calendly.duckdb holding schema calendly. DuckDB cannot bind a
    # view over "calendly.<table>" there, so the views go into the calendly schema itself.
    db = tmp_path / "calendly.duckdb"
    _events_only(tmp_path / "seed.duckdb")
    with duckdb.connect(str(db)) as con:
        con.execute(f"ATTACH '{tmp_path / 'seed.duckdb'}' AS seed (READ_ONLY)")
        con.execute("CREATE SCHEMA calendly.calendly")
        for table in ("scheduled_events", "users"):
            con.execute(
                f"CREATE TABLE calendly.calendly.{table} AS SELECT * FROM seed.calendly.{table}"
            )
    assert main(["--database", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("created 3 views in calendly: host_meetings, host_load")
    assert "note: calendly.duckdb is named like the schema 'calendly'" in out
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT host_uri, meetings, canceled_meetings FROM calendly.calendly.host_load"
            " ORDER BY host_uri"
        ).fetchall()
        schemas = {r[0] for r in con.execute("SELECT schema_name FROM duckdb_schemas()").fetchall()}
    assert rows == [("u1", 1, 1), ("u2", 1, 0)]
    assert "analytics" not in schemas
    # Attached under another name the views still resolve (they name no catalog).
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{db}' AS other (READ_ONLY)")
        row = con.execute("SELECT count(*) FROM other.calendly.host_meetings").fetchone()
    assert row == (3,)
