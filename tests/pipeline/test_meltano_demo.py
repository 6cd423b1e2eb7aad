"""``python -m tap_calendly.demo`` (what ``make demo`` runs): progress, cleanup, report."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from tap_calendly.demo.meltano_runner import isolated_sys_dir
from tap_calendly.demo.progress import Progress, parse_metric
from tap_calendly.demo.run import main

ROOT = Path(__file__).resolve().parents[2]
MELTANO = ROOT / ".venv-meltano" / "bin" / "meltano"


def meltano_line(plugin: str, event: str, **extra: object) -> str:
    """One line as ``meltano --log-format json`` relays a plugin's stderr."""
    return json.dumps({"string_id": plugin, "name": plugin, "event": event, **extra})


def test_progress_shows_tap_summaries_commits_and_errors() -> None:
    shown: list[str] = []
    progress = Progress(shown.append)
    lines = [
        meltano_line("tap-calendly", "Beginning sync of 'users'"),
        meltano_line(
            "tap-calendly",
            "Finished scheduled_events: 20 records, 1 requests; event_invitees: 41 records,"
            " 20 requests; rate-limit waits so far: 0 (0.0s), 429s: 0",
        ),
        meltano_line(
            "tap-calendly",
            "METRIC",
            metric_info={
                "type": "counter",
                "metric": "record_count",
                "value": 20,
                "tags": {"stream": "scheduled_events"},
            },
        ),
        meltano_line(
            "tap-calendly",
            'METRIC: {"type":"counter","metric":"record_count","value":7,'
            '"tags":{"stream":"groups"}}',
        ),
        meltano_line("target-calendly-duckdb", "committed 61 records (scheduled_events) in 0.1 s"),
        meltano_line(
            "target-calendly-duckdb", "target-calendly-duckdb: error: disk full", level="info"
        ),
        meltano_line("dbt-duckdb", "17:02:42  Running with dbt=1.11.16"),
        meltano_line("dbt-duckdb", "17:02:43  3 of 9 START sql view model analytics.x [RUN]"),
        meltano_line("dbt-duckdb", "17:02:44  4 of 9 PASS unique_x ... [PASS in 0.03s]"),
        meltano_line("dbt-duckdb", "17:02:44  5 of 9 FAIL 1 relationships_y ... [FAIL 1 in 0.03s]"),
        meltano_line("dbt-duckdb", "17:02:53  Done. PASS=8 WARN=0 ERROR=1 SKIP=0 TOTAL=9"),
        "not json at all",
    ]
    for line in lines:
        progress.feed(line)
    progress.finish()
    assert shown == [
        "    Finished scheduled_events: 20 records, 1 requests; event_invitees: 41 records,"
        " 20 requests",
        "    target-calendly-duckdb: committed 61 records",
        "    ! target-calendly-duckdb: target-calendly-duckdb: error: disk full",
        "    dbt-duckdb: Running with dbt=1.11.16",
        "    dbt-duckdb: 5 of 9 FAIL 1 relationships_y ... [FAIL 1 in 0.03s]",
        "    dbt-duckdb: Done. PASS=8 WARN=0 ERROR=1 SKIP=0 TOTAL=9",
        "    groups: 7 records",  # no summary line covered it: the metric total stands in
    ]
    assert progress.records == {"scheduled_events": 20, "groups": 7}


def test_parse_metric_reads_plain_sdk_lines() -> None:
    line = (
        '2026-01-01 | INFO | singer_sdk.metrics | METRIC: {"type":"counter",'
        '"metric":"record_count","value":3,"tags":{"stream":"users"}}'
    )
    assert parse_metric(line) == {
        "type": "counter",
        "metric": "record_count",
        "value": 3,
        "tags": {"stream": "users"},
    }
    assert parse_metric("METRIC: {broken") is None


def test_failed_sync_is_one_line_and_the_sandbox_is_stopped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = tmp_path / "meltano"
    fake.write_text('#!/bin/sh\necho \'{"event": "Extractor failed", "level": "error"}\'\nexit 3\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "meltano.yml").write_text("{}\n")
    code = main(
        [
            "--project-dir",
            str(tmp_path),
            "--meltano",
            str(fake),
            "--database",
            str(tmp_path / "demo.duckdb"),
            "--workdir",
            str(tmp_path / "work"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.count("\n") == 1
    assert "failed with exit code 3" in captured.err
    assert "    ! meltano: Extractor failed" in captured.out
    url = captured.out.split()[1]
    assert url.startswith("http://127.0.0.1:")
    assert not (tmp_path / "work" / "sandbox.json").exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/_sandbox/info", timeout=5)


def test_missing_meltano_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "meltano.yml").write_text("{}\n")
    assert main(["--project-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "run `make demo`" in err


@pytest.mark.slow
@pytest.mark.skipif(not MELTANO.exists(), reason="Meltano is not installed; `make meltano-install`")
def test_demo_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in isolated_sys_dir(ROOT, tmp_path / ".meltano").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TAP_CALENDLY_PERSONAL_ACCESS_TOKEN", "a-live-token-the-demo-must-drop")
    monkeypatch.setenv("DEMO_START_DATE", "")
    database = tmp_path / "demo.duckdb"
    args = ["--project-dir", str(ROOT), "--database", str(database), "--workdir", str(tmp_path)]
    since = datetime.now(UTC) - timedelta(days=45)  # a short window keeps this quick
    args += ["--seed", "9", "--start-date", since.strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert main(args) == 0
    out = capsys.readouterr().out
    for heading in (
        "Rows per table (calendly schema)",
        "Bookings per week",
        "Rates",
        "Top event types",
        "Busiest hosts",
        "Bookings by UTM source",
        "Custom questions:",
        "Routing forms:",
        "API requests per sync",
    ):
        assert heading in out, heading
    assert "full sync done" in out
    assert "incremental sync and dbt build done" in out
    assert "dbt-duckdb: Done. PASS=" in out
    assert " ERROR=0 " in out
    assert "Finished scheduled_events" in out
    assert database.exists()
    assert os.environ["TAP_CALENDLY_PERSONAL_ACCESS_TOKEN"] not in out
    assert not (tmp_path / "sandbox.json").exists()


def test_database_named_like_the_schema_is_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "meltano.yml").write_text("{}\n")
    fake = tmp_path / "meltano"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    args = ["--project-dir", str(tmp_path), "--meltano", str(fake)]
    assert main([*args, "--database", str(tmp_path / "Calendly.duckdb")]) == 1
    captured = capsys.readouterr()
    assert "choose another file name" in captured.err
    assert captured.err.count("\n") == 1
    assert "sandbox:" not in captured.out


def test_report_counts_live_and_retired_rows_apart() -> None:
    import duckdb

    from tap_calendly.demo.report import table_counts

    con = duckdb.connect()
    con.execute("CREATE SCHEMA calendly")
    con.execute("CREATE TABLE calendly.users (uri VARCHAR, _sdc_deleted_at TIMESTAMPTZ)")
    con.execute("INSERT INTO calendly.users VALUES ('a', NULL), ('b', now()), ('c', NULL)")
    con.execute("CREATE TABLE calendly.groups (uri VARCHAR)")
    con.execute("INSERT INTO calendly.groups VALUES ('g')")
    assert table_counts(con, "calendly") == {"groups": (1, 0), "users": (2, 1)}
