"""Control endpoints and the ``tap-calendly-sandbox`` command line."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests

from tap_calendly.sandbox.cli import build_parser, main


def test_info_and_config_over_http(sandbox):
    info = requests.get(f"{sandbox.url}/_sandbox/info", timeout=5).json()
    assert info["url"] == sandbox.url
    assert info["admin_token"] == sandbox.admin_token
    assert info["oauth_client_id"] == sandbox.oauth_client_id
    changed = requests.post(
        f"{sandbox.url}/_sandbox/config", json={"rate_limit_per_minute": 7}, timeout=5
    ).json()
    assert changed["rate_limit_per_minute"] == 7
    response = requests.get(
        f"{sandbox.url}/users/me",
        headers={"Authorization": f"Bearer {sandbox.admin_token}"},
        timeout=5,
    )
    assert response.headers["X-RateLimit-Limit"] == "7"
    bad = requests.post(f"{sandbox.url}/_sandbox/config", json={"nope": 1}, timeout=5)
    assert bad.status_code == 400


def test_ground_truth_over_http(sandbox):
    truth = requests.get(f"{sandbox.url}/_sandbox/ground_truth", timeout=10).json()
    assert len(truth["scheduled_events"]) == len(sandbox.org.collections["scheduled_events"])


def test_stats_reset(sandbox, admin):
    admin.get(f"{sandbox.url}/users/me")
    assert requests.get(f"{sandbox.url}/_sandbox/stats", timeout=5).json()["requests"] == {
        "GET /users/me": 1
    }
    requests.post(f"{sandbox.url}/_sandbox/stats/reset", timeout=5)
    assert sandbox.request_counts() == {}


def test_help_documents_every_serve_option():
    parser = build_parser()
    serve = parser._subparsers._group_actions[0].choices["serve"]
    for action in serve._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, f"{action.option_strings} has no help"


def test_bad_fault_option_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["serve", "--fault-rate", "explode=0.5"])
    assert exc.value.code == 2


def test_unreachable_sandbox_is_one_line_error(capsys):
    assert main(["stats", "--url", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tap-calendly-sandbox: error: cannot reach the sandbox")
    assert "\n" not in err


def test_serve_writes_ready_file(tmp_path):
    ready = tmp_path / "ready.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tap_calendly.sandbox.cli",
            "serve",
            "--port",
            "0",
            "--now",
            "2026-03-02T09:00:00Z",
            "--ready-file",
            str(ready),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(600):  # up to 30 s on a busy machine
            if ready.exists() and ready.stat().st_size:
                break
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        me = requests.get(
            f"{info['url']}/users/me",
            headers={"Authorization": f"Bearer {info['admin_token']}"},
            timeout=5,
        )
        assert me.status_code == 200
        assert me.headers["Date"] == "Mon, 02 Mar 2026 09:00:00 GMT"
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert out.strip() == info["url"]


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--latency-ms", "-5"], "--latency-ms"),
        (["--rate-limit", "0"], "--rate-limit"),
        (["--token-ttl", "1e12"], "--token-ttl"),
        (["--fault-stall-seconds", "9999"], "--fault-stall-seconds"),
    ],
)
def test_bad_serve_setting_is_one_line(capsys, argv, named):
    assert main(["serve", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"tap-calendly-sandbox: error: {named}: must be between")
    assert "\n" not in err


def test_port_out_of_range_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["serve", "--port", "70000"])
    assert exc.value.code == 2
    assert "not a port number" in capsys.readouterr().err
