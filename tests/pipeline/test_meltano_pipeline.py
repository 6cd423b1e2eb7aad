"""``meltano run`` against the sandbox, into DuckDB and into PostgreSQL: full, then incremental.

Runs the project's real meltano.yml with the Meltano that ``make meltano-install`` puts in
.venv-meltano, a private ``.meltano`` (system database and run files, so state from demos
or concurrent runs cannot leak in; plugin venvs are shared) and a warehouse of its own:
a temporary DuckDB file (``dev`` environment, target-calendly-duckdb) or a throwaway
PostgreSQL server (``postgres`` environment, PyPI target-postgres). After each run the
synced tables must equal the sandbox's ground truth, keys must be unique, and Meltano must
hold the Singer state the incremental run starts from. The hourly schedule then runs the
engine's job, which ends with ``dbt build``; the marts must match the synced window.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tap_calendly.demo.meltano_runner import isolated_sys_dir, pipeline_env
from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tests.support import analytics_reference as ref
from tests.support.commands import run_tool
from tests.support.warehouse import Row, Truth, Warehouse, assert_tables_equal_truth, ts

ROOT = Path(__file__).resolve().parents[2]
MELTANO = ROOT / ".venv-meltano" / "bin" / "meltano"
PLUGINS = (
    ROOT / ".meltano" / "extractors" / "tap-calendly" / "venv" / "bin" / "tap-calendly",
    ROOT / ".meltano" / "loaders" / "target-calendly-duckdb" / "venv" / "bin",
    ROOT / ".meltano" / "loaders" / "target-postgres" / "venv" / "bin" / "target-postgres",
    ROOT / ".meltano" / "utilities" / "dbt-duckdb" / "venv" / "bin" / "dbt",
    ROOT / ".meltano" / "utilities" / "dbt-postgres" / "venv" / "bin" / "dbt",
)


@dataclass(frozen=True)
class Engine:
    """What differs between the two warehouses in meltano.yml."""

    environment: str
    loader: str
    schedule: str
    job: str


ENGINES = {
    "duckdb": Engine("dev", "target-calendly-duckdb", "calendly-hourly", "calendly-to-duckdb"),
    "postgres": Engine(
        "postgres", "target-postgres", "calendly-postgres-hourly", "calendly-to-postgres"
    ),
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (MELTANO.exists() and all(p.exists() for p in PLUGINS)),
        reason="Meltano and its plugins are not installed; run `make meltano-install`",
    ),
]


@dataclass
class Project:
    engine: Engine
    sandbox: Sandbox
    env: dict[str, str]
    warehouse: Warehouse
    since: datetime
    requests: list[dict[str, int]] = field(default_factory=list)

    @property
    def state_id(self) -> str:
        return f"{self.engine.environment}:tap-calendly-to-{self.engine.loader}"

    def meltano(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_tool(
            [MELTANO, "--log-level", "warning", "--environment", self.engine.environment, *args],
            cwd=ROOT,
            env=self.env,
            timeout=600,
        )

    def run_sync(self) -> None:
        self.sandbox.reset_counts()
        self.meltano("run", "tap-calendly", self.engine.loader)
        self.requests.append(self.sandbox.request_counts())

    def state(self) -> dict[str, Any]:
        out = self.meltano("state", "get", self.state_id).stdout
        value = json.loads(out[out.index("{") :])
        assert isinstance(value, dict)
        return value

    @property
    def read(self) -> Callable[[str], list[Row]]:
        return lambda stream: self.warehouse.table("calendly", stream)


def engine_env(
    name: str, work: Path, request: pytest.FixtureRequest
) -> tuple[dict[str, str], Warehouse]:
    """Settings that point the engine's loader and dbt utility at this test's warehouse."""
    run_files = {
        "DBT_TARGET_PATH": str(work / "dbt-target"),
        "DBT_LOG_PATH": str(work / "dbt-logs"),
    }
    if name == "duckdb":
        return run_files, Warehouse("duckdb", duckdb_path=work / "synced.duckdb")
    server = request.getfixturevalue("postgres")
    settings = {"HOST": server.host, "PORT": str(server.port), "USER": server.user}
    env = {f"TARGET_POSTGRES_{k}": v for k, v in settings.items()}
    env.update({f"DBT_POSTGRES_{k}": v for k, v in settings.items()})
    env.update(
        TARGET_POSTGRES_DATABASE=server.database,
        DBT_POSTGRES_DBNAME=server.database,
        TARGET_POSTGRES_PASSWORD=server.password,  # dbt-postgres reads it too (meltano.yml)
        MELTANO_ENVIRONMENT="postgres",
    )
    return {**run_files, **env}, Warehouse("postgres", postgres=server)


@pytest.fixture(scope="module", params=sorted(ENGINES))
def project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Project]:
    work = tmp_path_factory.mktemp(f"meltano-{request.param}")
    settings = SandboxSettings(seed=5, scale="small", rate_limit_per_minute=1_000_000)
    with Sandbox(settings) as sandbox:
        # Four months of history (plus the future) keeps the run short; the window
        # logic is what the comparison checks.
        since = ts(sandbox.info()["now"]) - timedelta(days=120)
        extra, warehouse = engine_env(request.param, work, request)
        env = pipeline_env(
            os.environ,
            api_url=sandbox.url,
            token=sandbox.admin_token,
            database=work / "synced.duckdb",
            extra={
                **isolated_sys_dir(ROOT, work / ".meltano"),
                "TAP_CALENDLY_START_DATE": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
                **extra,
            },
        )
        yield Project(ENGINES[request.param], sandbox, env, warehouse, since)


def synced_window(truth: Truth, since: datetime) -> Truth:
    """The part of the truth a sync from ``since`` delivers (events and their invitees)."""
    events = [e for e in truth["scheduled_events"] if ts(e["start_time"]) >= since]
    uris = {e["uri"] for e in events}
    invitees = [i for i in truth["event_invitees"] if i["event"] in uris]
    return {**truth, "scheduled_events": events, "event_invitees": invitees}


def test_full_incremental_and_scheduled_syncs(project: Project) -> None:
    project.run_sync()
    before = project.sandbox.ground_truth()
    assert_tables_equal_truth(project.read, before, project.since)
    first = project.state()["singer_state"]["bookmarks"]
    first_mark = ts(first["scheduled_events"]["replication_key_value"])

    changes = project.sandbox.advance(timedelta(days=1))
    assert changes["bookings"] > 0
    assert changes["cancellations"] + changes["reschedules"] > 0
    project.run_sync()
    after = project.sandbox.ground_truth()
    removed = frozenset({r["uri"] for rows in before.values() for r in rows}) - {
        r["uri"] for rows in after.values() for r in rows
    }
    assert_tables_equal_truth(project.read, after, project.since, removed)

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

    # The hourly schedule runs the engine's job (sync, then dbt build) on the same state
    # (one test, not two: a second test could land on another xdist worker and repeat
    # the full sync there).
    listed = json.loads(project.meltano("schedule", "list", "--format", "json").stdout)
    schedules = {s["name"]: s for s in listed["schedules"]["job"]}
    schedule = schedules[project.engine.schedule]
    assert schedule["cron_interval"] == "0 * * * *"
    assert schedule["job"]["name"] == project.engine.job

    project.sandbox.advance(timedelta(hours=3))
    project.sandbox.reset_counts()
    project.meltano("schedule", "run", project.engine.schedule)
    calls = project.sandbox.request_counts()["GET /scheduled_events/{uuid}/invitees"]
    assert 0 < calls < project.requests[0]["GET /scheduled_events/{uuid}/invitees"]
    assert project.state_id in project.meltano("state", "list").stdout.split()

    # The documented warehouse check: dbt reaches the warehouse the loader wrote.
    debug = project.meltano("invoke", f"dbt-{project.warehouse.engine}:debug")
    assert "All checks passed!" in debug.stdout + debug.stderr

    window = synced_window(project.sandbox.ground_truth(), project.since)
    rows = project.warehouse.rows(
        "SELECT week, event_type_uri, meetings, canceled_meetings FROM analytics.bookings_weekly"
    )
    weekly = {
        (r["week"], r["event_type_uri"]): (r["meetings"], r["canceled_meetings"]) for r in rows
    }
    assert weekly == ref.weekly(window)
    answers = project.warehouse.rows("SELECT count(*) AS n FROM analytics.invitee_answers")
    assert answers[0]["n"] == len(ref.invitee_answers(window)) > 0
    built = project.warehouse.rows("SELECT count(*) AS n FROM analytics.meetings")
    assert built[0]["n"] == len(window["scheduled_events"])
