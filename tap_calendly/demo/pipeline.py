"""Pipe a Singer tap into a Singer target without Meltano (``tap | target``).

Used by the end-to-end tests (tap-calendly into this repo's loader or into PyPI
target-jsonl) and handy for one-off runs. Counts the tap's RECORD messages per stream
on the way through, so a test can compare what left the tap with what landed.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any


@dataclass
class PipeResult:
    """What went through the pipe."""

    record_counts: Counter[str] = field(default_factory=Counter)
    last_tap_state: dict[str, Any] | None = None
    target_states: list[dict[str, Any]] = field(default_factory=list)
    tap_stderr: str = ""
    target_stderr: str = ""


class PipeError(RuntimeError):
    """The tap or the target exited non-zero; carries the tail of its stderr."""


def _drain(stream: IO[bytes], sink: list[bytes]) -> None:
    for chunk in iter(lambda: stream.read(65536), b""):
        sink.append(chunk)


def run_pipe(
    tap: Sequence[str],
    target: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 300.0,
) -> PipeResult:
    """Run ``tap | target``; relay each tap line to the target and count RECORDs."""
    result = PipeResult()
    tap_err: list[bytes] = []
    target_err: list[bytes] = []
    target_out: list[bytes] = []
    env_dict = dict(env) if env is not None else None
    tap_proc = subprocess.Popen(
        list(tap), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env_dict, cwd=cwd
    )
    target_proc = subprocess.Popen(
        list(target),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env_dict,
        cwd=cwd,
    )
    assert tap_proc.stdout
    assert tap_proc.stderr
    assert target_proc.stdin
    assert target_proc.stdout
    assert target_proc.stderr
    drains = [
        threading.Thread(target=_drain, args=(tap_proc.stderr, tap_err), daemon=True),
        threading.Thread(target=_drain, args=(target_proc.stderr, target_err), daemon=True),
        threading.Thread(target=_drain, args=(target_proc.stdout, target_out), daemon=True),
    ]
    for thread in drains:
        thread.start()
    try:
        for line in tap_proc.stdout:
            if line.startswith(b'{"type":"RECORD"') or line.startswith(b'{"type": "RECORD"'):
                message = json.loads(line)
                result.record_counts[message["stream"]] += 1
            elif b'"STATE"' in line[:40]:
                message = json.loads(line)
                if message.get("type") == "STATE":
                    result.last_tap_state = message.get("value")
            target_proc.stdin.write(line)
        target_proc.stdin.close()
        tap_code = tap_proc.wait(timeout=timeout)
        target_code = target_proc.wait(timeout=timeout)
    finally:
        for proc in (tap_proc, target_proc):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for thread in drains:
            thread.join(timeout=10)
    result.tap_stderr = b"".join(tap_err).decode("utf-8", "replace")
    result.target_stderr = b"".join(target_err).decode("utf-8", "replace")
    for raw in b"".join(target_out).decode("utf-8", "replace").splitlines():
        raw = raw.strip()
        if raw.startswith("{"):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                result.target_states.append(value.get("value", value))
    if tap_code != 0:
        raise PipeError(f"tap exited {tap_code}: {_tail(result.tap_stderr)}")
    if target_code != 0:
        raise PipeError(f"target exited {target_code}: {_tail(result.target_stderr)}")
    return result


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
