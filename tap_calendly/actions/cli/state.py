"""Per-invocation state: settings, the one client, the optional in-process sandbox."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from tap_calendly.actions.cli.output import Output
from tap_calendly.actions.client import Calendly
from tap_calendly.api.errors import ConfigError, UsageError
from tap_calendly.api.settings import Settings, env_overlay, read_config_file

#: Settings replaced by --sandbox (its URL and its admin token).
_SANDBOX_REPLACES = (
    "api_url",
    "personal_access_token",
    "auth_token",
    "api_key",
    "client_id",
    "client_secret",
    "refresh_token",
    "token_file",
    "organization",
    "organization_url",
    "user",
)
#: The settings the actions use: meltano.yml's `calendly` utility declares exactly these
#: (as the tap declares them), checked by tests/actions/test_meltano_plugin.py.
MELTANO_SETTINGS = (
    "personal_access_token",
    "client_id",
    "client_secret",
    "refresh_token",
    "oauth_token_url",
    "token_file",
    "api_url",
    "scope",
    "organization",
    "user",
    "requests_per_minute",
    "request_timeout",
    "max_retries",
    "user_agent",
)
SANDBOX_SEED = 7
SANDBOX_SCALE = "small"
#: The --sandbox clock, frozen: the same data, UUIDs and times on every run, so the
#: examples in docs/actions.md can name real objects. A Monday, in the future.
SANDBOX_NOW = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
#: The --sandbox data carries production-style URIs, so examples read as they would
#: against Calendly; requests still go to the local server (api_url).
SANDBOX_URI_BASE = "https://api.calendly.com"


class Aborted(Exception):
    """The user declined a confirmation prompt."""


@dataclass
class State:
    """What the root options decided, and the client built from them on first use."""

    config: Path | None = None
    output_format: str = "json"
    sandbox: bool = False
    out: Output = field(default_factory=Output)
    settings: Settings | None = None
    _client: Calendly | None = None
    _sandbox: Any = None

    def load_settings(self, overrides: dict[str, Any] | None = None) -> Settings:
        """--config FILE (if given) with TAP_CALENDLY_* variables laid over it."""
        base = read_config_file(self.config) if self.config else {}
        merged = env_overlay(base=base)
        if overrides is not None:
            merged = {k: v for k, v in merged.items() if k not in _SANDBOX_REPLACES}
            merged.update(overrides)
        try:
            return Settings.parse(merged)
        except ConfigError as exc:
            raise ConfigError(
                f"{exc} (calendly reads --config FILE and TAP_CALENDLY_* variables; "
                "--sandbox needs neither)"
            ) from None

    def client(self, *, dry_run: bool = False) -> Calendly:
        """The invocation's client (built once); ``dry_run`` applies to its writes."""
        if self._client is None:
            overrides = self._start_sandbox() if self.sandbox else None
            self.settings = self.load_settings(overrides)
            self._client = Calendly.connect(self.settings)
        self._client.dry_run = dry_run
        return self._client

    def _start_sandbox(self) -> dict[str, Any]:
        from tap_calendly.sandbox.generator import generate_org
        from tap_calendly.sandbox.runner import Sandbox, SandboxSettings

        sandbox = Sandbox(
            SandboxSettings(seed=SANDBOX_SEED, scale=SANDBOX_SCALE, webhooks=False),
            org_factory=lambda _url: generate_org(
                SANDBOX_SEED, SANDBOX_SCALE, SANDBOX_URI_BASE, SANDBOX_NOW
            ),
        )
        sandbox.start()
        self._sandbox = sandbox
        click.echo(
            f"calendly: --sandbox: using an in-process Calendly sandbox at {sandbox.url} "
            f"(synthetic organization, seed {SANDBOX_SEED}, clock frozen at "
            f"{SANDBOX_NOW:%Y-%m-%dT%H:%MZ}); nothing reaches Calendly and every change is "
            "discarded on exit",
            err=True,
        )
        return {"api_url": sandbox.url, "personal_access_token": sandbox.admin_token}

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None

    def secrets(self) -> list[str]:
        return self.settings.secrets() if self.settings else []

    # -- confirmation ----------------------------------------------------------------

    def confirm(self, question: str, *, yes: bool, dry_run: bool) -> None:
        """Ask on a terminal; elsewhere demand --yes. A dry run changes nothing."""
        if yes or dry_run:
            return
        if not interactive():
            raise UsageError(
                f"{question.rstrip('?')}: this cannot be undone; pass --yes to confirm "
                "(no terminal to ask on)"
            )
        if not click.confirm(question, default=False, err=True):
            raise Aborted


def interactive() -> bool:
    """True when a person can answer a prompt (stdin and stderr are terminals)."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def get_state() -> State:
    """The current invocation's state (set by the root group)."""
    state = click.get_current_context().find_object(State)
    if state is None:  # pragma: no cover - the root group always sets it
        raise RuntimeError("calendly: no state")
    return state
