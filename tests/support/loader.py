"""Shared helpers for loader tests: run the target in-process and read tables back."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from tap_calendly.loader.cli import run

SCHEMA = "calendly"


@dataclass
class Run:
    code: int
    states: list[Any]
    stderr: str
    database: Path

    @property
    def error(self) -> str:
        """The one error line (asserts there is exactly one)."""
        lines = [
            ln for ln in self.stderr.splitlines() if ln.startswith("target-calendly-duckdb: error:")
        ]
        assert len(lines) == 1, self.stderr
        return lines[0]


def as_line(message: Any) -> str:
    if isinstance(message, bytes):
        return message.decode()
    if isinstance(message, str):
        return message
    return json.dumps(message)


def write_input(path: Path, messages: list[Any]) -> Path:
    path.write_text("".join(as_line(m).rstrip("\n") + "\n" for m in messages), encoding="utf-8")
    return path


def run_target(tmp_path: Path, messages: list[Any] | Path, name: str = "run", **config: Any) -> Run:
    """Run the console script's code path in-process on ``messages``; capture states and errors."""
    database = Path(config.pop("database", tmp_path / "out.duckdb"))
    settings = {"database": str(database), **config}
    cfg = tmp_path / f"{name}.config.json"
    cfg.write_text(json.dumps(settings), encoding="utf-8")
    source = (
        messages
        if isinstance(messages, Path)
        else write_input(tmp_path / f"{name}.singer", messages)
    )
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["--config", str(cfg), "--input", str(source)])
    states = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    return Run(code, states, err.getvalue(), database)


@contextlib.contextmanager
def held_open(database: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding ``database`` open (DuckDB's write lock) until the block ends."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; con = duckdb.connect({str(database)!r}); "
            "print('locked', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.communicate("")


def rows(
    database: Path, table: str, order_by: str | None = None, schema: str = SCHEMA
) -> list[dict[str, Any]]:
    with duckdb.connect(str(database), read_only=True) as con:
        order = f" ORDER BY {order_by}" if order_by else ""
        (catalog,) = con.execute("SELECT current_database()").fetchone() or ("",)
        cur = con.execute(f'SELECT * FROM "{catalog}"."{schema}"."{table}"{order}')
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def column_types(database: Path, table: str, schema: str = SCHEMA) -> dict[str, str]:
    with duckdb.connect(str(database), read_only=True) as con:
        found = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, table],
        ).fetchall()
    return {str(n): str(t) for n, t in found}


def tables(database: Path, schema: str = SCHEMA) -> set[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        found = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [schema]
        ).fetchall()
    return {str(t[0]) for t in found}


def schema_msg(
    stream: str, properties: dict[str, Any], keys: list[str] | None = None
) -> dict[str, Any]:
    return {
        "type": "SCHEMA",
        "stream": stream,
        "schema": {"type": "object", "properties": properties},
        "key_properties": keys if keys is not None else [],
    }


def record(stream: str, rec: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "RECORD", "stream": stream, "record": rec, **extra}


def state(value: Any) -> dict[str, Any]:
    return {"type": "STATE", "value": value}
