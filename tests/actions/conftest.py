"""Fixtures for the actions: a sandbox like --sandbox's, and the CLI run in-process.

The sandbox is built exactly as ``calendly --sandbox`` builds it (seed 7, small, clock
frozen at SANDBOX_NOW, production-style URIs), so the IDs in tests/actions/ids.py and in
docs/actions.md name the same objects.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from tap_calendly.actions import Calendly
from tap_calendly.actions.cli import main
from tap_calendly.actions.cli import state as cli_state
from tap_calendly.sandbox.generator import generate_org
from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tests.contract.conftest import spec

__all__ = ["spec"]  # the contract harness's spec fixture, for the request-body tests


def start_sandbox(**overrides: Any) -> Sandbox:
    settings: dict[str, Any] = {"webhooks": False, "rate_limit_per_minute": 1_000_000}
    settings.update(overrides)
    return Sandbox(
        SandboxSettings(**settings),
        org_factory=lambda _url: generate_org(
            cli_state.SANDBOX_SEED,
            cli_state.SANDBOX_SCALE,
            cli_state.SANDBOX_URI_BASE,
            cli_state.SANDBOX_NOW,
        ),
    ).start()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox per test module (tests pick distinct objects to change)."""
    running = start_sandbox()
    yield running
    running.stop()


@pytest.fixture
def fresh_sandbox() -> Iterator[Sandbox]:
    """A sandbox of the test's own, for tests that change shared things."""
    running = start_sandbox()
    yield running
    running.stop()


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)

    @property
    def error_line(self) -> str:
        """The one error line on stderr (asserts there is exactly one)."""
        lines = [ln for ln in self.err.splitlines() if ln.startswith("calendly: error:")]
        assert len(lines) == 1, self.err
        return lines[0]


def invoke(args: list[str], *, input: str | None = None) -> Result:
    """Run ``calendly ARGS`` in-process: stdout, stderr and the exit code."""
    runner = CliRunner()
    with runner.isolation(input=input) as (out, err, _both):
        code = main(args)
    return Result(code, out.getvalue().decode(), err.getvalue().decode())


@pytest.fixture(autouse=True)
def _no_tap_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come only from the test's config file."""
    import os

    for name in list(os.environ):
        if name.startswith("TAP_CALENDLY_") or name == "CALENDLY_WEBHOOK_SIGNING_KEY":
            monkeypatch.delenv(name)


def write_config(path: Path, sandbox: Sandbox, token: str | None = None, **extra: Any) -> Path:
    config = {
        "api_url": sandbox.url,
        "personal_access_token": token or sandbox.admin_token,
        "max_retries": 1,
        **extra,
    }
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


@pytest.fixture
def cli(sandbox: Sandbox, tmp_path: Path) -> Callable[..., Result]:
    """``cli("events", "list")`` against the module's sandbox as its owner (admin)."""
    admin = write_config(tmp_path / "admin.json", sandbox)
    member = write_config(tmp_path / "member.json", sandbox, sandbox.user_token)

    def run(*args: str, member_token: bool = False, input: str | None = None) -> Result:
        config = member if member_token else admin
        return invoke(["--config", str(config), *args], input=input)

    return run


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[Calendly]:
    with Calendly.connect(
        {"api_url": sandbox.url, "personal_access_token": sandbox.admin_token, "max_retries": 1}
    ) as made:
        yield made


@pytest.fixture
def sent(sandbox: Sandbox) -> Callable[[str], int]:
    """How many requests of one kind (e.g. ``POST /shares``) the sandbox received since
    the test started."""
    sandbox.reset_counts()
    return lambda key: sandbox.request_counts().get(key, 0)


class Recorder:
    """Every request the client sends: (method, path, decoded JSON body or None, raw)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, Any, bytes]] = []

    def record(self, request: requests.PreparedRequest) -> None:
        from urllib.parse import urlsplit

        raw = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        try:
            decoded = json.loads(raw) if raw else None
        except ValueError:
            decoded = None
        path = urlsplit(request.url or "").path
        self.requests.append((request.method or "", path, decoded, raw))


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recording = Recorder()
    original = requests.Session.send

    def send(self: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        recording.record(request)
        return original(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", send)
    return recording
