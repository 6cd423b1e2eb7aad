"""TapCalendly: settings, stream discovery, and the run's sync context.

Discovery needs neither network nor token: streams are static. Streams get a
:class:`SyncContext` (the client, the fan-out pool, the owner lookup, the member
list, progress logging), never the tap; it creates the client on first use.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Stream, Tap
from singer_sdk.helpers.capabilities import PluginCapabilities, TapCapabilities
from typing_extensions import override

from tap_calendly.api import CalendlyError, ConfigError, Settings
from tap_calendly.output import CalendlySingerWriter
from tap_calendly.settings_schema import settings_jsonschema
from tap_calendly.streams import STREAM_TYPES
from tap_calendly.streams.context import SyncContext

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
        return super()._validate_config(raise_errors=raise_errors)

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

    # -- CLI -------------------------------------------------------------------------

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """Run the tap; user errors end in one line and exit status 1."""
        try:
            super().invoke(*args, **kwargs)
        except CalendlyError as exc:
            cls.logger.error("tap-calendly: %s", exc)
            sys.exit(1)


logging.getLogger("urllib3").setLevel(logging.WARNING)
