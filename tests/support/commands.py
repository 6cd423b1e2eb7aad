"""Run a command-line tool (dbt, Meltano) as one step of a test."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


def run_tool(
    argv: Sequence[str | Path],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """``argv`` to its end with no stdin (a prompt must fail, not hang), output captured;
    with ``check``, a non-zero exit fails the test showing the end of both streams, where
    these tools say what went wrong."""
    done = subprocess.run(
        [str(arg) for arg in argv],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if check:
        assert done.returncode == 0, (done.args, done.stdout[-4000:], done.stderr[-3000:])
    return done
