"""The ten-line example in docs/client.md runs as written against the sandbox."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tap_calendly.sandbox.runner import Sandbox, SandboxSettings

DOC = Path(__file__).resolve().parents[2] / "docs" / "client.md"


def example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert blocks, "docs/client.md has no python example"
    return str(blocks[0])


def test_the_example_is_at_most_ten_lines():
    assert len([line for line in example().splitlines() if line.strip()]) <= 10


def test_the_example_lists_scheduled_events():
    with Sandbox(SandboxSettings(seed=5, scale="small", webhooks=False)) as sandbox:
        env = {
            **os.environ,
            "TAP_CALENDLY_PERSONAL_ACCESS_TOKEN": str(sandbox.admin_token),
            "TAP_CALENDLY_API_URL": sandbox.url,
        }
        run = subprocess.run(
            [sys.executable, "-c", example()],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        truth = sandbox.ground_truth()["scheduled_events"]
    assert run.returncode == 0, run.stderr
    active = sorted(
        (e for e in truth if e["status"] == "active"), key=lambda e: (e["start_time"], e["uri"])
    )
    printed = [line.split() for line in run.stdout.splitlines()]
    assert len(printed) == 20
    assert [p[0] for p in printed] == [e["start_time"] for e in active[:20]]
    assert [p[-1] for p in printed] == [e["uri"] for e in active[:20]]
