"""TapCalendly: settings, stream discovery, and the run's shared resources.

Discovery needs neither network nor token: streams are static. The owner (user and
organization URIs, the full ``/users/me`` record, the server's clock) is looked up
once per run, lazily, on the first request that needs it. All streams share one
transport (session + rate limiter + token) and one fan-out pool.
"""

from __future__ import annotations

import io
import logging
import sys
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import click
import orjson
from singer_sdk import Stream, Tap
from singer_sdk.helpers.capabilities import PluginCapabilities, TapCapabilities
from typing_extensions import override

from tap_calendly.api import SETTINGS, CalendlyClient, CalendlyError, ConfigError, Owner, Settings
from tap_calendly.api.auth import BearerAuth
from tap_calendly.api.ratelimit import RateLimiter
from tap_calendly.api.settings import parse_json_object
from tap_calendly.api.transport import Transport
from tap_calendly.fanout import FanOut
from tap_calendly.output import CalendlySingerWriter
from tap_calendly.settings_schema import settings_jsonschema
from tap_calendly.streams import STREAM_TYPES
from tap_calendly.tap_input import (
    check_catalog,
    check_config_files,
    check_selection,
    check_state,
    describe_file,
    sdk_setting_problems,
    warn_unknown_bookmarks,
)

if TYPE_CHECKING:
    from singer_sdk.helpers.capabilities import CapabilitiesEnum

    from tap_calendly.client import CalendlyStream


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

    config_jsonschema: ClassVar[dict[str, Any]] = settings_jsonschema()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._settings: Settings | None = None
        super().__init__(*args, **kwargs)
        self._check_catalog_selection()
        self._members: list[str] | None = None
        #: Number of parent streams currently emitting records (see ChildStream).
        self.parents_syncing = 0

    # -- settings --------------------------------------------------------------------

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """Our :class:`Settings` first (one line, never a value), then the SDK's own keys."""
        try:
            self._settings = Settings.parse(self.config)
        except ConfigError as exc:
            if raise_errors:
                raise
            return [str(exc)]
        # Numbers as parsed (config files arrive with Decimal floats, which the SDK's
        # schema check would refuse for an integer setting written as 4.0).
        for setting in SETTINGS:
            if setting.kind in ("integer", "number") and self._config.get(setting.name) is not None:
                self._config[setting.name] = getattr(self._settings, setting.name)
        errors = super()._validate_config(raise_errors=False)
        if errors and raise_errors:
            raise ConfigError("invalid settings: " + "; ".join(sdk_setting_problems(errors)))
        return errors

    @property
    def settings(self) -> Settings:
        """The validated settings (parsed on first use when validation was skipped)."""
        if self._settings is None:
            self._settings = Settings.parse(self.config)
        return self._settings

    @property
    def api_url(self) -> str:
        return self.settings.base_url

    # -- shared resources (created on first use, never at discovery) -------------------

    @cached_property
    def client(self) -> CalendlyClient:
        return CalendlyClient.from_settings(self.settings)

    @property
    def limiter(self) -> RateLimiter:
        return self.client.limiter

    @property
    def transport(self) -> Transport:
        return self.client.transport

    @cached_property
    def bearer_auth(self) -> BearerAuth:
        return BearerAuth(self.transport.tokens)

    @cached_property
    def fanout(self) -> FanOut:
        return FanOut(self.settings.max_concurrency)

    def owner(self) -> Owner:
        """``/users/me`` once per run: URIs for filters, the full user, server time."""
        first = self.client._owner is None
        owner = self.client.owner()
        if first:
            self.logger.info(
                "Syncing as %s, scope=%s, server time %s",
                owner.user_uri,
                self.settings.scope,
                owner.server_now.isoformat(),
            )
        return owner

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
        self.owner()
        return self.client.server_now()

    def owner_filter(self) -> dict[str, str]:
        """The list filter for the configured scope."""
        owner = self.owner()
        if self.settings.scope == "user":
            return {"user": owner.user_uri}
        return {"organization": owner.organization_uri}

    # -- streams ---------------------------------------------------------------------

    def discover_streams(self) -> list[Stream]:
        return [stream_type(self) for stream_type in STREAM_TYPES]

    def log_progress(self, stream: CalendlyStream, *, final: bool = False) -> None:
        """One line per stream (and its children): records, requests, rate-limit waits."""
        if "client" not in self.__dict__:
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

    # -- input checks (tap_input: one line instead of a traceback or a silent no-op) ----

    @override
    def load_state(self, state: dict[str, Any]) -> None:
        date_keys: dict[str, str | None] = {}
        for stream_type in STREAM_TYPES:
            key = getattr(stream_type, "replication_key", None)
            date_keys[stream_type.name] = key if isinstance(key, str) else None
        warn_unknown_bookmarks(check_state(state, date_keys))
        super().load_state(state)

    def _check_catalog_selection(self) -> None:
        """A catalog must select at least one stream, and only streams this tap has."""
        catalog = self.input_catalog
        if catalog is None:
            return
        unknown = [
            entry.tap_stream_id
            for entry in catalog.streams
            if entry.tap_stream_id not in self.streams
            and entry.metadata.resolve_selection().get((), True)
        ]
        check_selection([n for n, s in self.streams.items() if s.selected], unknown)

    # -- CLI -------------------------------------------------------------------------

    @classmethod
    def cb_config(cls, ctx: click.Context, param: click.Option, value: tuple[str, ...]) -> Any:
        """Config files checked first: missing/empty/invalid is one line, not a traceback."""
        try:
            check_config_files(value)
        except CalendlyError as exc:
            cls.logger.error("tap-calendly: %s", exc)
            ctx.exit(1)
        return super().cb_config(ctx, param, value)

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """Run the tap; user errors end in one line and exit status 1."""
        try:
            for kind in ("state", "catalog"):
                handle = kwargs.get(kind)
                if handle is not None:
                    what = describe_file(handle, kind)
                    data = parse_json_object(handle.read(), what)
                    if kind == "catalog":
                        check_catalog(data, what)
                    kwargs[kind] = io.StringIO(orjson.dumps(data).decode())
            super().invoke(*args, **kwargs)
        except CalendlyError as exc:
            cls.logger.error("tap-calendly: %s", exc)
            sys.exit(1)


logging.getLogger("urllib3").setLevel(logging.WARNING)
