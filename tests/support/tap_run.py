"""Tap test helpers: an in-process sandbox, a tap runner and their fixtures."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tap_calendly.api.ratelimit import RateLimiter
from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tap_calendly.tap import TapCalendly


@dataclass
class SyncResult:
    """What one tap run wrote to stdout, parsed."""

    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    states: list[dict[str, Any]] = field(default_factory=list)
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    tap: TapCalendly | None = None

    @property
    def state(self) -> dict[str, Any]:
        return self.states[-1] if self.states else {}

    def by_uri(self, stream: str) -> dict[str, dict[str, Any]]:
        return {r["uri"]: r for r in self.records.get(stream, [])}


class FakeTime:
    """A clock that jumps instead of sleeping: rate-limit waits and backoffs cost
    nothing in tests, while the waits are still counted."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return time.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.offset += seconds
        time.sleep(0.0005)  # yield to other threads


def tap_output(
    config: dict[str, Any],
    state: dict[str, Any] | None = None,
    catalog: dict | None = None,
    fake_time: FakeTime | None = None,
) -> tuple[str, TapCalendly]:
    """Run a full ``sync_all`` in-process; the Singer lines it printed, and the tap."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        tap = TapCalendly(config=config, state=state or {}, catalog=catalog)
        if fake_time is not None:
            transport = tap.sync_context.client.transport
            transport.limiter = RateLimiter(
                requests_per_minute=tap.settings.requests_per_minute,
                clock=fake_time.clock,
                sleep=fake_time.sleep,
            )
            transport.sleep = fake_time.sleep
        try:
            tap.sync_all()
        finally:
            tap.sync_context.close()
    return out.getvalue(), tap


def run_tap(
    config: dict[str, Any],
    state: dict[str, Any] | None = None,
    catalog: dict | None = None,
    fake_time: FakeTime | None = None,
) -> SyncResult:
    """Run a full ``sync_all`` in-process and parse the Singer messages."""
    printed, tap = tap_output(config, state, catalog, fake_time)
    result = SyncResult(tap=tap)
    for line in printed.splitlines():
        message = json.loads(line)
        kind = message["type"]
        if kind == "RECORD":
            result.records.setdefault(message["stream"], []).append(message["record"])
        elif kind == "STATE":
            result.states.append(message["value"])
        elif kind == "SCHEMA":
            result.schemas[message["stream"]] = message["schema"]
    return result


def select_streams(*names: str) -> dict[str, Any]:
    """A catalog with only ``names`` selected (parents of selected children still run)."""
    tap = TapCalendly(config={}, validate_config=False, setup_mapper=False)
    catalog = json.loads(json.dumps(tap.catalog_dict))
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] in names
    return catalog


def tap_config(sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    """Settings that reach ``sandbox`` as its admin: the tap's config, and equally the
    settings of a CalendlyClient or the actions' Calendly (one Settings definition)."""
    return {"personal_access_token": sandbox.admin_token, "api_url": sandbox.url, **extra}


def sync_to_file(sandbox: Sandbox, out: Path, *, days: int) -> datetime:
    """The installed tap's sync of ``sandbox`` from ``days`` before the sandbox's clock, as a
    file of Singer messages (``out``; its config beside it); returns that clock."""
    now = datetime.fromisoformat(sandbox.info()["now"].replace("Z", "+00:00"))
    start = (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    config = out.with_name("tap.json")
    config.write_text(json.dumps(tap_config(sandbox, start_date=start)))
    with out.open("wb") as handle:
        subprocess.run(
            [str(Path(sys.executable).parent / "tap-calendly"), "--config", str(config)],
            stdout=handle,
            stderr=subprocess.DEVNULL,
            check=True,
            timeout=300,
        )
    return now


@pytest.fixture(name="run_tap")
def run_tap_fixture() -> Any:
    """The :func:`run_tap` helper as a fixture."""
    return run_tap


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture(name="select_streams")
def select_streams_fixture() -> Any:
    return select_streams


@pytest.fixture(name="tap_config")
def tap_config_fixture() -> Any:
    return tap_config


@pytest.fixture
def make_sandbox() -> Iterator[Any]:
    """Start sandboxes on demand; all are stopped after the test."""
    started: list[Sandbox] = []

    def start(**settings: Any) -> Sandbox:
        settings.setdefault("rate_limit_per_minute", 1_000_000)
        settings.setdefault("webhooks", False)
        sandbox = Sandbox(SandboxSettings(**settings)).start()
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()
