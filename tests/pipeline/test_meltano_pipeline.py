"""``meltano run tap-calendly target-duckdb`` against the sandbox: full, then incremental.

Runs the project's real meltano.yml (``dev`` environment) with the Meltano that
``make meltano-install`` puts in .venv-meltano, a private ``.meltano`` (system database
and run files, so state from demos or concurrent runs cannot leak in; plugin venvs are
shared) and a temporary DuckDB file. After each
run the synced tables must equal the sandbox's ground truth, keys must be unique, and
Meltano must hold the Singer state that the incremental run starts from.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tap_calendly.demo.meltano_runner import isolated_sys_dir, pipeline_env
from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tap_calendly.sandbox.store import COLLECTIONS
from tests.support.duckdb_values import same

ROOT = Path(__file__).resolve().parents[2]
MELTANO = ROOT / ".venv-meltano" / "bin" / "meltano"
PLUGINS = (
    ROOT / ".meltano" / "extractors" / "tap-calendly" / "venv" / "bin" / "tap-calendly",
    ROOT / ".meltano" / "loaders" / "target-duckdb" / "venv" / "bin" / "target-calendly-duckdb",
)
STATE_ID = "dev:tap-calendly-to-target-duckdb"
#: Streams that are snapshots of the future (no ground-truth collection to compare with).
SNAPSHOTS = {"user_busy_times": ["busy_time_id"], "event_type_available_times": None}
#: Fields the tap leaves empty by design: member users come from the user object embedded
#: in each membership (no request per user), which carries no locale / resource_type.
KNOWN_GAPS = {"users": frozenset({"locale", "resource_type"})}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (MELTANO.exists() and all(p.exists() for p in PLUGINS)),
        reason="Meltano and its plugins are not installed; run `make meltano-install`",
    ),
]


@dataclass
class Project:
    sandbox: Sandbox
    env: dict[str, str]
    database: Path
    since: datetime
    requests: list[dict[str, int]] = field(default_factory=list)

    def meltano(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(MELTANO), "--log-level", "warning", "--environment", "dev", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )
        assert result.returncode == 0, (args, result.stdout[-3000:], result.stderr[-3000:])
        return result

    def run_sync(self) -> None:
        self.sandbox.reset_counts()
        self.meltano("run", "tap-calendly", "target-duckdb")
        self.requests.append(self.sandbox.request_counts())

    def state(self) -> dict[str, Any]:
        out = self.meltano("state", "get", STATE_ID).stdout
        value = json.loads(out[out.index("{") :])
        assert isinstance(value, dict)
        return value


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def table(con: duckdb.DuckDBPyConnection, name: str) -> list[dict[str, Any]]:
    cur = con.execute(f"SELECT * FROM calendly.{name}")
    names = [d[0] for d in cur.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def in_window(truth: dict[str, list[dict[str, Any]]], since: datetime) -> dict[str, set[str]]:
    """URIs the tap must deliver with ``start_date = since``: events starting since then
    and their invitees, activity and submissions since then, everything else in full."""
    events = {e["uri"] for e in truth["scheduled_events"] if ts(e["start_time"]) >= since}
    by_field = {
        "scheduled_events": events,
        "event_invitees": {i["uri"] for i in truth["event_invitees"] if i["event"] in events},
        "activity_log_entries": {
            a["uri"] for a in truth["activity_log_entries"] if ts(a["occurred_at"]) >= since
        },
        "routing_form_submissions": {
            r["uri"] for r in truth["routing_form_submissions"] if ts(r["created_at"]) >= since
        },
    }
    return {
        name: by_field.get(name, {r["uri"] for r in truth[name]})
        for name in COLLECTIONS
        if name != "invitee_no_shows"
    }


def table_differences(
    database: Path,
    truth: dict[str, list[dict[str, Any]]],
    since: datetime,
    removed: set[str] = frozenset(),  # type: ignore[assignment]
) -> dict[str, Any]:
    """Per stream: window records missing, rows the sandbox never had, fields that differ.

    ``removed`` URIs (records the sandbox deleted after an earlier sync: a member who
    left, a revoked invitation) may remain: the tap reads lists, which cannot say what
    disappeared.
    """
    problems: dict[str, Any] = {}
    window = in_window(truth, since)
    with duckdb.connect(str(database), read_only=True) as con:
        for stream, wanted in window.items():
            rows = {row["uri"]: row for row in table(con, stream)}
            expected = {record["uri"]: record for record in truth[stream]}
            missing = wanted - rows.keys()
            phantom = rows.keys() - expected.keys() - removed
            if missing or phantom:
                problems[stream] = {"missing": len(missing), "unknown": len(phantom)}
                continue
            wrong: dict[str, int] = {}
            gaps = KNOWN_GAPS.get(stream, frozenset())
            for uri in wanted:
                record = expected[uri]
                for key, value in record.items():
                    if key in gaps and rows[uri].get(key, value) is None:
                        continue
                    if key not in rows[uri] or not same(rows[uri][key], value):
                        wrong[key] = wrong.get(key, 0) + 1
            if wrong:
                problems[stream] = {"fields differing (records)": wrong}
    return problems


def assert_tables_equal_truth(
    database: Path,
    truth: dict[str, list[dict[str, Any]]],
    since: datetime,
    removed: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    assert table_differences(database, truth, since, removed) == {}
    keys = {name: ["uri"] for name in COLLECTIONS if name != "invitee_no_shows"}
    keys.update({name: key or ["event_type", "start_time"] for name, key in SNAPSHOTS.items()})
    with duckdb.connect(str(database), read_only=True) as con:
        for stream, cols in keys.items():
            row = con.execute(
                f"SELECT count(*), count(DISTINCT ({', '.join(cols)})) FROM calendly.{stream}"
            ).fetchone()
            assert row is not None
            assert row[0] > 0
            assert row[0] == row[1], (stream, "duplicate keys")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    work = tmp_path_factory.mktemp("meltano")
    settings = SandboxSettings(seed=5, scale="small", rate_limit_per_minute=1_000_000)
    with Sandbox(settings) as sandbox:
        # Four months of history (plus the future) keeps the run short; the window
        # logic is what the comparison checks.
        since = ts(sandbox.info()["now"]) - timedelta(days=120)
        env = pipeline_env(
            os.environ,
            api_url=sandbox.url,
            token=sandbox.admin_token,
            database=work / "synced.duckdb",
            extra={
                **isolated_sys_dir(ROOT, work / ".meltano"),
                "TAP_CALENDLY_START_DATE": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )
        yield Project(sandbox, env, work / "synced.duckdb", since)


def test_full_incremental_and_scheduled_syncs(project: Project) -> None:
    project.run_sync()
    before = project.sandbox.ground_truth()
    assert_tables_equal_truth(project.database, before, project.since)
    first = project.state()["singer_state"]["bookmarks"]
    first_mark = ts(first["scheduled_events"]["replication_key_value"])

    changes = project.sandbox.advance(timedelta(days=1))
    assert changes["bookings"] > 0
    assert changes["cancellations"] + changes["reschedules"] > 0
    project.run_sync()
    after = project.sandbox.ground_truth()
    removed = {r["uri"] for rows in before.values() for r in rows} - {
        r["uri"] for rows in after.values() for r in rows
    }
    assert_tables_equal_truth(project.database, after, project.since, removed)

    second = project.state()["singer_state"]["bookmarks"]
    assert ts(second["scheduled_events"]["replication_key_value"]) > first_mark
    # One invitee request per event in the window: [start_date, +inf) on the full run,
    # [max(start_date, bookmark - lookback_days), +inf) on the incremental one.
    lookback = max(project.since, first_mark - timedelta(days=30))
    invitee_calls = [r["GET /scheduled_events/{uuid}/invitees"] for r in project.requests]
    assert invitee_calls == [
        sum(ts(e["start_time"]) >= project.since for e in before["scheduled_events"]),
        sum(ts(e["start_time"]) >= lookback for e in after["scheduled_events"]),
    ]
    assert invitee_calls[1] < invitee_calls[0]

    # The hourly schedule runs the same job on the same state (one test, not two: a
    # second test could land on another xdist worker and repeat the full sync there).
    listed = json.loads(project.meltano("schedule", "list", "--format", "json").stdout)
    (schedule,) = listed["schedules"]["job"]
    assert (schedule["name"], schedule["cron_interval"]) == ("calendly-hourly", "0 * * * *")
    assert schedule["job"]["tasks"] == ["tap-calendly target-duckdb"]

    project.sandbox.advance(timedelta(hours=3))
    project.sandbox.reset_counts()
    project.meltano("schedule", "run", "calendly-hourly")
    calls = project.sandbox.request_counts()["GET /scheduled_events/{uuid}/invitees"]
    assert 0 < calls < project.requests[0]["GET /scheduled_events/{uuid}/invitees"]
    assert STATE_ID in project.meltano("state", "list").stdout.split()
