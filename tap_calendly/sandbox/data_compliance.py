"""Data-compliance deletions (Enterprise): invitee data by e-mail, events by time range.

Plan gating is the server's job; these functions only validate their arguments and
apply the deletion at once (the real API takes up to 7 days).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tap_calendly.sandbox import data_records as rec
from tap_calendly.sandbox.api_errors import invalid_argument
from tap_calendly.sandbox.data_errors import check_email
from tap_calendly.sandbox.store import Record, SandboxOrg, format_ts


def _unlink_invitees(org: SandboxOrg, removed: set[str], now_ts: str) -> None:
    """Clear references to deleted invitees from surviving records."""
    for invitee in org.records("event_invitees"):
        changed = False
        for key in ("old_invitee", "new_invitee"):
            if invitee[key] in removed:
                invitee[key] = None
                changed = True
        if changed:
            invitee["updated_at"] = now_ts
    for submission in org.records("routing_form_submissions"):
        if submission["submitter"] in removed:
            submission["submitter"] = None
            submission["submitter_type"] = None
            submission["updated_at"] = now_ts
    no_shows = org.collections["invitee_no_shows"]
    for uri in [u for u, n in no_shows.items() if n["invitee"] in removed]:
        del no_shows[uri]


def delete_invitee_data(org: SandboxOrg, emails: list[str]) -> None:
    """Data-compliance deletion of invitees by e-mail (case-insensitive).

    Calendly removes the invitees' data from all bookings: their invitee records and
    no-show marks go, event guests with those e-mails are dropped, routing form
    submissions they made are anonymised (answers and tracking cleared, submitter
    unlinked). Events stay, with counters recomputed and ``updated_at`` bumped. The real
    API finishes within days; the sandbox applies it at once.
    """
    if not isinstance(emails, list) or not emails:
        raise invalid_argument("emails", "must be a non-empty list")
    keys = {check_email(e).lower() for e in emails}
    with org.lock:
        now_ts = org.now_ts()
        table = org.collections["event_invitees"]
        doomed = [i for i in table.values() if i["email"].lower() in keys]
        removed = {i["uri"] for i in doomed}
        touched_events: dict[str, Record] = {}
        for invitee in doomed:
            del table[invitee["uri"]]
            event = org.get("scheduled_events", invitee["event"])
            if event is not None:
                touched_events[event["uri"]] = event
        for event in org.records("scheduled_events"):
            guests = event["event_guests"]
            kept = [g for g in guests if g["email"].lower() not in keys]
            if len(kept) != len(guests):
                event["event_guests"] = kept
                touched_events[event["uri"]] = event
        for event in touched_events.values():
            rec.recount(org, event)
            event["updated_at"] = now_ts
        submitted = {
            s["uri"] for s in org.records("routing_form_submissions") if s["submitter"] in removed
        }
        for submission in org.records("routing_form_submissions"):
            answers = submission["questions_and_answers"]
            by_email = any(
                isinstance(a.get("answer"), str) and a["answer"].lower() in keys for a in answers
            )
            if submission["uri"] in submitted or by_email:
                for answer in answers:
                    answer["answer"] = None
                submission["tracking"] = dict.fromkeys(submission["tracking"])
                submission["updated_at"] = now_ts
        _unlink_invitees(org, removed, now_ts)


def delete_event_data(org: SandboxOrg, *, start_time: datetime, end_time: datetime) -> None:
    """Data-compliance deletion of scheduled events starting in [start_time, end_time),
    with their invitees and no-shows. The range must be in the past and at most
    24 months long (400 otherwise)."""
    if end_time <= start_time:
        raise invalid_argument("end_time", "must be after start_time")
    if end_time - start_time > timedelta(days=731):
        raise invalid_argument("end_time", "The date range can be no greater than 24 months")
    with org.lock:
        if end_time > org.now():
            raise invalid_argument("end_time", "must be in the past")
        lo, hi = format_ts(start_time), format_ts(end_time)
        events = org.collections["scheduled_events"]
        doomed = [uri for uri, e in events.items() if lo <= e["start_time"] < hi]
        removed: set[str] = set()
        invitees = org.collections["event_invitees"]
        for uri in doomed:
            for invitee in org.children_of("event_invitees", uri):
                removed.add(invitee["uri"])
                del invitees[invitee["uri"]]
            del events[uri]
            org.children["event_invitees"].pop(uri, None)
        _unlink_invitees(org, removed, org.now_ts())
