"""Read a synced warehouse (DuckDB or PostgreSQL) and compare it with the sandbox's truth.

The end-to-end tests of both engines use one comparison: every record the tap had to
deliver is there with every field equal to the API's value, nothing is there that the
sandbox never had, and every key is unique. Cells are compared by meaning, since the
loaders store values differently (DuckDB: TIMESTAMPTZ and JSON text; target-postgres:
UTC timestamps without zone, jsonb and jsonb[] decoded to Python values).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from tap_calendly.sandbox.store import COLLECTIONS
from tests.support.postgres import PostgresServer

Row = dict[str, Any]
Truth = dict[str, list[Row]]
#: Snapshot streams (no ground-truth collection) and their keys.
SNAPSHOT_KEYS = {
    "user_busy_times": ("busy_time_id",),
    "event_type_available_times": ("event_type", "start_time"),
}
#: Fields the tap leaves empty by design: member users come from the user object embedded
#: in each membership (no request per user), which carries no locale / resource_type.
KNOWN_GAPS = {"users": frozenset({"locale", "resource_type"})}
STREAMS = tuple(name for name in COLLECTIONS if name != "invitee_no_shows")


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def same(db_value: Any, api_value: Any) -> bool:
    """Does a warehouse cell hold the API's value?"""
    if api_value is None or db_value is None:
        return api_value is None and db_value is None
    if isinstance(db_value, datetime):
        if db_value.tzinfo is None:  # target-postgres: timestamp without time zone, in UTC
            db_value = db_value.replace(tzinfo=UTC)
        return isinstance(api_value, str) and ts(api_value) == db_value.astimezone(UTC)
    if isinstance(api_value, dict | list):
        decoded = json.loads(db_value) if isinstance(db_value, str) else db_value
        return bool(decoded == api_value)
    return bool(db_value == api_value)


@dataclass
class Warehouse:
    """Query one engine; rows come back as dicts."""

    engine: str
    duckdb_path: Path | None = None
    postgres: PostgresServer | None = None

    def rows(self, sql: str, params: list[Any] | None = None) -> list[Row]:
        if self.engine == "duckdb":
            assert self.duckdb_path is not None
            with duckdb.connect(str(self.duckdb_path), read_only=True) as con:
                cur = con.execute(sql, params or [])
                names = [d[0] for d in cur.description or ()]
                return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        assert self.postgres is not None
        with self.postgres.connect() as con, con.cursor() as cur:
            cur.execute(sql.replace("?", "%s"), params or [])  # type: ignore[arg-type]
            names = [d.name for d in cur.description or ()]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def execute(self, sql: str) -> None:
        """Run one writing statement (tests that damage data on purpose, then repair it)."""
        if self.engine == "duckdb":
            with duckdb.connect(str(self.duckdb_path)) as con:
                con.execute(sql)
            return
        assert self.postgres is not None
        with self.postgres.connect() as con:
            con.execute(sql)  # type: ignore[arg-type]

    def table(self, schema: str, name: str) -> list[Row]:
        return self.rows(f'SELECT * FROM "{schema}"."{name}"')


def in_window(truth: Truth, since: datetime) -> dict[str, set[str]]:
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
    return {name: by_field.get(name, {r["uri"] for r in truth[name]}) for name in STREAMS}


def table_differences(
    read: Callable[[str], list[Row]],
    truth: Truth,
    since: datetime,
    removed: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Per stream: window records missing, rows the sandbox never had, fields that differ.

    ``removed`` URIs (records the sandbox deleted after an earlier sync: a member who
    left, a revoked invitation) may remain: the tap reads lists, which cannot say what
    disappeared.
    """
    problems: dict[str, Any] = {}
    for stream, wanted in in_window(truth, since).items():
        rows = {row["uri"]: row for row in read(stream)}
        expected = {record["uri"]: record for record in truth[stream]}
        missing = wanted - rows.keys()
        phantom = rows.keys() - expected.keys() - removed
        if missing or phantom:
            problems[stream] = {"missing": len(missing), "unknown": len(phantom)}
            continue
        wrong: dict[str, int] = {}
        gaps = KNOWN_GAPS.get(stream, frozenset())
        for uri in wanted:
            for key, value in expected[uri].items():
                if key in gaps and rows[uri].get(key, value) is None:
                    continue
                if key not in rows[uri] or not same(rows[uri][key], value):
                    wrong[key] = wrong.get(key, 0) + 1
        if wrong:
            problems[stream] = {"fields differing (records)": wrong}
    return problems


def duplicate_keys(read: Callable[[str], list[Row]]) -> dict[str, int]:
    """Streams whose table is empty (-1) or holds a key more than once (the excess)."""
    keys: dict[str, tuple[str, ...]] = dict.fromkeys(STREAMS, ("uri",))
    keys.update(SNAPSHOT_KEYS)
    found: dict[str, int] = {}
    for stream, columns in keys.items():
        rows = read(stream)
        distinct = {tuple(row[c] for c in columns) for row in rows}
        if not rows or len(distinct) != len(rows):
            found[stream] = len(rows) - len(distinct) if rows else -1
    return found


def assert_tables_equal_truth(
    read: Callable[[str], list[Row]],
    truth: Truth,
    since: datetime,
    removed: frozenset[str] = frozenset(),
) -> None:
    assert table_differences(read, truth, since, removed) == {}
    assert duplicate_keys(read) == {}
