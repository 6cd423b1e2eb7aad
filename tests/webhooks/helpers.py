"""Helpers for the webhook tests: signed envelopes, a receiver on a loopback port, batch
syncs (the tap into the loader, in-process) and comparisons with the sandbox's truth."""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import requests

from tap_calendly.loader.cli import run as run_loader
from tap_calendly.sandbox.runner import Sandbox
from tap_calendly.sandbox.store import parse_ts
from tap_calendly.webhooks.journal import Journal
from tap_calendly.webhooks.receiver import ReceiverApp, ReceiverConfig
from tap_calendly.webhooks.server import ReceiverServer
from tap_calendly.webhooks.signature import HEADER, sign
from tests.support.tap_run import select_streams, tap_output

KEY = "whsec-test-signing-key"
STREAMS = ("scheduled_events", "event_invitees", "routing_forms", "routing_form_submissions")
TABLES = ("scheduled_events", "event_invitees", "routing_form_submissions")
TS = "%Y-%m-%dT%H:%M:%SZ"


class Clock:
    """A settable unix-seconds clock for the receiver's timestamp check."""

    def __init__(self, now: float | None = None) -> None:
        self.now = time.time() if now is None else now

    def __call__(self) -> float:
        return self.now


def envelope(event: str, payload: dict[str, Any], created_at: str | None = None) -> bytes:
    return orjson.dumps(
        {
            "event": event,
            "created_at": created_at or payload.get("updated_at") or "2026-03-02T09:00:00.000000Z",
            "created_by": "https://api.calendly.com/users/OWNER",
            "payload": payload,
        }
    )


def invitee_payload(uri: str = "https://api.calendly.com/scheduled_events/E/invitees/I", **kw: Any):
    base: dict[str, Any] = {
        "uri": uri,
        "event": "https://api.calendly.com/scheduled_events/E",
        "status": "active",
        "updated_at": "2026-03-02T09:00:00.000000Z",
        "created_at": "2026-03-01T09:00:00.000000Z",
    }
    base.update(kw)
    return base


def signed_headers(body: bytes, key: str = KEY, at: float | None = None) -> dict[str, str]:
    stamp = int(time.time() if at is None else at)
    return {HEADER: sign(key, stamp, body), "Content-Type": "application/json"}


@dataclass
class Running:
    """A receiver serving from a thread, with its journal directory and clock."""

    server: ReceiverServer
    journal: Path
    clock: Clock

    @property
    def url(self) -> str:
        return self.server.url

    def post(self, body: bytes, headers: dict[str, str] | None = None) -> requests.Response:
        return requests.post(self.url, data=body, headers=headers or {}, timeout=10)

    def deliver(self, body: bytes, key: str = KEY) -> requests.Response:
        return self.post(body, signed_headers(body, key, self.clock()))

    def stored(self) -> int:
        with Journal(self.journal) as journal:
            return journal.counts()[0]


def start_receiver(journal: Path, clock: Callable[[], float], **config: Any) -> ReceiverServer:
    settings = {"signing_keys": (KEY,), **config}
    app = ReceiverApp(ReceiverConfig(clock=clock, **settings), journal)
    return ReceiverServer(app, "127.0.0.1", 0).start()


# -- batch syncs ------------------------------------------------------------------------


def batch_sync(
    sandbox: Sandbox,
    databases: list[Path],
    state: dict[str, Any] | None,
    workdir: Path,
    *,
    start_date: datetime,
    lookback_days: float,
    metadata: tuple[bool, ...] = (),
) -> dict[str, Any]:
    """One incremental run of the tap into the loader, in-process; the same output is
    loaded into every database in ``databases`` (``metadata[i]``: the loader's
    add_record_metadata for database i). Returns the loader's last STATE."""
    config = {
        "api_url": sandbox.url,
        "personal_access_token": sandbox.admin_token,
        "start_date": start_date.strftime(TS),
        "lookback_days": lookback_days,
    }
    printed, _ = tap_output(config, state, select_streams(*STREAMS))
    messages = workdir / "batch.singer"
    messages.write_text(printed, encoding="utf-8")
    last: dict[str, Any] = {}
    for index, database in enumerate(databases):
        target = workdir / f"target-{index}.json"
        target.write_text(
            json.dumps(
                {
                    "database": str(database),
                    "add_record_metadata": metadata[index] if index < len(metadata) else False,
                }
            )
        )
        printed, errors = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(errors):
            code = run_loader(["--config", str(target), "--input", str(messages)])
        assert code == 0, errors.getvalue()
        states = [json.loads(line) for line in printed.getvalue().splitlines() if line.strip()]
        last = states[-1] if states else last
    return last


# -- comparing with the sandbox's truth -------------------------------------------------


def table_rows(database: Path, table: str) -> dict[str, dict[str, Any]]:
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        kinds = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'calendly' AND table_name = ?",
                [table],
            ).fetchall()
        )
        cur = con.execute(f"SELECT * FROM calendly.{table}")
        names = [d[0] for d in cur.description or ()]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    assert rows, f"no rows in {database.name} calendly.{table}"
    for row in rows:
        for name, kind in kinds.items():
            if kind == "JSON" and row[name] is not None:
                row[name] = orjson.loads(row[name])
    return {row["uri"]: row for row in rows}


def differences(row: dict[str, Any], truth: dict[str, Any]) -> list[str]:
    """Columns whose value differs from the truth record (metadata columns ignored)."""
    wrong = []
    for name, value in row.items():
        if name.startswith("_sdc_"):
            continue
        expected = truth.get(name)
        if isinstance(value, datetime) and isinstance(expected, str):
            expected = parse_ts(expected)
        if value != expected:
            wrong.append(name)
    return wrong
