"""Faults, OAuth rotation mid-sync, plan gating and a non-admin token in user scope."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import requests


def assert_matches_truth(result, truth, streams=("scheduled_events", "event_invitees")):
    for stream in streams:
        emitted = [r["uri"] for r in result.records[stream]]
        assert len(emitted) == len(set(emitted)), f"duplicates in {stream}"
        assert result.by_uri(stream) == {r["uri"]: r for r in truth[stream]}, stream


@pytest.mark.slow
def test_faults_still_give_a_complete_duplicate_free_result(
    make_sandbox, run_tap, tap_config, fake_time
):
    sandbox = make_sandbox(scale="small", seed=3)
    truth = sandbox.ground_truth()
    sandbox.configure(
        faults={
            "seed": 1,
            "rates": {"500": 0.01, "502": 0.01, "503": 0.01, "reset": 0.01, "truncate": 0.01},
            "schedule": [
                "GET /scheduled_events#2=503x2",
                "GET /scheduled_events/{uuid}/invitees#40=429",
                "GET /scheduled_events/{uuid}/invitees#300=stall",
                "GET /users/me#1=truncate",
            ],
            "burst": 5,
            "stall_seconds": 1.5,
        }
    )
    result = run_tap(tap_config(sandbox, request_timeout=0.5, max_retries=8), fake_time=fake_time)
    assert_matches_truth(
        result, truth, ("scheduled_events", "event_invitees", "routing_form_submissions")
    )
    injected = sandbox.app.faults.injected
    assert injected.get("429", 0) >= 1
    assert injected.get("stall", 0) == 1
    assert injected.get("truncate", 0) >= 1
    limiter = result.tap.sync_context.client.limiter
    assert limiter.stats.throttled >= 5  # the whole burst was waited out, not retried blind
    assert limiter.stats.wait_seconds >= 59  # waited for the reported reset (60 s)


@pytest.mark.slow
def test_oauth_access_token_expires_mid_sync_and_refresh_token_rotates(
    make_sandbox, run_tap, select_streams, tmp_path
):
    sandbox = make_sandbox(scale="small", seed=4)
    truth = sandbox.ground_truth()
    first_refresh = sandbox.issue_refresh_token()
    token_file = tmp_path / "calendly-tokens.json"
    config = {
        "api_url": sandbox.url,
        "client_id": sandbox.oauth_client_id,
        "client_secret": sandbox.oauth_client_secret,
        "refresh_token": first_refresh,
        "oauth_token_url": sandbox.token_url,
        "token_file": str(token_file),
    }
    # Expire the access token (2 h TTL, simulated clock) once the sync is under way.
    stop = threading.Event()

    def expire_mid_sync() -> None:
        while not stop.wait(0.01):
            if sum(sandbox.request_counts().values()) > 300:
                sandbox.org.clock.advance(timedelta(hours=3))
                return

    watcher = threading.Thread(target=expire_mid_sync, daemon=True)
    watcher.start()
    try:
        result = run_tap(config, catalog=select_streams("scheduled_events", "event_invitees"))
    finally:
        stop.set()
        watcher.join()
    assert_matches_truth(result, truth)
    tokens = result.tap.sync_context.client.transport.tokens
    assert tokens.refreshes == 2  # the first access token, then the mid-sync rotation
    saved = token_file.read_text()
    assert first_refresh not in saved
    assert (token_file.stat().st_mode & 0o777) == 0o600
    # The original refresh token is now rejected by the server...
    rejected = requests.post(
        sandbox.token_url,
        data={"grant_type": "refresh_token", "refresh_token": first_refresh},
        auth=(sandbox.oauth_client_id, sandbox.oauth_client_secret),
        timeout=10,
    )
    assert rejected.status_code in (400, 401)
    # ...but a second run with the same config works: the token file wins.
    again = run_tap(config, catalog=select_streams("event_types"))
    assert len(again.records["event_types"]) == len(truth["event_types"])
    # The saved access token is still valid.
    assert again.tap.sync_context.client.transport.tokens.refreshes == 0


def test_activity_log_is_skipped_with_one_warning_on_a_non_enterprise_plan(
    make_sandbox, run_tap, tap_config, select_streams, caplog
):
    sandbox = make_sandbox(scale="small", seed=6, plan="professional")
    catalog = select_streams("activity_log_entries", "scheduled_events", "webhook_subscriptions")
    with caplog.at_level("WARNING"):
        result = run_tap(tap_config(sandbox), catalog=catalog)
    assert "activity_log_entries" not in result.records
    warnings = [r for r in caplog.records if "activity_log_entries" in r.getMessage()]
    assert len(warnings) == 1
    assert "access denied" in warnings[0].getMessage()
    assert len(result.records["scheduled_events"]) == len(
        sandbox.ground_truth()["scheduled_events"]
    )


def test_non_admin_token_in_user_scope_syncs_own_data(make_sandbox, run_tap):
    sandbox = make_sandbox(scale="small", seed=8)
    truth = sandbox.ground_truth()
    config = {"personal_access_token": sandbox.user_token, "api_url": sandbox.url, "scope": "user"}
    result = run_tap(config)
    me = result.tap.sync_context.owner().user_uri
    mine = [
        e for e in truth["scheduled_events"] if any(m["user"] == me for m in e["event_memberships"])
    ]
    assert mine, "the plain member hosts events in the sandbox"
    assert result.by_uri("scheduled_events") == {e["uri"]: e for e in mine}
    assert {u["uri"] for u in result.records["users"]} == {me}
    assert [m["user"]["uri"] for m in result.records["organization_memberships"]] == [me]
    invitees = {i["uri"] for i in truth["event_invitees"] if i["event"] in {e["uri"] for e in mine}}
    assert set(result.by_uri("event_invitees")) == invitees
    # Admin-only lists were skipped, not fatal.
    assert "organization_invitations" not in result.records
    assert "activity_log_entries" not in result.records


def run_cli(config: dict, tmp_path) -> subprocess.CompletedProcess:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    return subprocess.run(
        [str(Path(sys.executable).parent / "tap-calendly"), "--config", str(config_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_bad_token_ends_in_one_line_without_traceback_or_secret(make_sandbox, tmp_path):
    sandbox = make_sandbox(scale="small", seed=9)
    config = {"personal_access_token": "not-a-valid-token-XYZ", "api_url": sandbox.url}
    done = run_cli(config, tmp_path)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "tap-calendly: " in line]
    assert len(errors) == 1
    assert "401" in errors[0]
    assert "XYZ" not in done.stderr
    assert "Traceback" not in done.stderr


def test_unreachable_api_url_is_one_clear_line(tmp_path):
    config = {"personal_access_token": "tok-XYZ", "api_url": "http://127.0.0.1:9", "max_retries": 1}
    done = run_cli(config, tmp_path)
    assert done.returncode == 1
    assert "cannot reach http://127.0.0.1:9" in done.stderr
    assert "XYZ" not in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_credentials_is_one_clear_line(tmp_path):
    done = run_cli({"api_url": "http://127.0.0.1:9"}, tmp_path)
    assert done.returncode == 1
    assert "no credentials" in done.stderr
    assert "Traceback" not in done.stderr
