"""Run the tap's console script as a user would, and judge how it ended."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TAP = Path(sys.executable).parent / "tap-calendly"
#: The line the tap ends a user error with (logged by TapCalendly.invoke).
ERROR_MARK = "tap-calendly: "


@dataclass
class CliRun:
    args: list[str]
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if ERROR_MARK in line]

    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def records(self, stream: str) -> list[dict[str, Any]]:
        return [
            m["record"]
            for m in self.messages()
            if m.get("type") == "RECORD" and m.get("stream") == stream
        ]


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without tap settings or log levels, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TAP_CALENDLY_") and k not in ("LOGLEVEL",) and "PROXY" not in k.upper()
    }
    env.update(extra or {})
    return env


def write_input(path: Path, content: Any) -> Path:
    """``content`` as JSON (dict/list) or verbatim (str) in ``path``."""
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def run_tap_cli(
    workdir: Path,
    config: Any = None,
    *,
    state: Any = None,
    catalog: Any = None,
    args: Iterable[str] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> CliRun:
    """``tap-calendly --config … [--state …] [--catalog …]`` in ``workdir``."""
    argv = [str(TAP)]
    for flag, content in (("config", config), ("state", state), ("catalog", catalog)):
        if content is None:
            continue
        if isinstance(content, Path):
            argv += [f"--{flag}", str(content)]
        else:
            argv += [f"--{flag}", str(write_input(workdir / f"{flag}.json", content))]
    argv += list(args)
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=workdir,
        env=clean_env(env),
        stdin=subprocess.DEVNULL,
    )
    return CliRun(argv, done.returncode, done.stdout, done.stderr)


def assert_one_line_failure(run: CliRun, *, expect: str = "", secrets: Iterable[str] = ()) -> str:
    """Non-zero exit, no traceback, exactly one error line (containing ``expect``), no secret."""
    assert run.code != 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr[-4000:]
    lines = run.error_lines()
    assert len(lines) == 1, run.stderr[-4000:]
    assert expect in lines[0], lines[0]
    assert_no_secret(run.output, secrets)
    return lines[0]


def assert_no_secret(text: str, secrets: Iterable[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret ({secret[:4]}…) appears in the output"
