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
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
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


@dataclass
class Pipe:
    """A running ``tap | target``: the caller relays the tap's stdout into the target's stdin;
    the target's stdout and both stderrs are collected by threads (no pipe fills up)."""

    tap: subprocess.Popen[bytes]
    target: subprocess.Popen[bytes]
    tap_err: list[bytes] = field(default_factory=list)
    target_err: list[bytes] = field(default_factory=list)
    target_out: list[bytes] = field(default_factory=list)

    @property
    def tap_stdout(self) -> IO[bytes]:
        assert self.tap.stdout is not None
        return self.tap.stdout

    @property
    def target_stdin(self) -> IO[bytes]:
        assert self.target.stdin is not None
        return self.target.stdin

    @staticmethod
    def text(chunks: list[bytes]) -> str:
        return b"".join(chunks).decode("utf-8", "replace")


@contextmanager
def piped(
    tap: Sequence[str],
    target: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Iterator[Pipe]:
    """Start ``tap`` and ``target``; on exit kill whichever still runs and join the drains."""
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
    pipe = Pipe(tap_proc, target_proc)
    assert tap_proc.stderr
    assert target_proc.stdout
    assert target_proc.stderr
    drains = [
        threading.Thread(target=_drain, args=(tap_proc.stderr, pipe.tap_err), daemon=True),
        threading.Thread(target=_drain, args=(target_proc.stderr, pipe.target_err), daemon=True),
        threading.Thread(target=_drain, args=(target_proc.stdout, pipe.target_out), daemon=True),
    ]
    for thread in drains:
        thread.start()
    try:
        yield pipe
    finally:
        for proc in (tap_proc, target_proc):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for thread in drains:
            thread.join(timeout=10)


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
    with piped(tap, target, env=env, cwd=cwd) as pipe:
        for line in pipe.tap_stdout:
            if line.startswith(b'{"type":"RECORD"') or line.startswith(b'{"type": "RECORD"'):
                message = json.loads(line)
                result.record_counts[message["stream"]] += 1
            elif b'"STATE"' in line[:40]:
                message = json.loads(line)
                if message.get("type") == "STATE":
                    result.last_tap_state = message.get("value")
            pipe.target_stdin.write(line)
        pipe.target_stdin.close()
        tap_code = pipe.tap.wait(timeout=timeout)
        target_code = pipe.target.wait(timeout=timeout)
    result.tap_stderr = pipe.text(pipe.tap_err)
    result.target_stderr = pipe.text(pipe.target_err)
    for raw in pipe.text(pipe.target_out).splitlines():
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
