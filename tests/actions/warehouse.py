"""A DuckDB database loaded the real way (tap -> loader) from a sandbox, and readers."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import duckdb

from tap_calendly.sandbox.runner import Sandbox
from tap_calendly.tap import TapCalendly
from tests.support.loader import run_target


def load(sandbox: Sandbox, database: Path, work: Path) -> Path:
    """Sync every stream of ``sandbox`` into ``database`` with our tap and loader."""
    out = io.StringIO()
    config = {"personal_access_token": sandbox.admin_token, "api_url": sandbox.url}
    with contextlib.redirect_stdout(out):
        tap = TapCalendly(config=config, state={})
        try:
            tap.sync_all()
        finally:
            tap.sync_context.close()
    messages = work / "sync.singer"
    messages.write_text(out.getvalue(), encoding="utf-8")
    result = run_target(work, messages, database=str(database))
    assert result.code == 0, result.stderr
    return database


def tables(database: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(database), read_only=True) as con:
        found = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' ORDER BY 1, 2"
        ).fetchall()
    return [(str(s), str(t)) for s, t in found]


def dump(database: Path) -> dict[str, set[str]]:
    """Every row of every table as one text line (all columns), per table."""
    out: dict[str, set[str]] = {}
    with duckdb.connect(str(database), read_only=True) as con:
        for schema, table in tables(database):
            columns = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                    [schema, table],
                ).fetchall()
            ]
            text = " || chr(30) || ".join(
                f"coalesce(CAST(\"{c}\" AS VARCHAR), '<null>')" for c in columns
            )
            rows = con.execute(f'SELECT {text} FROM "{schema}"."{table}"').fetchall()
            out[f"{schema}.{table}"] = {str(r[0]) for r in rows}
    return out


def holding(snapshot: dict[str, set[str]], needle: str) -> dict[str, int]:
    """Rows per table whose text contains ``needle`` (case-insensitive)."""
    low = needle.lower()
    counts = {t: sum(low in r.lower() for r in rows) for t, rows in snapshot.items()}
    return {t: n for t, n in counts.items() if n}


def query(database: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()
