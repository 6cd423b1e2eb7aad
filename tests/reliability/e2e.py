"""End-to-end harness: sandbox -> tap -> loader -> DuckDB, compared with ground truth.

Used by the bounded tests in this folder and, with more seeds and kill points, by
``bench/chaos.py``. Two ways to run a sync:

- :func:`sync_in_process`: the tap in this process on a fake clock (429 waits and
  backoffs cost no real time), its Singer output loaded by the loader's command code;
  for chaos rounds with seeded faults;
- :func:`pipe_sync`: ``tap-calendly | target-calendly-duckdb`` as two processes, with
  an optional kill -9 of either one after N lines; for kill-and-resume.

:func:`compare_with_truth` checks a database against the sandbox's ground truth:
missing rows, duplicate keys, stale values and rows the sandbox never had.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import signal
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from tap_calendly.demo.pipeline import piped
from tap_calendly.loader.cli import run as loader_run
from tap_calendly.sandbox.runner import Sandbox
from tap_calendly.sandbox.store import COLLECTIONS
from tap_calendly.streams import STREAM_TYPES
from tap_calendly.windows import parse_datetime
from tests.support.tap_run import FakeTime, tap_output
from tests.support.warehouse import KNOWN_GAPS, same

BIN = Path(sys.executable).parent
TAP = BIN / "tap-calendly"
LOADER = BIN / "target-calendly-duckdb"
SCHEMA = "calendly"
Record = dict[str, Any]
Truth = dict[str, list[Record]]

#: Primary keys per stream, as the tap declares them.
KEYS: dict[str, tuple[str, ...]] = {t.name: tuple(t.primary_keys or ()) for t in STREAM_TYPES}
#: Full-table streams with a ground-truth collection (the availability snapshots have
#: none; users are compared on the fields the tap fills): the latest run is the whole truth.
FULL_TABLE = tuple(
    t.name
    for t in STREAM_TYPES
    if not isinstance(getattr(t, "replication_key", None), str)
    and t.name in COLLECTIONS
    and t.name != "users"
)
#: Columns that are not Calendly data (loader metadata, the tap's observation time).
IGNORED_COLUMNS = frozenset({"observed_at"})

# -- running syncs ------------------------------------------------------------------------


def loader_config(database: Path, workdir: Path, batch_size_rows: int = 500) -> dict[str, Any]:
    """Small batches so a sync commits (and releases STATE) many times."""
    return {
        "database": str(database),
        "batch_size_rows": batch_size_rows,
        "temp_dir": str(workdir),
    }


@dataclass
class SyncOutcome:
    """One tap run loaded into DuckDB."""

    tap_state: dict[str, Any]
    loader_states: list[dict[str, Any]]
    records: int
    requests: int
    throttled: int
    loader_code: int
    loader_stderr: str


def sync_in_process(
    config: Mapping[str, Any],
    state: Mapping[str, Any] | None,
    database: Path,
    workdir: Path,
    *,
    catalog: dict[str, Any] | None = None,
    fake: FakeTime | None = None,
) -> SyncOutcome:
    """Run the tap here on a fake clock, then load its output with the loader's CLI code."""
    singer, tap = tap_output(dict(config), dict(state or {}), catalog, fake or FakeTime())
    tap_state: dict[str, Any] = {}
    records = 0
    for line in singer.splitlines():
        if line.startswith('{"type":"STATE"'):
            tap_state = json.loads(line)["value"]
        elif line.startswith('{"type":"RECORD"'):
            records += 1
    source = workdir / "singer.jsonl"
    source.write_text(singer)
    settings = workdir / "loader.json"
    settings.write_text(json.dumps(loader_config(database, workdir)))
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = loader_run(["--config", str(settings), "--input", str(source)])
    return SyncOutcome(
        tap_state=tap_state,
        loader_states=parse_states(stdout.getvalue()),
        records=records,
        requests=tap.sync_context.client.transport.total_requests(),
        throttled=tap.sync_context.client.limiter.stats.throttled,
        loader_code=code,
        loader_stderr=stderr.getvalue(),
    )


def parse_states(text: str) -> list[dict[str, Any]]:
    """The STATE values a loader printed (one JSON value per line)."""
    states = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        with contextlib.suppress(json.JSONDecodeError):
            value = json.loads(line)
            if isinstance(value, dict):
                states.append(value.get("value", value) if value.get("type") == "STATE" else value)
    return states


@dataclass
class PipeOutcome:
    """One ``tap | loader`` run, possibly killed."""

    tap_code: int | None
    loader_code: int | None
    lines: int
    loader_states: list[dict[str, Any]] = field(default_factory=list)
    tap_stderr: str = ""
    loader_stderr: str = ""

    @property
    def last_state(self) -> dict[str, Any] | None:
        return self.loader_states[-1] if self.loader_states else None


def pipe_sync(
    config_file: Path,
    loader_file: Path,
    *,
    state: Mapping[str, Any] | None = None,
    catalog_file: Path | None = None,
    kill: str | None = None,
    kill_after_lines: int = 0,
    workdir: Path,
    timeout: float = 300,
) -> PipeOutcome:
    """``tap | loader``; with ``kill`` ("tap" or "loader"), SIGKILL it after N lines.

    When the tap dies, the loader's input ends (possibly mid-line), as in a pipeline
    whose extractor was killed. When the loader dies, the tap's next write fails.
    """
    argv = [str(TAP), "--config", str(config_file)]
    if state is not None:
        state_file = workdir / f"state-{time.monotonic_ns()}.json"
        state_file.write_text(json.dumps(state))
        argv += ["--state", str(state_file)]
    if catalog_file is not None:
        argv += ["--catalog", str(catalog_file)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_CALENDLY_")}
    lines = 0
    with piped(argv, [str(LOADER), "--config", str(loader_file)], env=env) as pipe:
        tap, loader = pipe.tap, pipe.target
        for line in pipe.tap_stdout:
            if kill and lines >= kill_after_lines:
                victim = tap if kill == "tap" else loader
                os.kill(victim.pid, signal.SIGKILL)
                victim.wait()
                if kill == "tap":
                    # What was already written still reaches the loader, cut mid-line.
                    rest = pipe.tap_stdout.read()
                    cut = line + rest
                    with contextlib.suppress(BrokenPipeError):
                        pipe.target_stdin.write(cut[: max(1, len(cut) // 2)])
                break
            try:
                pipe.target_stdin.write(line)
            except BrokenPipeError:
                break
            lines += 1
        with contextlib.suppress(BrokenPipeError):
            pipe.target_stdin.close()
        if kill == "loader":
            pipe.tap_stdout.close()  # the tap's next write fails, as with a dead reader
        tap_code = tap.wait(timeout=timeout)
        loader_code = loader.wait(timeout=timeout)
    return PipeOutcome(
        tap_code=tap_code,
        loader_code=loader_code,
        lines=lines,
        loader_states=parse_states(pipe.text(pipe.target_out)),
        tap_stderr=pipe.text(pipe.tap_err),
        loader_stderr=pipe.text(pipe.target_err),
    )


# -- comparing ----------------------------------------------------------------------------


@dataclass
class Comparison:
    """What a database holds compared with the truth it must hold."""

    rows_compared: int = 0
    missing: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    stale: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)
    #: fields the API sent that have no column (dropped on the way), per stream
    lost_fields: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    @property
    def mismatches(self) -> int:
        kinds = (self.missing, self.duplicates, self.stale, self.unknown, self.lost_fields)
        return sum(sum(d.values()) for d in kinds)

    def note(self, kind: dict[str, int], stream: str, example: str) -> None:
        kind[stream] = kind.get(stream, 0) + 1
        if len(self.examples) < 10:
            self.examples.append(f"{stream}: {example}")


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {
        str(r[0])
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ?",
            [SCHEMA, table],
        ).fetchall()
    }


def live_rows(con: duckdb.DuckDBPyConnection, table: str) -> list[Record]:
    """Rows not retired by ACTIVATE_VERSION."""
    columns = table_columns(con, table)
    if not columns:
        return []
    where = " WHERE _sdc_deleted_at IS NULL" if "_sdc_deleted_at" in columns else ""
    cursor = con.execute(f'SELECT * FROM {SCHEMA}."{table}"{where}')
    names = [d[0] for d in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _iso(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if value else ""


def scope(truth: Truth, since: datetime | None) -> dict[str, set[str]]:
    """URIs the sync must have delivered, given its ``start_date``."""
    cut = _iso(since)
    events = {e["uri"] for e in truth["scheduled_events"] if e["start_time"] >= cut}
    return {
        "scheduled_events": events,
        "event_invitees": {i["uri"] for i in truth["event_invitees"] if i["event"] in events},
        "activity_log_entries": {
            a["uri"] for a in truth["activity_log_entries"] if a["occurred_at"] >= cut
        },
        "routing_form_submissions": {
            r["uri"] for r in truth["routing_form_submissions"] if r["created_at"] >= cut
        },
        **{name: {r["uri"] for r in truth[name]} for name in (*FULL_TABLE, "users")},
    }


#: Streams whose records the last run's re-read window brings up to date.
EXACT_STREAMS = ("scheduled_events", "event_invitees", "routing_form_submissions")


def exact_scope(truth: Truth, window: datetime | None) -> dict[str, set[str]]:
    """URIs whose values must be current: what the last run's re-read window covers."""
    windowed = scope(truth, window)
    return {name: windowed[name] for name in EXACT_STREAMS}


def compare_with_truth(
    database: Path,
    truth: Truth,
    *,
    since: datetime | None,
    window: datetime | None,
    removed: set[str] | None = None,
) -> Comparison:
    """Rows the database must hold (``since``), exactly (``window``), and nothing else."""
    result = Comparison()
    removed = removed or set()
    wanted = scope(truth, since)
    exact = exact_scope(truth, window)
    with duckdb.connect(str(database), read_only=True) as con:
        for stream, uris in wanted.items():
            rows = live_rows(con, stream)
            by_uri: dict[str, Record] = {}
            for row in rows:
                if row["uri"] in by_uri:
                    result.note(result.duplicates, stream, str(row["uri"]))
                by_uri[row["uri"]] = row
            expected = {r["uri"]: r for r in truth[stream]}
            for uri in sorted(uris - by_uri.keys()):
                result.note(result.missing, stream, uri)
            allowed = expected.keys() if stream in FULL_TABLE else expected.keys() | removed
            for uri in sorted(by_uri.keys() - allowed):
                result.note(result.unknown, stream, uri)
            must_match = exact.get(stream, uris)
            gaps = KNOWN_GAPS.get(stream, frozenset())
            columns = set(rows[0]) if rows else set()
            sent = {key for uri in uris & by_uri.keys() for key in expected[uri]}
            for key in sorted(sent - columns - gaps):
                result.note(result.lost_fields, stream, f"field {key} has no column")
            for uri in sorted(uris & by_uri.keys()):
                result.rows_compared += 1
                if uri not in must_match:
                    continue
                row, record = by_uri[uri], expected[uri]
                for column, value in row.items():
                    if column.startswith("_sdc_") or column in IGNORED_COLUMNS:
                        continue
                    if column in gaps and value is None:
                        continue
                    if not same(value, record.get(column)):
                        result.note(result.stale, stream, f"{uri} {column}")
                        break
        for stream, keys in KEYS.items():
            if keys and stream not in wanted:
                extra = duplicate_keys(con, stream, keys)
                if extra:
                    result.duplicates[stream] = extra
    return result


def duplicate_keys(con: duckdb.DuckDBPyConnection, stream: str, keys: tuple[str, ...]) -> int:
    """Live rows beyond one per key."""
    columns = table_columns(con, stream)
    if not columns:
        return 0
    where = " WHERE _sdc_deleted_at IS NULL" if "_sdc_deleted_at" in columns else ""
    key = ", ".join(f'"{k}"' for k in keys)
    found = con.execute(
        f'SELECT count(*) - count(DISTINCT ({key})) FROM {SCHEMA}."{stream}"{where}'
    ).fetchone()
    return int(found[0]) if found else 0


def tables_equal(first: Path, second: Path) -> dict[str, str]:
    """Differences between two databases' live rows (data columns only), per table."""
    problems: dict[str, str] = {}
    with (
        duckdb.connect(str(first), read_only=True) as a,
        duckdb.connect(str(second), read_only=True) as b,
    ):
        for stream in KEYS:
            left, right = _row_set(live_rows(a, stream)), _row_set(live_rows(b, stream))
            if left != right:
                problems[stream] = (
                    f"{len(left - right)} rows only in the first, {len(right - left)} only in "
                    "the second"
                )
    return problems


def _row_set(rows: list[Record]) -> set[str]:
    return {
        json.dumps(
            {k: v for k, v in row.items() if not k.startswith("_sdc_")}, default=str, sort_keys=True
        )
        for row in rows
    }


@contextlib.contextmanager
def sandbox_faults(sandbox: Sandbox, faults: Mapping[str, Any] | None) -> Iterator[dict[str, int]]:
    """Faults on for the block, off after (ground truth and setup are never faulted);
    yields a dict that holds the faults injected once the block ends."""
    sandbox.configure(faults=dict(faults) if faults else None)
    injected: dict[str, int] = {}
    try:
        yield injected
    finally:
        injected.update(sandbox.app.faults.injected)
        sandbox.configure(faults=None)


def chaos_faults(seed: int, rate: float = 0.10, stall_seconds: float = 0.6) -> dict[str, Any]:
    """About ``rate`` of all requests faulted, spread over every kind, seeded."""
    kinds = {
        "429": 1.0,
        "500": 1.0,
        "502": 1.0,
        "503": 1.0,
        "reset": 1.0,
        "stall": 0.5,
        "truncate": 1.0,
    }
    total = sum(kinds.values())
    return {
        "seed": seed,
        "rates": {kind: rate * weight / total for kind, weight in kinds.items()},
        "burst": 3,
        "stall_seconds": stall_seconds,
    }


# -- chaos: a full sync and incremental rounds under faults ---------------------------------


@dataclass
class Round:
    """One sync of a chaos run and how the database compared afterwards."""

    name: str
    injected: dict[str, int]
    comparison: Comparison
    records: int
    requests: int
    throttled: int
    loader_code: int


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def chaos_run(
    seed: int,
    workdir: Path,
    *,
    scale: str = "small",
    days_back: float = 30,
    lookback_days: float = 7,
    incremental_rounds: int = 3,
    fault_rate: float = 0.10,
) -> list[Round]:
    """Full sync + ``incremental_rounds`` days (clock advanced a day each) under seeded
    faults; after each, DuckDB is compared with the sandbox's ground truth."""
    from tap_calendly.sandbox.runner import SandboxSettings
    from tap_calendly.windows import incremental_window_start

    settings = SandboxSettings(
        seed=seed, scale=scale, rate_limit_per_minute=1_000_000, webhooks=False
    )
    rounds: list[Round] = []
    database = workdir / f"chaos-{seed}.duckdb"
    with Sandbox(settings) as sandbox:
        since = parse_datetime(sandbox.info()["now"]) - timedelta(days=days_back)
        config = {
            "personal_access_token": sandbox.admin_token,
            "api_url": sandbox.url,
            "start_date": iso(since),
            "lookback_days": lookback_days,
            "availability_horizon_days": 7,
            "request_timeout": 0.3,
            "max_retries": 8,
        }
        state: dict[str, Any] | None = None
        window: datetime | None = since
        before = sandbox.ground_truth()
        for number in range(incremental_rounds + 1):
            name = "full" if number == 0 else f"day {number}"
            with sandbox_faults(sandbox, chaos_faults(seed * 100 + number, fault_rate)) as hit:
                outcome = sync_in_process(config, state, database, workdir)
            truth = sandbox.ground_truth()
            removed = _uris(before) - _uris(truth)
            comparison = compare_with_truth(
                database, truth, since=since, window=window, removed=removed
            )
            rounds.append(
                Round(
                    name,
                    dict(hit),
                    comparison,
                    outcome.records,
                    outcome.requests,
                    outcome.throttled,
                    outcome.loader_code,
                )
            )
            if outcome.loader_code != 0 or not outcome.loader_states:
                break
            state = outcome.loader_states[-1]
            bookmark = state["bookmarks"]["scheduled_events"]["replication_key_value"]
            window = incremental_window_start(
                start_date=since, bookmark=bookmark, lookback_days=lookback_days
            )
            before = truth
            sandbox.advance(timedelta(days=1))
    return rounds


def _uris(truth: Truth) -> set[str]:
    return {r["uri"] for rows in truth.values() for r in rows if "uri" in r}


# -- kill -9 and resume ---------------------------------------------------------------------


@dataclass
class CleanSync:
    """A clean ``tap | loader`` sync to compare killed-and-resumed runs with."""

    config: Path
    database: Path
    lines: int
    since: datetime


def write_json(path: Path, value: object) -> Path:
    path.write_text(json.dumps(value))
    return path


def clean_sync(sandbox: Sandbox, workdir: Path, *, days_back: float = 10) -> CleanSync:
    since = parse_datetime(sandbox.info()["now"]) - timedelta(days=days_back)
    config = write_json(
        workdir / "tap.json",
        {
            "personal_access_token": sandbox.admin_token,
            "api_url": sandbox.url,
            "start_date": iso(since),
            "availability_horizon_days": 1,
            "max_concurrency": 4,
        },
    )
    database = workdir / "clean.duckdb"
    loader = write_json(workdir / "loader-clean.json", loader_config(database, workdir))
    done = pipe_sync(config, loader, workdir=workdir)
    if (done.tap_code, done.loader_code) != (0, 0):
        raise RuntimeError(f"clean sync failed: {done.tap_stderr[-2000:]}")
    return CleanSync(config, database, done.lines, since)


def kill_points(lines: int, count: int, seed: int) -> list[int]:
    """``count`` distinct random line numbers inside a sync of ``lines`` lines."""
    return sorted(random.Random(seed).sample(range(1, lines - 1), min(count, lines - 2)))


@dataclass
class KillResult:
    victim: str
    after: int
    killed: PipeOutcome
    resumed: PipeOutcome
    differences: dict[str, str]

    @property
    def ok(self) -> bool:
        victim_code = self.killed.tap_code if self.victim == "tap" else self.killed.loader_code
        return (
            victim_code == -signal.SIGKILL
            and (self.resumed.tap_code, self.resumed.loader_code) == (0, 0)
            and not self.differences
            and "Traceback" not in self.killed.tap_stderr + self.resumed.tap_stderr
        )


def kill_and_resume(clean: CleanSync, victim: str, after: int, workdir: Path) -> KillResult:
    """SIGKILL ``victim`` ("tap" or "loader") after ``after`` lines, resume from the
    loader's last STATE into the same database, compare with the clean sync."""
    database = workdir / f"{victim}-{after}.duckdb"
    # Commits every 100 records: most kill points then find a released STATE to resume from.
    settings = loader_config(database, workdir, batch_size_rows=100)
    loader = write_json(workdir / f"loader-{victim}-{after}.json", settings)
    killed = pipe_sync(clean.config, loader, kill=victim, kill_after_lines=after, workdir=workdir)
    resumed = pipe_sync(clean.config, loader, state=killed.last_state, workdir=workdir)
    return KillResult(victim, after, killed, resumed, tables_equal(clean.database, database))


def short_sync(
    sandbox: Sandbox, database: Path, workdir: Path, *, days_back: float = 5
) -> tuple[datetime, SyncOutcome, Truth]:
    """One in-process sync of the last ``days_back`` days (no faults): its start_date,
    what happened, and the ground truth right after."""
    since = parse_datetime(sandbox.info()["now"]) - timedelta(days=days_back)
    config = {
        "personal_access_token": sandbox.admin_token,
        "api_url": sandbox.url,
        "start_date": iso(since),
        "availability_horizon_days": 1,
    }
    outcome = sync_in_process(config, None, database, workdir)
    return since, outcome, sandbox.ground_truth()
