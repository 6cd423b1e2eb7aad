"""OAuth, end to end: sandbox -> ``tap-calendly`` (a process) -> loader -> DuckDB.

- The access token expires mid-sync: one refresh, the sync continues, DuckDB equals the
  ground truth, and the rotated refresh token is in the token file (0600), unspent.
- The token file cannot be written (an unwritable folder, a full disk, a folder that
  turns into a file mid-sync): the run stops with one line before the refresh token is
  spent; the refresh token on disk still works afterwards.
(That the token request never follows a redirect is in test_hostile_input.py.)
"""

from __future__ import annotations

import json
import resource
import stat
import subprocess
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tap_calendly.streams import STREAM_TYPES
from tap_calendly.windows import parse_datetime
from tests.reliability.cli import ERROR_MARK, TAP, clean_env
from tests.reliability.e2e import compare_with_truth, iso, loader_config, pipe_sync
from tests.support.tap_run import select_streams

TOKEN_POSTS = "POST /oauth/token"
#: The test moves the sandbox clock 3 h mid-sync to expire the access token; availability
#: windows computed before the jump would then start in the server's past (a 400), so the
#: snapshot streams are left out: this test is about OAuth.
SNAPSHOTS = ("user_busy_times", "event_type_available_times")
WITHOUT_AVAILABILITY = select_streams(*(t.name for t in STREAM_TYPES if t.name not in SNAPSHOTS))


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    settings = SandboxSettings(seed=9, scale="small", rate_limit_per_minute=10**6, webhooks=False)
    with Sandbox(settings) as running:
        yield running


def oauth_tap_config(sandbox: Sandbox, token_file: Path, refresh: str) -> dict[str, Any]:
    since = parse_datetime(sandbox.info()["now"]) - timedelta(days=15)
    return {
        "api_url": sandbox.url,
        "client_id": sandbox.oauth_client_id,
        "client_secret": sandbox.oauth_client_secret,
        "refresh_token": refresh,
        "oauth_token_url": sandbox.token_url,
        "token_file": str(token_file),
        "start_date": iso(since),
        "availability_horizon_days": 1,
    }


def write(path: Path, value: object) -> Path:
    path.write_text(json.dumps(value))
    return path


def refresh_works(sandbox: Sandbox, refresh: str) -> bool:
    """Unspent: the sandbox still holds it as a valid refresh token."""
    store = sandbox.app.tokens
    return refresh in store._refresh and refresh not in store._used_refresh


def test_expiry_mid_sync_refreshes_once_and_the_sync_completes(sandbox: Sandbox, tmp_path: Path):
    first = sandbox.issue_refresh_token()
    (tmp_path / "tokens").mkdir()
    token_file = tmp_path / "tokens" / "calendly.json"
    config = oauth_tap_config(sandbox, token_file, first)
    stop = threading.Event()

    def expire_mid_sync() -> None:
        while not stop.wait(0.005):
            if sum(sandbox.request_counts().values()) > 60:
                sandbox.org.clock.advance(timedelta(hours=3))  # past the 2 h lifetime
                return

    watcher = threading.Thread(target=expire_mid_sync, daemon=True)
    watcher.start()
    database = tmp_path / "oauth.duckdb"
    try:
        done = pipe_sync(
            write(tmp_path / "tap.json", config),
            write(tmp_path / "loader.json", loader_config(database, tmp_path)),
            catalog_file=write(tmp_path / "catalog.json", WITHOUT_AVAILABILITY),
            workdir=tmp_path,
        )
    finally:
        stop.set()
        watcher.join()
    assert (done.tap_code, done.loader_code) == (0, 0), done.tap_stderr[-3000:]
    # One grant at the start, one when the access token expired: never more.
    assert sandbox.request_counts()[TOKEN_POSTS] == 2
    since = parse_datetime(config["start_date"])
    truth = sandbox.ground_truth()
    # The clock moved 3 h mid-sync: compare what that sync could see (its window).
    comparison = compare_with_truth(database, truth, since=since, window=since)
    assert comparison.mismatches == 0, comparison.examples
    saved = json.loads(token_file.read_text())
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert refresh_works(sandbox, saved["refresh_token"])  # rotated, persisted, unspent
    assert not refresh_works(sandbox, first)


def run_tap_once(tmp_path: Path, config: dict[str, Any], **popen: Any) -> Any:
    return subprocess.run(
        [str(TAP), "--config", str(write(tmp_path / "tap.json", config))],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=clean_env(),
        **popen,
    )


def assert_stopped_unspent(done: Any, sandbox: Sandbox, refresh: str, expect: str) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if ERROR_MARK in line]
    assert len(lines) == 1, done.stderr[-3000:]
    assert expect in lines[0]
    assert "still valid" in lines[0]
    assert refresh not in done.stdout + done.stderr
    assert sandbox.request_counts().get(TOKEN_POSTS, 0) == 0  # never spent
    assert refresh_works(sandbox, refresh)


def test_unwritable_token_folder_stops_before_the_refresh_token_is_spent(
    sandbox: Sandbox, tmp_path: Path
):
    refresh = sandbox.issue_refresh_token()
    # /sys refuses new files even to root (the tests may run as root).
    config = oauth_tap_config(sandbox, Path("/sys/calendly-tokens.json"), refresh)
    done = run_tap_once(tmp_path, config)
    assert_stopped_unspent(done, sandbox, refresh, "token_file")


def test_missing_token_folder_stops_before_the_refresh_token_is_spent(
    sandbox: Sandbox, tmp_path: Path
):
    refresh = sandbox.issue_refresh_token()
    config = oauth_tap_config(sandbox, tmp_path / "absent" / "tokens.json", refresh)
    done = run_tap_once(tmp_path, config)
    assert_stopped_unspent(done, sandbox, refresh, "token_file")
    assert not (tmp_path / "absent").exists()


def test_full_disk_stops_before_the_refresh_token_is_spent(sandbox: Sandbox, tmp_path: Path):
    """A file-size limit of 0 makes every write to a file fail (EFBIG), like a full disk."""
    refresh = sandbox.issue_refresh_token()
    config = oauth_tap_config(sandbox, tmp_path / "tokens.json", refresh)

    def no_file_space() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))

    done = run_tap_once(tmp_path, config, preexec_fn=no_file_space)
    assert_stopped_unspent(done, sandbox, refresh, "cannot write token_file")


def test_token_folder_lost_mid_sync_stops_without_spending_the_rotated_token(
    sandbox: Sandbox, tmp_path: Path
):
    first = sandbox.issue_refresh_token()
    folder = tmp_path / "tokens"
    folder.mkdir()
    config = oauth_tap_config(sandbox, folder / "calendly.json", first)
    stop = threading.Event()
    moved = tmp_path / "tokens-moved"

    def break_disk_then_expire() -> None:
        while not stop.wait(0.005):
            if sum(sandbox.request_counts().values()) > 60:
                folder.rename(moved)
                folder.write_text("now a file, not a folder")
                sandbox.org.clock.advance(timedelta(hours=3))
                return

    watcher = threading.Thread(target=break_disk_then_expire, daemon=True)
    watcher.start()
    try:
        done = run_tap_once(tmp_path, config)
    finally:
        stop.set()
        watcher.join()
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if ERROR_MARK in line]
    assert len(lines) == 1, done.stderr[-3000:]
    assert "token_file" in lines[0]
    assert sandbox.request_counts()[TOKEN_POSTS] == 1  # the second refresh never sent
    rotated = json.loads((moved / "calendly.json").read_text())["refresh_token"]
    assert refresh_works(sandbox, rotated)  # what was saved before the loss still works
