"""Start the sandbox CLI in a child process and talk to its control endpoints.

The demo runs the sandbox out of process, exactly as a user would (``tap-calendly-sandbox
serve``), so the tap under Meltano reaches it over real HTTP. The child is always
stopped (context manager), even when a sync fails or the user presses Ctrl-C.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests


class DemoError(Exception):
    """A failure the demo reports as one line (no traceback)."""


class SandboxProcess:
    """``tap-calendly-sandbox serve`` on a free loopback port, with its ready-file info."""

    def __init__(
        self,
        *,
        ready_file: Path,
        seed: int = 7,
        scale: str = "small",
        rate_limit: int | None = None,
        log_file: Path | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        self.ready_file = ready_file
        self.seed = seed
        self.scale = scale
        self.rate_limit = rate_limit
        self.log_file = log_file
        self.startup_timeout = startup_timeout
        self.info: dict[str, Any] = {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        self._http = requests.Session()

    def command(self) -> list[str]:
        cli = Path(sys.executable).with_name("tap-calendly-sandbox")
        head = [str(cli)] if cli.exists() else [sys.executable, "-m", "tap_calendly.sandbox.cli"]
        args = ["serve", "--seed", str(self.seed), "--scale", self.scale, "--port", "0"]
        args += ["--host", "127.0.0.1", "--ready-file", str(self.ready_file)]
        if self.rate_limit is not None:
            args += ["--rate-limit", str(self.rate_limit)]
        return head + args

    def start(self) -> SandboxProcess:
        self.ready_file.unlink(missing_ok=True)
        self.ready_file.parent.mkdir(parents=True, exist_ok=True)
        if self.log_file is not None:
            self._log = self.log_file.open("wb")
        self._proc = subprocess.Popen(
            self.command(),
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if self._log else subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise DemoError(
                    f"the sandbox exited with code {self._proc.returncode} before it was ready"
                    + (f" (log: {self.log_file})" if self.log_file else "")
                )
            if self.ready_file.is_file():
                try:
                    self.info = json.loads(self.ready_file.read_text(encoding="utf-8"))
                except json.JSONDecodeError:
                    self.info = {}  # written but not flushed yet
                if "url" in self.info:
                    return self
            time.sleep(0.05)
        raise DemoError(f"the sandbox was not ready after {self.startup_timeout:.0f} s")

    @property
    def url(self) -> str:
        return str(self.info["url"]).rstrip("/")

    @property
    def admin_token(self) -> str:
        return str(self.info["admin_token"])

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = self._http.request(method, self.url + path, json=body, timeout=30)
        except requests.RequestException as exc:
            raise DemoError(f"sandbox control call {method} {path} failed: {exc}") from None
        if response.status_code >= 400:
            raise DemoError(f"sandbox control call {method} {path}: HTTP {response.status_code}")
        return response.json() if response.content else None

    def control_info(self) -> dict[str, Any]:
        return dict(self._call("GET", "/_sandbox/info"))

    def advance(self, **delta: int) -> dict[str, int]:
        """Move the simulated clock (e.g. ``days=1``); returns the change counts."""
        answer = self._call("POST", "/_sandbox/advance", delta) or {}
        changes = answer.get("changes", answer) if isinstance(answer, dict) else {}
        return {str(k): int(v) for k, v in changes.items() if isinstance(v, int)}

    def stats(self) -> dict[str, int]:
        data = self._call("GET", "/_sandbox/stats") or {}
        counts = data.get("requests", data) if isinstance(data, dict) else {}
        return {str(k): int(v) for k, v in counts.items() if isinstance(v, int)}

    def reset_stats(self) -> None:
        self._call("POST", "/_sandbox/stats/reset")

    def stop(self) -> None:
        self._http.close()
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None
        self.ready_file.unlink(missing_ok=True)

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
