"""``serve`` end to end in its own process against the sandbox, and every way the
commands refuse: one line, the documented exit status, no traceback, no secret."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tap_calendly.sandbox import ops
from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tap_calendly.webhooks.__main__ import main as webhooks_group
from tap_calendly.webhooks.cli import serve
from tests.webhooks.process import ServeProcess, journal_keys


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    # the receiver checks signature timestamps against the real clock: start there
    settings = SandboxSettings(
        seed=3,
        scale="small",
        now=datetime.now(UTC),
        rate_limit_per_minute=1_000_000,
        webhook_retry_delays=(0.05, 0.1),
    )
    with Sandbox(settings) as running:
        yield running


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config_file(tmp_path, sandbox, **extra):
    path = tmp_path / "config.json"
    token = {"personal_access_token": sandbox.admin_token} if sandbox else {}
    url = {"api_url": sandbox.url} if sandbox else {}
    path.write_text(json.dumps({**url, **token, **extra}))
    return path


def cancel_a_future_event(sandbox):
    now = sandbox.org.now_ts()
    for event in sorted(sandbox.org.records("scheduled_events"), key=lambda e: e["start_time"]):
        if (
            event["status"] == "active"
            and event["start_time"] > now
            and event["invitees_counter"]["active"]
        ):
            ops.cancel_event(
                sandbox.org, event["uri"], reason="t", canceled_by="x", canceler_type="host"
            )
            return event
    raise AssertionError("nothing to cancel")


def test_serve_subscribes_receives_and_unsubscribes_on_exit(sandbox, tmp_path):
    journal = tmp_path / "journal"
    port = free_port()
    public = f"http://127.0.0.1:{port}/calendly"
    # Through the `calendly` console script, with the root's --config (as users run it).
    calendly = str(Path(sys.executable).parent / "calendly")
    args = ["--journal", str(journal), "--subscribe", "--public-url", public]
    args += ["--unsubscribe-on-exit", "--port", str(port)]
    proc = subprocess.Popen(
        [calendly, "--config", str(config_file(tmp_path, sandbox)), "webhooks", "serve", *args],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        lines = []
        for line in proc.stderr:
            lines.append(line)
            if "listening on" in line:
                break
        assert any("subscription created" in line for line in lines), lines
        (hook,) = [
            h for h in sandbox.org.records("webhook_subscriptions") if h["callback_url"] == public
        ]
        key = (journal / "signing-key").read_text().strip()
        assert sandbox.org.signing_keys[hook["uri"]] == key
        assert stat.S_IMODE(os.stat(journal / "signing-key").st_mode) == 0o600
        cancel_a_future_event(sandbox)
        assert sandbox.wait_for_webhooks()
        mine = [d for d in sandbox.webhook_deliveries() if d.url == public]
        assert mine
        assert all(d.delivered and d.attempts == ["200"] for d in mine)
        assert len(journal_keys(journal)) == len(mine)
    finally:
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=30)[1]
    assert proc.returncode == 0, rest
    assert f"subscription deleted: {hook['uri']}" in rest
    assert "Traceback" not in "".join(lines) + rest
    assert key not in "".join(lines) + rest
    assert sandbox.org.get("webhook_subscriptions", hook["uri"]) is None


def test_serve_restart_reuses_its_subscription_and_key(sandbox, tmp_path):
    journal = tmp_path / "journal"
    port = free_port()
    public = f"http://127.0.0.1:{port}/calendly"
    args = ["--journal", str(journal), "--config", str(config_file(tmp_path, sandbox))]
    args += ["--subscribe", "--public-url", public]
    outputs = []
    for _ in range(2):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tap_calendly.webhooks", "serve", "--port", str(port), *args],
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        for line in proc.stderr:
            if "listening on" in line:
                break
        proc.send_signal(signal.SIGTERM)
        outputs.append(proc.communicate(timeout=30)[1])
        assert proc.returncode == 0
    hooks = [h for h in sandbox.org.records("webhook_subscriptions") if h["callback_url"] == public]
    assert len(hooks) == 1  # created once, reused, left in place (no --unsubscribe-on-exit)
    # a plain restart needs no key option: it uses the one kept in the journal
    plain = ServeProcess(["--journal", str(journal)])
    plain.proc.send_signal(signal.SIGTERM)
    assert plain.wait() == 0


def invoke(args, env=None):
    result = CliRunner().invoke(serve, args, env=env or {})
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize(
    ("args", "text"),
    [
        ([], "no signing key"),
        (["--public-url", "https://x.example/h"], "go with --subscribe"),
        (["--subscribe"], "--subscribe needs --public-url"),
        (["--signing-key", "k", "--path", "calendly"], "--path must start with /"),
        (["--signing-key", "k", "--port", "70000"], "70000"),
        (["--signing-key", "k", "--tolerance", "0"], "0"),
    ],
)
def test_serve_usage_errors_exit_2(tmp_path, args, text):
    result = invoke(["--journal", str(tmp_path / "j"), *args])
    assert result.exit_code == 2, result.output
    assert text in result.output


def test_serve_port_in_use_exits_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = invoke(
            ["--journal", str(tmp_path / "j"), "--signing-key", "k", "--port", str(port)]
        )
    assert result.exit_code == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.output


def test_serve_journal_problems(tmp_path):
    afile = tmp_path / "file"
    afile.write_text("x")
    result = invoke(["--journal", str(afile), "--signing-key", "k"])
    assert result.exit_code == 2
    assert "is a file" in result.output
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "journal.sqlite3").write_bytes(b"not a database" * 100)
    result = invoke(["--journal", str(broken), "--signing-key", "k", "--port", "0"])
    assert result.exit_code == 1
    assert "is not a usable journal" in result.output


def test_serve_settings_errors_exit_2_without_echoing_secrets(tmp_path):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"personal_access_token": " secret-token-value "}))
    args = ["--journal", str(tmp_path / "j"), "--config", str(config), "--subscribe"]
    result = invoke([*args, "--public-url", "https://x.example/h"])
    assert result.exit_code == 2
    assert "personal_access_token" in result.output
    assert "secret-token-value" not in result.output
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    result = invoke(["--journal", str(tmp_path / "j"), "--config", str(bad), "--signing-key", "k"])
    assert result.exit_code == 2
    assert "is not valid JSON" in result.output


def test_serve_bad_events_exit_2(tmp_path, sandbox):
    config = config_file(tmp_path, sandbox)
    base = ["--journal", str(tmp_path / "j"), "--config", str(config), "--subscribe"]
    base += ["--public-url", "https://x.example/h"]
    result = invoke([*base, "--events", "invitee.created,meeting.exploded"])
    assert result.exit_code == 2
    assert "meeting.exploded" in result.output
    assert result.output.count("\n") == 1
    result = invoke([*base, "--scope", "user", "--events", "routing_form_submission.created"])
    assert result.exit_code == 2
    assert "in user scope choose from" in result.output


def test_serve_api_refusal_exits_3(tmp_path, sandbox):
    """A plain member may not create organization-scope subscriptions: 403."""
    config = tmp_path / "member.json"
    config.write_text(
        json.dumps({"api_url": sandbox.url, "personal_access_token": sandbox.user_token})
    )
    args = ["--journal", str(tmp_path / "j"), "--config", str(config), "--subscribe"]
    result = invoke([*args, "--public-url", "https://x.example/h", "--port", "0"])
    assert result.exit_code == 3, result.output
    assert "Calendly API error 403" in result.output
    assert result.output.count("\n") == 1
    assert sandbox.user_token not in result.output


def test_serve_network_failure_exits_4(tmp_path):
    config = tmp_path / "c.json"
    config.write_text(
        json.dumps(
            {
                "api_url": f"http://127.0.0.1:{free_port()}",
                "personal_access_token": "tok",
                "max_retries": 0,
            }
        )
    )
    args = ["--journal", str(tmp_path / "j"), "--config", str(config), "--subscribe"]
    result = invoke([*args, "--public-url", "https://x.example/h", "--port", "0"])
    assert result.exit_code == 4, result.output
    assert "cannot reach" in result.output
    assert result.output.count("\n") == 1


def test_module_entry_point_lists_both_commands():
    result = subprocess.run(
        [sys.executable, "-m", "tap_calendly.webhooks", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "serve" in result.stdout
    assert "apply" in result.stdout
    assert CliRunner().invoke(webhooks_group, ["apply", "--help"]).exit_code == 0


def test_calendly_lists_the_receiver_and_refuses_it_in_sandbox_mode():
    calendly = str(Path(sys.executable).parent / "calendly")
    helptext = subprocess.run(
        [calendly, "--help"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "Scheduled Event Trigger" in helptext
    group = subprocess.run(
        [calendly, "webhooks", "--help"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "serve " in group
    assert "apply " in group
    refused = subprocess.run(
        [calendly, "--sandbox", "webhooks", "serve", "--signing-key", "k", "--journal", "j"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2
    assert "--sandbox does not apply to the receiver" in refused.stderr
    assert "Traceback" not in refused.stderr
