"""ACTIVATE_VERSION: exactly one per full-table stream per run, after its records.

The SDK would send one at the start of every ``sync`` call, i.e. once per parent for
child streams (users, availability snapshots); the tap sends one per stream instead,
after the stream's last record, with the version its records carry.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tap_calendly.tap import TapCalendly

INCREMENTAL = {
    "scheduled_events",
    "event_invitees",
    "routing_form_submissions",
    "activity_log_entries",
}
FULL_TABLE = {
    "organization_memberships",
    "users",
    "organization_invitations",
    "groups",
    "event_types",
    "routing_forms",
    "webhook_subscriptions",
    "user_busy_times",
    "event_type_available_times",
    "user_availability_schedules",
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    settings = SandboxSettings(
        seed=21, scale="small", rate_limit_per_minute=1_000_000, webhooks=False
    )
    with Sandbox(settings) as running:
        yield running


def config(sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    now = datetime.fromisoformat(sandbox.info()["now"].replace("Z", "+00:00"))
    return {
        "personal_access_token": sandbox.admin_token,
        "api_url": sandbox.url,
        # 90 days keeps the incremental streams short but not empty
        "start_date": (now - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **extra,
    }


def messages(config: dict[str, Any], catalog: dict[str, Any] | None = None) -> list[dict]:
    """Every Singer message of one in-process run, in order."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        tap = TapCalendly(config=config, catalog=catalog)
        try:
            tap.sync_all()
        finally:
            tap.sync_context.close()
    return [json.loads(line) for line in out.getvalue().splitlines()]


def of_type(found: list[dict], kind: str) -> list[tuple[int, dict]]:
    return [(i, m) for i, m in enumerate(found) if m["type"] == kind]


def test_stream_replication_methods_match_the_expected_split() -> None:
    tap = TapCalendly(config={}, validate_config=False, setup_mapper=False)
    methods = {name: s.replication_method for name, s in tap.streams.items()}
    assert {n for n, m in methods.items() if m == "FULL_TABLE"} == FULL_TABLE
    assert {n for n, m in methods.items() if m == "INCREMENTAL"} == INCREMENTAL
    assert "activate-version" in [str(c) for c in TapCalendly.capabilities]
    setting = TapCalendly.config_jsonschema["properties"]["emit_activate_version_messages"]
    assert setting["default"] is True


def test_one_activate_version_per_full_table_stream_after_its_records(
    sandbox: Sandbox,
) -> None:
    found = messages(config(sandbox))
    activations = of_type(found, "ACTIVATE_VERSION")
    records = of_type(found, "RECORD")
    per_stream = {m["stream"] for _, m in activations}
    assert sorted(m["stream"] for _, m in activations) == sorted(FULL_TABLE)
    assert not per_stream & INCREMENTAL
    versions = {m["version"] for _, m in activations}
    assert len(versions) == 1  # one run, one version
    (version,) = versions
    assert isinstance(version, int)
    assert version > 10**12  # epoch milliseconds: two runs in one second still differ
    for index, message in activations:
        stream = message["stream"]
        mine = [(i, m) for i, m in records if m["stream"] == stream]
        assert mine, stream  # the sandbox has rows for every full-table stream
        assert all(m["version"] == version for _, m in mine), stream
        assert max(i for i, _ in mine) < index, f"{stream}: ACTIVATE_VERSION before a record"
        schema_at = min(i for i, m in of_type(found, "SCHEMA") if m["stream"] == stream)
        assert schema_at < index
    for stream in INCREMENTAL:
        mine = [m for _, m in records if m["stream"] == stream]
        assert mine, stream
        assert all(m.get("version") is None for m in mine), stream


def test_setting_false_sends_no_activate_version(sandbox: Sandbox) -> None:
    found = messages(config(sandbox, emit_activate_version_messages=False))
    assert not of_type(found, "ACTIVATE_VERSION")
    records = of_type(found, "RECORD")
    assert len(records) > 100
    assert all(m.get("version") is None for _, m in records)


def test_selected_child_alone_is_activated_once(sandbox: Sandbox) -> None:
    """Only ``users`` selected: its parent runs unselected and sends nothing."""
    tap = TapCalendly(config={}, validate_config=False, setup_mapper=False)
    catalog = json.loads(json.dumps(tap.catalog_dict))
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] == "users"
    found = messages(config(sandbox), catalog)
    assert [m["stream"] for _, m in of_type(found, "ACTIVATE_VERSION")] == ["users"]
    assert {m["stream"] for _, m in of_type(found, "RECORD")} == {"users"}


def test_stream_cut_short_by_403_is_not_activated(sandbox: Sandbox) -> None:
    """A non-admin cannot list invitations (403, skipped): its rows must not be retired."""
    found = messages(config(sandbox, personal_access_token=sandbox.user_token, scope="user"))
    activated = [m["stream"] for _, m in of_type(found, "ACTIVATE_VERSION")]
    assert "organization_invitations" not in activated
    assert "organization_invitations" not in {m["stream"] for _, m in of_type(found, "RECORD")}
    assert sorted(activated) == sorted(FULL_TABLE - {"organization_invitations"})
