"""Start, drive and stop one sandbox: the object tests, benchmarks and the CLI use.

``Sandbox(SandboxSettings(...)).start()`` binds a loopback port, generates the org
against its own URL (so every URI and ``next_page`` link points back at it), and serves
from background threads. It also exposes the knobs tests turn: the simulated clock
(``advance``), request counters, run-time configuration, the rate-limit clock.
"""

from __future__ import annotations

import importlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tap_calendly.sandbox import control
from tap_calendly.sandbox.api_context import Api
from tap_calendly.sandbox.api_lists import warm_indexes
from tap_calendly.sandbox.auth_tokens import TokenStore
from tap_calendly.sandbox.control import PLANS as PLANS
from tap_calendly.sandbox.faults import FaultConfig, FaultInjector
from tap_calendly.sandbox.future_fields import with_future_fields
from tap_calendly.sandbox.pagination import IndexCache
from tap_calendly.sandbox.rate_limit import RateLimiter
from tap_calendly.sandbox.server import SandboxApp, SandboxHTTPServer
from tap_calendly.sandbox.store import Record, SandboxOrg, SimClock
from tap_calendly.sandbox.webhook_delivery import Delivery, WebhookDispatcher


def default_now() -> datetime:
    """Current UTC time floored to the hour (a stable start for a fresh sandbox)."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass
class SandboxSettings:
    """How to run a sandbox. Everything except the data knobs can change at run time
    through :meth:`Sandbox.configure`."""

    seed: int = 7
    scale: str = "small"
    now: datetime | None = None
    host: str = "127.0.0.1"
    port: int = 0
    rate_limit_per_minute: int = 500
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    plan: str = "enterprise"
    access_token_ttl_seconds: float = 7200
    faults: FaultConfig = field(default_factory=FaultConfig)
    webhooks: bool = True
    webhook_retry_delays: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)
    #: Serve fields Calendly might add tomorrow on events and invitees (future_fields).
    extra_fields: bool = False
    #: Fixed credentials (e.g. for a demo config file); random when None.
    admin_token: str | None = None
    user_token: str | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = None


def _plain_member(org: SandboxOrg) -> str | None:
    members = sorted(
        (m for m in org.records("organization_memberships") if m["role"] == "user"),
        key=lambda m: m["uri"],
    )
    return members[0]["user"]["uri"] if members else None


class Sandbox:
    """One running sandbox (see module docstring). Use as a context manager."""

    def __init__(
        self,
        settings: SandboxSettings | None = None,
        org: SandboxOrg | None = None,
        *,
        org_factory: Callable[[str], SandboxOrg] | None = None,
        rate_clock: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings or SandboxSettings()
        self._org = org
        self._org_factory = org_factory
        self._rate_clock = rate_clock or time.monotonic
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._app: SandboxApp | None = None
        self._webhooks: WebhookDispatcher | None = None
        self.url = ""
        self.admin_token = self.settings.admin_token or secrets.token_urlsafe(32)
        self.user_token = self.settings.user_token or secrets.token_urlsafe(32)
        self.oauth_client_id = self.settings.oauth_client_id or "sandbox-" + secrets.token_hex(8)
        self.oauth_client_secret = self.settings.oauth_client_secret or secrets.token_urlsafe(24)

    def __repr__(self) -> str:  # no secrets
        return f"Sandbox(url={self.url!r}, scale={self.settings.scale!r})"

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        settings = self.settings
        control.checked_changes(self.config())  # refuse bad settings before binding
        server = SandboxHTTPServer((settings.host, settings.port), _placeholder_app())
        host, port = server.server_address[:2]
        self.url = f"http://{host if isinstance(host, str) else host.decode()}:{port}"
        try:
            org = self._make_org()
        except BaseException:
            server.server_close()
            raise
        self._org = org
        self._apply_plan(settings.plan)
        indexes = IndexCache(org)
        warm_indexes(indexes, org)
        org.listeners.append(lambda _event, _payload: indexes.invalidate())
        tokens = TokenStore(
            org,
            ttl_seconds=settings.access_token_ttl_seconds,
            client_id=self.oauth_client_id,
            client_secret=self.oauth_client_secret,
        )
        tokens.add_personal_token(self.admin_token, org.owner_uri)
        member = _plain_member(org)
        if member is not None:
            tokens.add_personal_token(self.user_token, member)
        app = SandboxApp(
            Api(org, indexes),
            tokens,
            RateLimiter(settings.rate_limit_per_minute, self._rate_clock),
            FaultInjector(settings.faults),
            latency_ms=settings.latency_ms,
            jitter_ms=settings.jitter_ms,
            seed=settings.seed,
        )
        app.api.extra_fields = settings.extra_fields
        app.control = self
        server.app = app
        self._app = app
        self._server = server
        if settings.webhooks:
            self._webhooks = WebhookDispatcher(
                org, retry_delays=settings.webhook_retry_delays, shape=app.api.served
            )
            self._webhooks.start()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="sandbox-http",
        )
        self._thread.start()
        return self

    def _make_org(self) -> SandboxOrg:
        if self._org is not None:
            return self._org
        if self._org_factory is not None:
            return self._org_factory(self.url)
        generator = importlib.import_module("tap_calendly.sandbox.generator")
        org: SandboxOrg = generator.generate_org(
            self.settings.seed, self.settings.scale, self.url, self.settings.now or default_now()
        )
        return org

    def stop(self) -> None:
        if self._webhooks is not None:
            self._webhooks.stop()
            self._webhooks = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- accessors ----------------------------------------------------------------------
    @property
    def org(self) -> SandboxOrg:
        if self._org is None:
            raise RuntimeError("the sandbox is not started")
        return self._org

    @property
    def app(self) -> SandboxApp:
        if self._app is None:
            raise RuntimeError("the sandbox is not started")
        return self._app

    @property
    def token_url(self) -> str:
        return self.url + "/oauth/token"

    @property
    def authorize_url(self) -> str:
        return self.url + "/oauth/authorize"

    @property
    def rate_clock(self) -> Callable[[], float]:
        return self._rate_clock

    @rate_clock.setter
    def rate_clock(self, clock: Callable[[], float]) -> None:
        self._rate_clock = clock
        if self._app is not None:
            self._app.limiter.clock = clock

    def issue_refresh_token(self) -> str:
        """A fresh single-use refresh token for the owner (as if after an OAuth consent)."""
        return self.app.tokens.issue_refresh_token()

    def issue_authorization_code(self, redirect_uri: str | None = None) -> str:
        return self.app.tokens.issue_code(redirect_uri=redirect_uri)

    # -- clock and data -----------------------------------------------------------------
    def advance(self, delta: timedelta) -> dict[str, int]:
        """Move the simulated clock forward, applying the mutator's changes."""
        mutations = importlib.import_module("tap_calendly.sandbox.mutations")
        try:
            changes: dict[str, int] = mutations.advance(self.org, delta)
        finally:
            self.app.api.indexes.invalidate()
        return changes

    def advance_from_body(self, body: Any) -> dict[str, Any]:
        """``POST /_sandbox/advance``: ``{"days": 1}`` etc. (checked by :mod:`control`)."""
        changes = self.advance(control.advance_delta(body))
        return {"now": self.org.now_ts(), "changes": changes}

    def ground_truth(self) -> dict[str, list[Record]]:
        """Every collection as the API would serve it now (future fields included when
        ``extra_fields`` is on)."""
        export = importlib.import_module("tap_calendly.sandbox.export")
        with self.org.lock:
            truth: dict[str, list[Record]] = export.ground_truth(self.org)
        if self.settings.extra_fields:
            for name, records in truth.items():
                truth[name] = [with_future_fields(name, r) for r in records]
        return truth

    # -- counters -----------------------------------------------------------------------
    def request_counts(self) -> dict[str, int]:
        return self.app.request_counts()

    def reset_counts(self) -> None:
        """Zero the request counters and clear the request log."""
        self.app.reset_counts()

    def request_log(self) -> list[dict[str, Any]]:
        """Every API request since the last reset, in order of arrival (see
        :meth:`SandboxApp.request_log`)."""
        return self.app.request_log()

    def request_log_body(self) -> dict[str, Any]:
        """``GET /_sandbox/requests``."""
        return {"requests": self.request_log(), "dropped": self.app.requests_dropped()}

    def webhook_deliveries(self) -> list[Delivery]:
        return list(self._webhooks.deliveries) if self._webhooks else []

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        """Block until queued webhook deliveries finished (delivered or gave up)."""
        return self._webhooks.wait_idle(timeout) if self._webhooks else True

    def stats(self) -> dict[str, Any]:
        deliveries = self.webhook_deliveries()
        return {
            "requests": self.request_counts(),
            "faults_injected": dict(self.app.faults.injected),
            "webhooks": {
                "queued": len(deliveries),
                "delivered": sum(d.delivered for d in deliveries),
                "attempts": sum(len(d.attempts) for d in deliveries),
                "failed": sum(
                    not d.delivered and len(d.attempts) > len(self.settings.webhook_retry_delays)
                    for d in deliveries
                ),
            },
            "now": self.org.now_ts(),
        }

    def info(self) -> dict[str, Any]:
        """Connection details (this is a local sandbox: its tokens are not secrets)."""
        return {
            "url": self.url,
            "now": self.org.now_ts(),
            "organization": self.org.organization["uri"],
            "owner": self.org.owner_uri,
            "admin_token": self.admin_token,
            "user_token": self.user_token,
            "oauth_client_id": self.oauth_client_id,
            "oauth_client_secret": self.oauth_client_secret,
            "token_url": self.token_url,
            "authorize_url": self.authorize_url,
            "plan": self.org.plan,
            "seed": self.settings.seed,
            "scale": self.settings.scale,
        }

    # -- run-time configuration ---------------------------------------------------------
    def _apply_plan(self, plan: str) -> None:
        with self.org.lock:
            self.org.plan = plan
            self.org.organization["plan"] = plan

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change rate limit, latency, jitter, faults, plan, token TTL or extra fields
        while running; every value is checked first (:class:`control.SettingError`, a
        ValueError, names the bad one and nothing changes).

        ``faults`` takes a :class:`FaultConfig`, its dict form or None (no faults).
        Returns the resulting configuration.
        """
        checked = control.checked_changes(changes)
        app, s = self.app, self.settings
        if "faults" in checked:
            s.faults = checked["faults"]
            app.faults = FaultInjector(s.faults)
        if "rate_limit_per_minute" in checked:
            s.rate_limit_per_minute = checked["rate_limit_per_minute"]
            app.limiter = RateLimiter(s.rate_limit_per_minute, self._rate_clock)
        if "latency_ms" in checked:
            s.latency_ms = app.latency_ms = checked["latency_ms"]
        if "jitter_ms" in checked:
            s.jitter_ms = app.jitter_ms = checked["jitter_ms"]
        if "plan" in checked:
            s.plan = checked["plan"]
            self._apply_plan(s.plan)
        if "access_token_ttl_seconds" in checked:
            s.access_token_ttl_seconds = checked["access_token_ttl_seconds"]
            app.tokens.ttl = timedelta(seconds=s.access_token_ttl_seconds)
        if "extra_fields" in checked:
            s.extra_fields = app.api.extra_fields = checked["extra_fields"]
        return self.config()

    def config(self) -> dict[str, Any]:
        s = self.settings
        return {
            "rate_limit_per_minute": s.rate_limit_per_minute,
            "latency_ms": s.latency_ms,
            "jitter_ms": s.jitter_ms,
            "faults": s.faults.to_dict(),
            "plan": s.plan,
            "access_token_ttl_seconds": s.access_token_ttl_seconds,
            "extra_fields": s.extra_fields,
        }


def _placeholder_app() -> SandboxApp:
    """The server needs an app before the org exists; start() swaps in the real one."""
    org = SandboxOrg(
        base_url="http://placeholder",
        clock=SimClock(datetime.now(UTC)),
        organization={"uri": "http://placeholder/organizations/x"},
        owner_uri="",
    )
    return SandboxApp(
        Api(org, IndexCache(org)),
        TokenStore(org, ttl_seconds=1, client_id="", client_secret=""),
        RateLimiter(1),
        FaultInjector(FaultConfig()),
    )
