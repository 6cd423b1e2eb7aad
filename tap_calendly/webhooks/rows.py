"""Which table rows a Calendly event carries.

An ``invitee.*`` or ``invitee_no_show.*`` payload is the Invitee object with its
``scheduled_event`` embedded: one ``event_invitees`` row and one ``scheduled_events``
row. A ``routing_form_submission.created`` payload is one ``routing_form_submissions``
row. Table names are the tap's stream names, which the loader uses as table names.
"""

from __future__ import annotations

from typing import Any

from tap_calendly.webhooks.envelope import INVITEE_EVENTS, SUBMISSION_EVENTS

Record = dict[str, Any]

INVITEES = "event_invitees"
EVENTS = "scheduled_events"
SUBMISSIONS = "routing_form_submissions"
TABLES = (INVITEES, EVENTS, SUBMISSIONS)


def rows_for(event: str, payload: Record) -> list[tuple[str, Record]]:
    """``(table, record)`` pairs for one event; empty for events no table holds."""
    if event in INVITEE_EVENTS:
        invitee = {k: v for k, v in payload.items() if k != "scheduled_event"}
        scheduled = payload.get("scheduled_event")
        found: list[tuple[str, Record]] = []
        if isinstance(scheduled, dict) and isinstance(scheduled.get("uri"), str):
            # the tap fills ``event`` from the parent when a listing lacks it; do the same
            invitee.setdefault("event", scheduled["uri"])
            found.append((EVENTS, scheduled))
        found.insert(0, (INVITEES, invitee))
        return found
    if event in SUBMISSION_EVENTS:
        return [(SUBMISSIONS, payload)]
    return []
