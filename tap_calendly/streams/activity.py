"""Activity log (Enterprise plans only: a 403 skips the stream with one warning)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from tap_calendly.streams.base import CalendlyStream
from tap_calendly.streams.schema import (
    datetime_,
    free_object,
    key_string,
    obj,
    record,
    string,
)
from tap_calendly.windows import format_api_time, parse_datetime

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


class ActivityLogEntriesStream(CalendlyStream):
    """``/activity_log_entries``: entries since the bookmark, oldest first, 1000 a page.

    Entries are immutable, so the bookmark itself (not a lookback) is the lower bound;
    an entry at exactly the bookmark is re-read and deduplicated by ``uri``.
    """

    name = "activity_log_entries"
    path = "/activity_log_entries"
    replication_key = "occurred_at"
    is_sorted = False
    page_size = 1000
    gated = True
    schema: ClassVar[dict[str, Any]] = record(
        uri=key_string(),
        occurred_at=datetime_(),
        namespace=string(),
        action=string(),
        fully_qualified_name=string(),
        details=free_object(),
        organization=string(),
        actor=obj(
            uri=string(),
            type=string(),
            display_name=string(),
            alternative_identifier=string(),
            organization=obj(uri=string(), role=string()),
            group=obj(uri=string(), name=string(), role=string()),
        ),
    )

    def query(self, context: Context | None) -> dict[str, Any]:
        params: dict[str, Any] = {
            "organization": self.sync_context.owner().organization_uri,
            "sort": "occurred_at:asc",
        }
        state = self.get_context_state(None)
        candidates = []
        if state.get("replication_key") == self.replication_key and state.get(
            "replication_key_value"
        ):
            candidates.append(parse_datetime(str(state["replication_key_value"])))
        if self.sync_context.settings.start_date is not None:
            candidates.append(self.sync_context.settings.start_date)
        if candidates:
            params["min_occurred_at"] = format_api_time(max(candidates))
        return params
