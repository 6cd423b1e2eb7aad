"""Rows the API stops returning are retired in DuckDB: tap | loader, twice.

A full sync loads the org; then a plain member is removed and a pending invitation is
revoked in the sandbox, and an incremental run (with the first run's state) follows.
The full-table streams' ACTIVATE_VERSION must retire exactly the rows that are gone
(``_sdc_deleted_at`` set by default, deleted with ``hard_delete``) and leave every
other row live; a retired row that comes back is live again.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tap_calendly.demo.pipeline import run_pipe
from tap_calendly.sandbox import ops
from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tap_calendly.tap import TapCalendly

BIN = Path(sys.executable).parent
FULL_TABLE = (
    "organization_memberships",
    "users",
    "organization_invitations",
    "user_availability_schedules",
    "user_busy_times",
    "webhook_subscriptions",
)
INCREMENTAL = ("scheduled_events",)
Record = dict[str, Any]


@dataclass
class Pipeline:
    """One sandbox, one DuckDB file, runs of tap | loader carrying state forward."""

    sandbox: Sandbox
    work: Path
    state: dict[str, Any] | None = None

    def run(self) -> None:
        tap = [str(BIN / "tap-calendly"), "--config", str(self.work / "tap.json")]
        tap += ["--catalog", str(self.work / "catalog.json")]
        if self.state is not None:
            (self.work / "state.json").write_text(json.dumps(self.state))
            tap += ["--state", str(self.work / "state.json")]
        target = [str(BIN / "target-calendly-duckdb"), "--config", str(self.work / "target.json")]
        result = run_pipe(tap, target, timeout=120)
        assert result.target_states, result.target_stderr
        self.state = result.target_states[-1]

    def rows(self, table: str) -> list[Record]:
        with duckdb.connect(str(self.work / "w.duckdb"), read_only=True) as con:
            cur = con.execute(f"SELECT * FROM calendly.{table}")
            names = [d[0] for d in cur.description or ()]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def live(self, table: str, key: str = "uri") -> set[str]:
        return {r[key] for r in self.rows(table) if r.get("_sdc_deleted_at") is None}

    def retired(self, table: str, key: str = "uri") -> set[str]:
        return {r[key] for r in self.rows(table) if r.get("_sdc_deleted_at") is not None}


def catalog() -> dict[str, Any]:
    tap = TapCalendly(config={}, validate_config=False, setup_mapper=False)
    found = json.loads(json.dumps(tap.catalog_dict))
    for entry in found["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] in FULL_TABLE + INCREMENTAL
    return dict(found)


@pytest.fixture(params=[False, True], ids=["soft", "hard"])
def pipeline(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pipeline]:
    settings = SandboxSettings(
        seed=17, scale="small", rate_limit_per_minute=1_000_000, webhooks=False
    )
    with Sandbox(settings) as sandbox:
        now = datetime.fromisoformat(sandbox.info()["now"].replace("Z", "+00:00"))
        tap_config = {
            "api_url": sandbox.url,
            "personal_access_token": sandbox.admin_token,
            "start_date": (now - timedelta(days=14)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        (tmp_path / "tap.json").write_text(json.dumps(tap_config))
        (tmp_path / "catalog.json").write_text(json.dumps(catalog()))
        target_config = {
            "database": str(tmp_path / "w.duckdb"),
            "schema": "calendly",
            "hard_delete": request.param,
        }
        (tmp_path / "target.json").write_text(json.dumps(target_config))
        yield Pipeline(sandbox, tmp_path)


def truth_uris(sandbox: Sandbox, stream: str) -> set[str]:
    return {r["uri"] for r in sandbox.ground_truth()[stream]}


def test_departed_member_and_revoked_invitation_are_retired(pipeline: Pipeline) -> None:
    sandbox = pipeline.sandbox
    org = sandbox.org
    hard = json.loads((pipeline.work / "target.json").read_text())["hard_delete"]
    pipeline.run()
    first_events = pipeline.live("scheduled_events")
    assert first_events
    for stream in ("organization_memberships", "users", "organization_invitations"):
        assert pipeline.live(stream) == truth_uris(sandbox, stream), stream
        assert not pipeline.retired(stream)

    member = min(
        (m for m in org.records("organization_memberships") if m["role"] == "user"),
        key=lambda m: m["uri"],
    )
    user_uri = member["user"]["uri"]
    invitation = min(
        (i for i in org.records("organization_invitations") if i["status"] == "pending"),
        key=lambda i: i["uri"],
    )
    saved_user = dict(org.collections["users"][user_uri])
    ops.remove_membership(org, member["uri"])
    ops.revoke_invitation(org, invitation["uri"])
    before = {t: pipeline.rows(t) for t in FULL_TABLE}
    pipeline.run()

    gone = {
        "organization_memberships": member["uri"],
        "users": user_uri,
        "organization_invitations": invitation["uri"],
    }
    for stream, uri in gone.items():
        assert pipeline.live(stream) == truth_uris(sandbox, stream), stream
        assert uri not in pipeline.live(stream), stream
        if hard:
            assert uri not in {r["uri"] for r in pipeline.rows(stream)}, stream
            assert not pipeline.retired(stream)
        else:
            assert pipeline.retired(stream) == {uri}, stream
    # The member's schedules and busy blocks went with them.
    for table in ("user_availability_schedules", "user_busy_times"):
        mine = [r for r in pipeline.rows(table) if r["user"] == user_uri]
        assert all(r["_sdc_deleted_at"] is not None for r in mine), table
        if hard:
            assert not mine, table
        elif table == "user_availability_schedules":
            assert mine  # every member has one
    # Every full-table row is either of this run's version and live, or older and retired.
    for table in FULL_TABLE:
        rows = pipeline.rows(table)
        assert rows, table
        version = max(r["_sdc_table_version"] for r in rows)
        for row in rows:
            current = row["_sdc_table_version"] == version
            assert current == (row.get("_sdc_deleted_at") is None), (table, row)
        assert len(rows) >= (0 if hard else len(before[table]))
    # Incremental streams are never retired.
    assert pipeline.live("scheduled_events") >= first_events
    assert not pipeline.retired("scheduled_events")

    if hard:
        return
    # The member comes back (same URIs): their rows are live again, nothing else moves.
    with org.lock:
        org.put("organization_memberships", member)
        org.put("users", saved_user)
    pipeline.run()
    assert member["uri"] in pipeline.live("organization_memberships")
    assert user_uri in pipeline.live("users")
    assert pipeline.retired("organization_memberships") == set()
    assert pipeline.retired("organization_invitations") == {invitation["uri"]}
