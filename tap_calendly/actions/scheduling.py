"""Scheduled events, invitees, event types, shares, single-use links and no-shows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tap_calendly.actions import validate
from tap_calendly.actions.base import (
    STREAM,
    Namespace,
    Record,
    Rows,
    error_text,
    object_uri,
    planned,
    query,
    removal,
)
from tap_calendly.api.errors import APIError


def _already_canceled(error: APIError) -> bool:
    """Calendly answers a second cancellation with 403 "Event is already canceled"."""
    text = error_text(error)
    return error.status in (400, 403, 409) and "already" in text and "cancel" in text


def _already_no_show(error: APIError) -> bool:
    text = error_text(error)
    return error.status in (400, 409, 422) and "already" in text


class Events(Namespace):
    """Scheduled events: "List Events", "Get Event", "Cancel Event"."""

    def list(
        self,
        *,
        user: str | None = None,
        organization: str | None = None,
        invitee_email: str | None = None,
        status: str | None = None,
        sort: str | None = None,
        min_start_time: Any = None,
        max_start_time: Any = None,
        limit: int | None = None,
    ) -> Iterator[Record]:
        """Every matching event, paged with constant memory; owner defaults per settings."""
        params = query(
            {
                "user": validate.optional_uri(user, "--user"),
                "organization": validate.optional_uri(organization, "--organization"),
                "invitee_email": None
                if invitee_email is None
                else validate.email(invitee_email, "--invitee-email"),
                "status": validate.choice(status, ("active", "canceled"), "--status"),
                "sort": validate.choice(sort, ("start_time:asc", "start_time:desc"), "--sort"),
                "min_start_time": validate.optional_time(min_start_time, "--min-start-time"),
                "max_start_time": validate.optional_time(max_start_time, "--max-start-time"),
            }
        )
        validate.limit(limit)
        params.update(self._client.owner_filter(user=user, organization=organization))
        return self._client.paginate("/scheduled_events", params, limit=limit, stream=STREAM)

    def get(self, uuid: str) -> Record:
        event = validate.uuid_of(uuid, "UUID", segment="scheduled_events")
        return self._client.resource(f"/scheduled_events/{event}")

    def cancel(self, uuid: str, *, reason: str | None = None) -> Record:
        """Cancel the event (its invitees are notified); returns the Cancellation.

        Retried after an ambiguous failure: a repeat answered "already canceled" is
        success, and the event's recorded cancellation is returned.
        """
        event = validate.uuid_of(uuid, "UUID", segment="scheduled_events")
        if reason is not None and len(reason) > validate.MAX_REASON:
            raise validate.fail(f"--reason can be at most {validate.MAX_REASON} characters")
        body = {} if reason is None else {"reason": reason}
        outcome = self._client.write(
            "POST",
            f"/scheduled_events/{event}/cancellation",
            body,
            already_done=_already_canceled,
        )
        if outcome.planned is not None:
            return planned(outcome)
        if outcome.already_done:
            return dict(self.get(event).get("cancellation") or {})
        return outcome.resource


class Invitees(Namespace):
    """Invitees of one event: "List Event Invitees", "Get Event Invitee"."""

    def list(
        self,
        event: str,
        *,
        status: str | None = None,
        email: str | None = None,
        sort: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Record]:
        event_uuid = validate.uuid_of(event, "EVENT", segment="scheduled_events")
        params = query(
            {
                "status": validate.choice(status, ("active", "canceled"), "--status"),
                "email": None if email is None else validate.email(email, "--email"),
                "sort": validate.choice(sort, ("created_at:asc", "created_at:desc"), "--sort"),
            }
        )
        validate.limit(limit)
        return self._client.paginate(
            f"/scheduled_events/{event_uuid}/invitees", params, limit=limit, stream=STREAM
        )

    def get(self, invitee: str, invitee_uuid: str | None = None) -> Record:
        """By invitee URI, or by event UUID and invitee UUID."""
        if invitee_uuid is None:
            uri = validate.invitee_uri(invitee)
            parts = [p for p in uri.split("/") if p]
            event_uuid, invitee_uuid = parts[-3], parts[-1]
        else:
            event_uuid = validate.uuid_of(invitee, "EVENT", segment="scheduled_events")
            invitee_uuid = validate.uuid_of(invitee_uuid, "INVITEE", segment="invitees")
        return self._client.resource(f"/scheduled_events/{event_uuid}/invitees/{invitee_uuid}")


class EventTypes(Namespace):
    """Event types: "List User's Event Types", "Get Event Type",
    "List Event Type Available Times"."""

    def list(
        self,
        *,
        user: str | None = None,
        organization: str | None = None,
        active: bool | None = None,
        admin_managed: bool | None = None,
        sort: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Record]:
        params = query(
            {
                "user": validate.optional_uri(user, "--user"),
                "organization": validate.optional_uri(organization, "--organization"),
                "active": active,
                "admin_managed": admin_managed,
                "sort": validate.choice(sort, ("name:asc", "name:desc"), "--sort"),
            }
        )
        validate.limit(limit)
        params.update(self._client.owner_filter(user=user, organization=organization))
        return self._client.paginate("/event_types", params, limit=limit, stream=STREAM)

    def get(self, uuid: str) -> Record:
        event_type = validate.uuid_of(uuid, "UUID", segment="event_types")
        return self._client.resource(f"/event_types/{event_type}")

    def available_times(self, event_type: str, *, start_time: Any, end_time: Any) -> Rows:
        """Bookable slots in a future window of at most 31 days."""
        start, end = validate.window(
            start_time,
            end_time,
            max_days=validate.AVAILABLE_TIMES_MAX_DAYS,
            names=("--start-time", "--end-time"),
        )
        params = {
            "event_type": validate.uri(event_type, "EVENT_TYPE"),
            "start_time": start,
            "end_time": end,
        }
        return self._client.collection("/event_type_available_times", params)


class Shares(Namespace):
    """ "Create Share": a customised one-off version of an event type."""

    def create(self, event_type: str, **options: Any) -> Record:
        """Options: name, duration, period_type, start_date, end_date, max_booking_time,
        hide_location, location_configurations, availability_rule (see POST /shares).

        Not repeated after an ambiguous failure: a repeat would create a second share.
        """
        body = validate.share_body(event_type, **options)
        outcome = self._client.write("POST", "/shares", body)
        return planned(outcome) if outcome.planned is not None else outcome.resource


class SchedulingLinks(Namespace):
    """ "Create Single-Use Scheduling Link" for an event type."""

    def create(
        self, owner: str, *, owner_type: str = "EventType", max_event_count: int = 1
    ) -> Record:
        """Not repeated after an ambiguous failure: a repeat would create a second link."""
        validate.choice(owner_type, ("EventType",), "--owner-type")
        if max_event_count != 1:
            raise validate.fail("--max-event-count must be 1 (Calendly's single-use links)")
        body = {
            "max_event_count": max_event_count,
            "owner": validate.uri(owner, "--owner"),
            "owner_type": owner_type,
        }
        outcome = self._client.write("POST", "/scheduling_links", body)
        return planned(outcome) if outcome.planned is not None else outcome.resource


class NoShows(Namespace):
    """ "Create Invitee No Show", "Delete Invitee No Show", "Get Invitee No Show"."""

    def get(self, uuid: str) -> Record:
        no_show = validate.uuid_of(uuid, "UUID", segment="invitee_no_shows")
        return self._client.resource(f"/invitee_no_shows/{no_show}")

    def mark(self, invitee: str) -> Record:
        """Mark the invitee as a no-show; a retried mark answered "already" is success."""
        uri = validate.invitee_uri(invitee)
        outcome = self._client.write(
            "POST", "/invitee_no_shows", {"invitee": uri}, already_done=_already_no_show
        )
        if outcome.planned is not None:
            return planned(outcome)
        if outcome.already_done:
            current = self._client.invitees.get(uri).get("no_show") or {}
            return self.get(str(current.get("uri") or "")) if current.get("uri") else {}
        return outcome.resource

    def unmark(self, uuid: str) -> Record:
        no_show = validate.uuid_of(uuid, "UUID", segment="invitee_no_shows")
        outcome = self._client.write("DELETE", f"/invitee_no_shows/{no_show}")
        path = f"/invitee_no_shows/{no_show}"
        return removal(object_uri(self._client, uuid, path), "deleted", outcome)
