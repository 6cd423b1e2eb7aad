"""TapCalendly: settings, stream discovery, and the run's sync context.

Discovery needs neither network nor token: streams are static. Streams get a
:class:`SyncContext` (the client, the fan-out pool, the owner lookup, the member
list, progress logging), never the tap; it creates the client on first use.
"""

from __future__ import annotations

import io
import logging
import sys
from typing import TYPE_CHECKING, Any, ClassVar

import click
import orjson
from singer_sdk import Stream, Tap
from singer_sdk.helpers.capabilities import PluginCapabilities, TapCapabilities
from typing_extensions import override

from tap_calendly.api import SETTINGS, CalendlyError, ConfigError, Settings
from tap_calendly.api.settings import parse_json_object
from tap_calendly.output import CalendlySingerWriter, buffer_stdout
from tap_calendly.settings_schema import settings_jsonschema
from tap_calendly.streams import STREAM_TYPES
from tap_calendly.streams.context import SyncContext
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
        self._sync: SyncContext | None = None
        super().__init__(*args, **kwargs)
        self._check_catalog_selection()

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
    def sync_context(self) -> SyncContext:
        """The run's shared context (nothing in it is created before it is used)."""
        if self._sync is None:
            self._sync = SyncContext(
                load_settings=lambda: self.settings,
                run_version=self.initialized_at,
                logger=self.logger,
            )
        return self._sync

    # -- streams ---------------------------------------------------------------------

    def discover_streams(self) -> list[Stream]:
        return [stream_type(self, self.sync_context) for stream_type in STREAM_TYPES]

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
        buffer_stdout()
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
