"""stdout buffering: with ``PYTHONUNBUFFERED`` the tap still buffers records between
flushes, flushes every STATE at once, and loses no line at exit."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tap_calendly.output import buffer_stdout

TAP = str(Path(sys.executable).parent / "tap-calendly")


class _Terminal(io.TextIOWrapper):
    def isatty(self) -> bool:
        return True


def test_unbuffered_stdout_is_given_a_buffer(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.TextIOWrapper(io.BytesIO(), write_through=True)
    monkeypatch.setattr(sys, "stdout", stream)
    buffer_stdout()
    assert stream.write_through is False


def test_a_terminal_and_a_redirected_stdout_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal(io.BytesIO(), write_through=True)
    monkeypatch.setattr(sys, "stdout", terminal)
    buffer_stdout()
    assert terminal.write_through is True
    captured = io.StringIO()
    monkeypatch.setattr(sys, "stdout", captured)
    buffer_stdout()  # no TextIOWrapper: nothing to do, no error
    assert captured.getvalue() == ""


def test_under_pythonunbuffered_states_arrive_while_the_tap_runs_and_no_line_is_lost(
    make_sandbox, tap_config, tmp_path
):
    sandbox = make_sandbox(scale="small", seed=3, latency_ms=20)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(tap_config(sandbox)))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    tap = subprocess.Popen(
        [TAP, "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert tap.stdout is not None
    lines: list[bytes] = []
    running_at_first_state: bool | None = None
    for line in tap.stdout:
        lines.append(line)
        if running_at_first_state is None and line.startswith(b'{"type":"STATE"'):
            running_at_first_state = tap.poll() is None
    assert tap.wait(timeout=120) == 0
    assert running_at_first_state is True  # a STATE is not held back until exit
    messages = [json.loads(line) for line in lines]  # every line complete
    assert messages[-1]["type"] == "STATE"
    records = [m for m in messages if m["type"] == "RECORD"]
    truth = sandbox.ground_truth()
    events = {r["record"]["uri"] for r in records if r["stream"] == "scheduled_events"}
    assert events == {e["uri"] for e in truth["scheduled_events"]}
    invitees = [r for r in records if r["stream"] == "event_invitees"]
    assert len(invitees) == len(truth["event_invitees"])
