"""Scheduling domain: event types, scheduled events and their invitees.

Calendly cannot filter on ``updated_at``, and cancellations, reschedules and no-shows
change records whose start time was synced long ago. So each run re-reads the start
time window ``[max(start_date, bookmark - lookback_days), +inf)`` (future bookings
included), and ``updated_at`` is the bookmark (max seen; pages are sorted by start
time, so records are unsorted with respect to the bookmark).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from tap_calendly.streams.base import CalendlyStream, ChildStream, Record
from tap_calendly.streams.schema import (
    array,
    boolean,
    cancellation,
    datetime_,
    integer,
    key_string,
    location,
    number,
    obj,
    record,
    string,
    tracking,
)
from tap_calendly.windows import format_api_time, incremental_window_start

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


class EventTypesStream(CalendlyStream):
    """``/event_types``: active and inactive (no ``active`` filter returns both)."""

    name = "event_types"
    path = "/event_types"
    schema: ClassVar[dict[str, Any]] = record(
        uri=key_string(),
        name=string(),
        active=boolean(),
        slug=string(),
        scheduling_url=string(),
        duration=number(),
        duration_options=array(number()),
        kind=string(),
        pooling_type=string(),
        type=string(),
        color=string(),
        created_at=datetime_(),
        updated_at=datetime_(),
        internal_note=string(),
        description_plain=string(),
        description_html=string(),
        profile=obj(type=string(), name=string(), owner=string()),
        secret=boolean(),
        booking_method=string(),
        custom_questions=array(
            obj(
                name=string(),
                type=string(),
                position=number(),
                enabled=boolean(),
                required=boolean(),
                answer_choices=array(string()),
                include_other=boolean(),
            )
        ),
        deleted_at=datetime_(),
        kind_description=string(),
        admin_managed=boolean(),
        locations=array(obj(kind=string(), location=string(), additional_info=string())),
        position=integer(),
        locale=string(),
    )

    def query(self, context: Context | None) -> dict[str, Any]:
        return self.sync_context.owner_filter()

    def get_child_context(self, record: Record, context: Context | None) -> Context | None:
        return {"event_type_uri": record["uri"], "active": bool(record.get("active"))}


class LookbackStream(CalendlyStream):
    """Computes the incremental re-read window from the raw bookmark."""

    def raw_bookmark(self) -> str | None:
        """The bookmark as the previous run left it (never the in-progress max)."""
        state = self.get_context_state(None)
        if state.get("replication_key") not in (None, self.replication_key):
            return None
        value = state.get("replication_key_value")
        return str(value) if value else None

    def window_start_for(self, bookmark: str | None) -> datetime | None:
        settings = self.sync_context.settings
        return incremental_window_start(
            start_date=settings.start_date,
            bookmark=bookmark,
            lookback_days=settings.lookback_days,
        )


class ScheduledEventsStream(LookbackStream):
    """``/scheduled_events``: both statuses, sorted by start time, no upper bound."""

    name = "scheduled_events"
    path = "/scheduled_events"
    replication_key = "updated_at"
    is_sorted = False
    schema: ClassVar[dict[str, Any]] = record(
        uri=key_string(),
        name=string(),
        meeting_notes_plain=string(),
        meeting_notes_html=string(),
        status=string(),
        start_time=datetime_(),
        end_time=datetime_(),
        event_type=string(),
        location=location(),
        invitees_counter=obj(total=integer(), active=integer(), limit=integer()),
        created_at=datetime_(),
        updated_at=datetime_(),
        event_memberships=array(
            obj(
                user=string(),
                user_email=string(),
                user_name=string(),
                buffered_start_time=datetime_(),
                buffered_end_time=datetime_(),
            )
        ),
        event_guests=array(obj(email=string(), created_at=datetime_(), updated_at=datetime_())),
        cancellation=cancellation(),
        calendar_event=obj(kind=string(), external_id=string()),
    )

    def window_start(self) -> datetime | None:
        """One window for events and invitees: the older of the selected bookmarks."""
        streams: list[Any] = [self, *self.child_streams]
        bookmarks = [
            s.raw_bookmark() for s in streams if s.selected and isinstance(s, LookbackStream)
        ]
        if not bookmarks or any(b is None for b in bookmarks):
            return self.window_start_for(None)
        return self.window_start_for(min(b for b in bookmarks if b))

    def query(self, context: Context | None) -> dict[str, Any]:
        params = {**self.sync_context.owner_filter(), "sort": "start_time:asc"}
        start = self.window_start()
        if start is not None:
            params["min_start_time"] = format_api_time(start)
        return params

    def get_child_context(self, record: Record, context: Context | None) -> Context | None:
        return {"event_uri": record["uri"]}


class EventInviteesStream(LookbackStream, ChildStream):
    """``/scheduled_events/{uuid}/invitees`` for every event in the window.

    One bookmark for the whole stream. No-shows need no stream of their own: the
    invitee's ``no_show {uri, created_at}`` carries them (there is no list endpoint).
    """

    name = "event_invitees"
    path = "/scheduled_events/{event_uuid}/invitees"
    parent_stream_type = ScheduledEventsStream
    parent_key = "event_uri"
    replication_key = "updated_at"
    is_sorted = False
    schema: ClassVar[dict[str, Any]] = record(
        uri=key_string(),
        email=string(),
        first_name=string(),
        last_name=string(),
        name=string(),
        status=string(),
        questions_and_answers=array(obj(question=string(), answer=string(), position=number())),
        timezone=string(),
        event=string(),
        created_at=datetime_(),
        updated_at=datetime_(),
        tracking=tracking(),
        text_reminder_number=string(),
        rescheduled=boolean(),
        old_invitee=string(),
        new_invitee=string(),
        cancel_url=string(),
        reschedule_url=string(),
        routing_form_submission=string(),
        cancellation=cancellation(),
        payment=obj(
            external_id=string(),
            provider=string(),
            amount=number(),
            currency=string(),
            terms=string(),
            successful=boolean(),
        ),
        no_show=obj(uri=string(), created_at=datetime_()),
        reconfirmation=obj(created_at=datetime_(), confirmed_at=datetime_()),
        scheduling_method=string(),
        invitee_scheduled_by=string(),
    )

    def get_url(self, context: Context | None) -> str:
        assert context is not None
        event_uuid = str(context["event_uri"]).rstrip("/").rsplit("/", 1)[-1]
        return f"{self.url_base}/scheduled_events/{event_uuid}/invitees"

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        if context is not None:
            row.setdefault("event", context["event_uri"])
        return super().post_process(row, context)
