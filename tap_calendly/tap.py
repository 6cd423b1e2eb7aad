"""TapCalendly: settings, stream discovery, and the run's shared resources.

Discovery needs neither network nor token: streams are static. The owner (user and
organization URIs, the full ``/users/me`` record, the server's clock) is looked up
once per run, lazily, on the first request that needs it. All streams share one
transport (session + rate limiter + token) and one fan-out pool.
"""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.helpers.capabilities import PluginCapabilities, TapCapabilities

from tap_calendly.auth import (
    DEFAULT_OAUTH_TOKEN_URL,
    BearerAuth,
    OAuthTokens,
    StaticToken,
    TokenProvider,
)
from tap_calendly.errors import CalendlyUserError
from tap_calendly.fanout import FanOut
from tap_calendly.output import CalendlySingerWriter
from tap_calendly.ratelimit import RateLimiter
from tap_calendly.streams import STREAM_TYPES
from tap_calendly.transport import Transport, payload

if TYPE_CHECKING:
    from singer_sdk.helpers.capabilities import CapabilitiesEnum

    from tap_calendly.client import CalendlyStream

DEFAULT_API_URL = "https://api.calendly.com"


@dataclass(frozen=True)
class Owner:
    """Who the token is and where "now" is, looked up once per run."""

    me: dict[str, Any]
    user_uri: str
    organization_uri: str
    server_now: datetime


class TapCalendly(Tap):
    """Singer tap for the Calendly API v2."""

    name = "tap-calendly"
    message_writer_class = CalendlySingerWriter

    capabilities: ClassVar[list[CapabilitiesEnum]] = [
        PluginCapabilities.ABOUT,
        TapCapabilities.DISCOVER,
        TapCapabilities.CATALOG,
        TapCapabilities.STATE,
        TapCapabilities.ACTIVATE_VERSION,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
        PluginCapabilities.STRUCTURED_LOGGING,
    ]

    config_jsonschema: ClassVar[dict[str, Any]] = th.PropertiesList(
        th.Property(
            "personal_access_token",
            th.StringType,
            secret=True,
            description="Calendly personal access token. Use this OR the OAuth settings.",
        ),
        th.Property(
            "client_id",
            th.StringType,
            description="OAuth client id (with client_secret and refresh_token).",
        ),
        th.Property(
            "client_secret", th.StringType, secret=True, description="OAuth client secret."
        ),
        th.Property(
            "refresh_token",
            th.StringType,
            secret=True,
            description=(
                "OAuth refresh token. Calendly rotates it on every refresh; the newest one "
                "is kept in token_file, which wins over this value on later runs."
            ),
        ),
        th.Property(
            "oauth_token_url",
            th.StringType,
            default=DEFAULT_OAUTH_TOKEN_URL,
            description="OAuth token endpoint.",
        ),
        th.Property(
            "token_file",
            th.StringType,
            description=(
                "File (mode 0600) where rotated OAuth tokens are saved atomically before "
                "use. Required with OAuth."
            ),
        ),
        th.Property(
            "api_url",
            th.StringType,
            default=DEFAULT_API_URL,
            description="API base URL (a sandbox URL for local runs).",
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            description=("Earliest event start time / activity time to sync. Empty: all history."),
        ),
        th.Property(
            "lookback_days",
            th.NumberType,
            default=30,
            description=(
                "Incremental runs re-read events starting from bookmark minus this many "
                "days, to catch cancellations, reschedules and no-shows of older events."
            ),
        ),
        th.Property(
            "scope",
            th.StringType,
            default="organization",
            allowed_values=["organization", "user"],
            description="organization (admin token, whole org) or user (the token's user).",
        ),
        th.Property(
            "organization",
            th.StringType,
            description="Organization URI. Default: the token user's current organization.",
        ),
        th.Property(
            "user",
            th.StringType,
            description="User URI for user scope. Default: the token's user (/users/me).",
        ),
        th.Property(
            "availability_horizon_days",
            th.IntegerType,
            default=14,
            description="Days ahead covered by busy-time and available-time snapshots.",
        ),
        th.Property(
            "max_concurrency",
            th.IntegerType,
            default=8,
            description="Concurrent requests for per-parent fan-outs (e.g. invitees).",
        ),
        th.Property(
            "requests_per_minute",
            th.IntegerType,
            description="Optional local cap below the server's rate limit.",
        ),
        th.Property(
            "request_timeout",
            th.NumberType,
            default=30,
            description="Seconds before a request is abandoned and retried.",
        ),
        th.Property(
            "max_retries",
            th.IntegerType,
            default=5,
            description="Retries for 5xx, timeouts, resets and truncated bodies.",
        ),
        th.Property(
            "emit_activate_version_messages",
            th.BooleanType,
            default=True,
            title="Emit `ACTIVATE_VERSION` messages",
            description=(
                "Send one ACTIVATE_VERSION per full-table stream after its records, so "
                "the target retires rows the API no longer returns (departed members, "
                "revoked invitations, deleted webhooks, past availability). Incremental "
                "streams never send it."
            ),
        ),
        th.Property(
            "user_agent",
            th.StringType,
            default="tap-calendly",
            description="User-Agent header sent with every request.",
        ),
    ).to_dict()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._owner: Owner | None = None
        self._owner_lock = threading.Lock()
        self._members: list[str] | None = None
        #: Number of parent streams currently emitting records (see ChildStream).
        self.parents_syncing = 0
        if kwargs.get("validate_config", True):
            self.check_auth_settings()

    # -- settings --------------------------------------------------------------------

    def check_auth_settings(self) -> None:
        """Exactly one auth method, complete; otherwise one clear error line."""
        config = self.config
        oauth_keys = ("client_id", "client_secret", "refresh_token")
        has_pat = bool(config.get("personal_access_token"))
        oauth_given = [k for k in oauth_keys if config.get(k)]
        if has_pat and oauth_given:
            raise CalendlyUserError(
                "configure exactly one auth method: personal_access_token OR "
                "client_id/client_secret/refresh_token, not both"
            )
        if not has_pat and not oauth_given:
            raise CalendlyUserError(
                "no credentials: set personal_access_token, or client_id, client_secret "
                "and refresh_token"
            )
        if oauth_given:
            missing = [k for k in oauth_keys if not config.get(k)]
            if missing:
                raise CalendlyUserError(f"OAuth settings incomplete: missing {', '.join(missing)}")
            if not config.get("token_file"):
                raise CalendlyUserError(
                    "OAuth needs token_file: Calendly rotates the refresh token on every "
                    "refresh and the new one must be saved"
                )
        scope = config.get("scope", "organization")
        if scope not in ("organization", "user"):
            raise CalendlyUserError("scope must be 'organization' or 'user'")

    @property
    def api_url(self) -> str:
        return str(self.config.get("api_url") or DEFAULT_API_URL).rstrip("/")

    # -- shared resources (created on first use, never at discovery) -------------------

    @cached_property
    def limiter(self) -> RateLimiter:
        cap = self.config.get("requests_per_minute")
        return RateLimiter(requests_per_minute=int(cap) if cap else None)

    @cached_property
    def transport(self) -> Transport:
        concurrency = int(self.config.get("max_concurrency") or 8)
        session = Transport.build_session(concurrency)
        return Transport(
            api_url=self.api_url,
            tokens=self.token_provider(session),
            limiter=self.limiter,
            session=session,
            timeout=float(self.config.get("request_timeout") or 30),
            max_retries=int(self.config.get("max_retries", 5)),
            user_agent=str(self.config.get("user_agent") or "tap-calendly"),
        )

    def token_provider(self, session: Any) -> TokenProvider:
        self.check_auth_settings()
        config = self.config
        if config.get("personal_access_token"):
            return StaticToken(str(config["personal_access_token"]))
        return OAuthTokens(
            client_id=str(config["client_id"]),
            client_secret=str(config["client_secret"]),
            refresh_token=str(config["refresh_token"]),
            token_url=str(config.get("oauth_token_url") or DEFAULT_OAUTH_TOKEN_URL),
            token_file=Path(str(config["token_file"])).expanduser(),
            session=session,
            timeout=float(config.get("request_timeout") or 30),
        )

    @cached_property
    def bearer_auth(self) -> BearerAuth:
        return BearerAuth(self.transport.tokens)

    @cached_property
    def fanout(self) -> FanOut:
        return FanOut(int(self.config.get("max_concurrency") or 8))

    def owner(self) -> Owner:
        """``/users/me`` once per run: URIs for filters, the full user, server time."""
        if self._owner is not None:
            return self._owner
        with self._owner_lock:
            if self._owner is None:
                import requests

                request = requests.Request("GET", f"{self.api_url}/users/me").prepare()
                response = self.transport.send(request, stream="users")
                body = payload(response)
                me = body.get("resource") if isinstance(body, dict) else None
                if not isinstance(me, dict) or not me.get("uri"):
                    raise CalendlyUserError(f"{self.api_url}/users/me did not return a user")
                server_now = self.transport.first_server_date or datetime.now(UTC)
                self._owner = Owner(
                    me=me,
                    user_uri=str(self.config.get("user") or me["uri"]),
                    organization_uri=str(
                        self.config.get("organization") or me.get("current_organization") or ""
                    ),
                    server_now=server_now,
                )
                self.logger.info(
                    "Syncing as %s, scope=%s, server time %s",
                    self._owner.user_uri,
                    self.config.get("scope", "organization"),
                    server_now.isoformat(),
                )
            return self._owner

    def remember_member(self, user_uri: str) -> None:
        """Called by the memberships stream for every member it emits."""
        if self._members is None:
            self._members = []
        self._members.append(user_uri)

    def member_user_uris(self) -> list[str]:
        """Member user URIs: from the memberships already synced, else listed once."""
        if self._members is None:
            from tap_calendly.streams.organization import OrganizationMembershipsStream

            lister = OrganizationMembershipsStream(self)
            self._members = [
                str(row["user"]["uri"])
                for page in lister.iter_pages(None)
                for row in page
                if isinstance(row.get("user"), dict) and row["user"].get("uri")
            ]
        return list(dict.fromkeys(self._members))

    def server_now(self) -> datetime:
        """The server's latest clock reading (its ``Date`` header), else the owner's."""
        latest = self.transport.last_server_date
        owner = self.owner()
        return max(latest, owner.server_now) if latest else owner.server_now

    def owner_filter(self) -> dict[str, str]:
        """The list filter for the configured scope."""
        owner = self.owner()
        if self.config.get("scope", "organization") == "user":
            return {"user": owner.user_uri}
        return {"organization": owner.organization_uri}

    # -- streams ---------------------------------------------------------------------

    def discover_streams(self) -> list[Stream]:
        return [stream_type(self) for stream_type in STREAM_TYPES]

    def log_progress(self, stream: CalendlyStream, *, final: bool = False) -> None:
        """One line per stream (and its children): records, requests, rate-limit waits."""
        if "transport" not in self.__dict__:
            return
        transport = self.transport
        family = [stream, *stream.child_streams]
        parts = []
        for member in family:
            records = getattr(member, "emitted", 0)
            requests_made = transport.requests_by_stream.get(member.name, 0)
            parts.append(f"{member.name}: {records} records, {requests_made} requests")
        stats = self.limiter.stats
        self.logger.info(
            "%s %s; rate-limit waits so far: %d (%.1f thread-seconds), 429s: %d",
            "Finished" if final else "Progress",
            "; ".join(parts),
            stats.waits,
            stats.wait_seconds,
            stats.throttled,
        )

    # -- CLI -------------------------------------------------------------------------

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """Run the tap; user errors end in one line and exit status 1."""
        try:
            super().invoke(*args, **kwargs)
        except CalendlyUserError as exc:
            cls.logger.error("tap-calendly: %s", exc)
            sys.exit(1)


logging.getLogger("urllib3").setLevel(logging.WARNING)
