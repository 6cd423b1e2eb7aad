"""Domain operations on a sandbox organization.

Shared by the server's write endpoints and the clock-driven mutator, so a cancellation
looks the same whichever caused it: every changed record gets ``updated_at = now``,
webhook-worthy changes call ``org.notify`` (after the change), counters stay consistent,
and caller errors raise :class:`OpError` with the status, title and message Calendly uses
(FACTS.md section 4, spec error examples). Callers hold ``org.lock`` around a call when
other threads may read; every op also takes the (re-entrant) lock itself.

The operations live here except shares/scheduling links (:mod:`data_sharing`) and the
compliance deletions (:mod:`data_compliance`), re-exported so callers use ``ops.*`` only.

Randomness: ops that must invent content (a booking's answers, a new user's name) take an
optional ``rng``; without one they derive it from (seed, simulated now, arguments), so
the same calls at the same simulated times build the same records.

Time: the ops that history is made of (booking, cancellation, reschedule, no-show,
reconfirmation, routing submission, invitation, activity entry) take an optional ``at``,
the simulated instant the change happens. Live callers leave it out (now); the generator
writes two years of history through the same ops with past instants, so a cancellation
from last year and one from a minute ago follow one set of rules. Checks against time
("Event in the past", "must be in the future") are made at ``at``; ``updated_at`` never
moves backwards, since history is recorded event by event rather than in time order.
"""

from __future__ import annotations

import copy
import random
import re
from datetime import datetime

from tap_calendly.sandbox import data_pools as pools
from tap_calendly.sandbox import data_records as rec
from tap_calendly.sandbox.api_errors import invalid_argument
from tap_calendly.sandbox.data_compliance import delete_event_data as delete_event_data
from tap_calendly.sandbox.data_compliance import delete_invitee_data as delete_invitee_data
from tap_calendly.sandbox.data_errors import OpError as OpError
from tap_calendly.sandbox.data_errors import check_email, op_rng
from tap_calendly.sandbox.data_errors import fresh_uuid as _uuid
from tap_calendly.sandbox.data_errors import get_record as _get
from tap_calendly.sandbox.data_sharing import create_scheduling_link as create_scheduling_link
from tap_calendly.sandbox.data_sharing import create_share as create_share
from tap_calendly.sandbox.store import Record, SandboxOrg, format_ts, parse_ts

_WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")

#: Webhook events a subscription may name: the spec's three plus the newer no-show pair.
WEBHOOK_EVENTS: tuple[str, ...] = (
    "invitee.created",
    "invitee.canceled",
    "routing_form_submission.created",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
)


def _instant(org: SandboxOrg, at: datetime | None) -> datetime:
    """When a change happens: ``at`` (recorded history) or the sandbox's now."""
    if at is None:
        return org.now()
    if at > org.now():
        raise ValueError("a change cannot be recorded after the sandbox's now")
    return at


def _touch(record: Record, ts: str) -> None:
    """Bump ``updated_at`` to ``ts``, never backwards (history arrives out of order)."""
    if ts > record["updated_at"]:
        record["updated_at"] = ts


def _notify_invitee(org: SandboxOrg, event_name: str, invitee: Record) -> None:
    """Invitee webhooks carry the invitee plus its ``scheduled_event`` (newer payloads)."""
    if not org.listeners:
        return
    payload = copy.deepcopy(invitee)
    event = org.get("scheduled_events", invitee["event"])
    if event is not None:
        payload["scheduled_event"] = copy.deepcopy(event)
    org.notify(event_name, payload)


def _member_role(org: SandboxOrg, user_uri: str) -> str:
    for membership in org.records("organization_memberships"):
        if membership["user"]["uri"] == user_uri:
            return str(membership["role"])
    return "user"


def log_activity(
    org: SandboxOrg,
    namespace: str,
    action: str,
    details: Record,
    *,
    actor: str | None = None,
    rng: random.Random | None = None,
    at: datetime | None = None,
) -> Record:
    """Add an activity log entry at ``at`` (default now); ``actor`` is a user URI (None:
    Calendly System)."""
    with org.lock:
        when = _instant(org, at)
        rng = rng or op_rng(
            org, "activity", namespace, action, len(org.collections["activity_log_entries"])
        )
        user = org.get("users", actor) if actor else None
        entry = rec.activity_entry(
            org,
            _uuid(org, rng, "activity_log_entries"),
            occurred_ts=format_ts(when),
            namespace=namespace,
            action=action,
            details=details,
            actor=(
                rec.user_actor(org, user, _member_role(org, user["uri"]))
                if user
                else dict(rec.SYSTEM_ACTOR)
            ),
        )
        org.put("activity_log_entries", entry)
        return entry


# -- scheduled events and invitees ---------------------------------------------------------


def _cancel_record(record: Record, cancel: Record, ts: str) -> None:
    record["status"] = "canceled"
    record["cancellation"] = dict(cancel)
    _touch(record, ts)


def _settle_event(org: SandboxOrg, event: Record, cancel: Record, ts: str) -> None:
    """After an invitee left an event: recount, bump, and cancel the event when no
    invitee stays active."""
    rec.recount(org, event)
    _touch(event, ts)
    if event["invitees_counter"]["active"] == 0:
        event["status"] = "canceled"
        event["cancellation"] = dict(cancel)


def cancel_event(
    org: SandboxOrg,
    event_uri: str,
    *,
    reason: str | None,
    canceled_by: str,
    canceler_type: str,
    at: datetime | None = None,
) -> Record:
    """Cancel an event and its active invitees; returns the ``Cancellation``.

    Calendly answers a cancellation of an already-canceled event, or of one that has
    started, with 403 "Permission Denied" (the spec's 403 enum lists "Event is already
    canceled" and "Event in the past"), not 400; the sandbox does the same.
    """
    if canceler_type not in ("host", "invitee"):
        raise invalid_argument("canceler_type", "must be host or invitee")
    with org.lock:
        when = _instant(org, at)
        event = _get(org, "scheduled_events", event_uri)
        if event["status"] == "canceled":
            raise OpError(403, "Permission Denied", "Event is already canceled")
        if parse_ts(event["start_time"]) <= when:
            raise OpError(403, "Permission Denied", "Event in the past")
        ts = format_ts(when)
        cancel = rec.cancellation(canceled_by, reason, canceler_type)
        _cancel_record(event, cancel, ts)
        canceled = [
            i for i in org.children_of("event_invitees", event_uri) if i["status"] == "active"
        ]
        for invitee in canceled:
            _cancel_record(invitee, cancel, ts)
        rec.recount(org, event)
    for invitee in canceled:
        _notify_invitee(org, "invitee.canceled", invitee)
    return dict(cancel)


def cancel_invitee(
    org: SandboxOrg,
    invitee_uri: str,
    *,
    reason: str | None,
    canceled_by: str,
    canceler_type: str = "invitee",
    at: datetime | None = None,
) -> Record:
    """Cancel one invitee (e.g. one seat of a group event). The event is canceled too when
    no other invitee stays active. Returns the invitee."""
    with org.lock:
        when = _instant(org, at)
        invitee = _get(org, "event_invitees", invitee_uri)
        if invitee["status"] == "canceled":
            raise OpError(403, "Permission Denied", "Invitee is already canceled")
        event = _get(org, "scheduled_events", invitee["event"])
        if parse_ts(event["start_time"]) <= when:
            raise OpError(403, "Permission Denied", "Event in the past")
        ts = format_ts(when)
        cancel = rec.cancellation(canceled_by, reason, canceler_type)
        _cancel_record(invitee, cancel, ts)
        _settle_event(org, event, cancel, ts)
    _notify_invitee(org, "invitee.canceled", invitee)
    return invitee


def _hosts_for(org: SandboxOrg, event_type: Record, rng: random.Random) -> list[Record]:
    hosts = rec.team_hosts(org, event_type)
    if event_type["pooling_type"] == "round_robin" and hosts:
        return [rng.choice(hosts)]
    return hosts


def book(
    org: SandboxOrg,
    *,
    event_type_uri: str,
    start_time: datetime,
    who: rec.Persona | None = None,
    rng: random.Random | None = None,
    old_invitee: str | None = None,
    routing_form_submission: str | None = None,
    event_uri: str | None = None,
    find_open_event: bool = True,
    notify: bool = True,
    hosts: list[Record] | None = None,
    at: datetime | None = None,
) -> Record:
    """Book ``event_type_uri`` at ``start_time``; returns the new invitee.

    ``event_uri`` joins that (group) event. Otherwise, with ``find_open_event``, a group
    event type fills an existing event at the same start time while seats remain (a scan
    of all events); else a new event is created with ``hosts`` (default: the event
    type's hosts, one of them for round robin). Notifies ``invitee.created`` unless
    ``notify`` is false (a caller composing a larger change). A booking recorded in the
    past (``at`` given) skips the event type's ``active`` check: that flag is today's.
    """
    with org.lock:
        when = _instant(org, at)
        rng = rng or op_rng(org, "book", event_type_uri, format_ts(start_time))
        event_type = _get(org, "event_types", event_type_uri)
        if at is None and (not event_type["active"] or event_type["deleted_at"] is not None):
            raise invalid_argument("event_type", "event type is not active")
        event = None
        if event_uri is not None:
            event = _get(org, "scheduled_events", event_uri)
            counter = event["invitees_counter"]
            if (
                event["event_type"] != event_type_uri
                or event["status"] != "active"
                or counter["active"] >= counter["limit"]
            ):
                raise invalid_argument("event", "event has no open seat for this event type")
            start_time = parse_ts(event["start_time"])
        if start_time <= when:
            raise invalid_argument("start_time", "must be in the future")
        if event is None and find_open_event and event_type["kind"] == "group":
            start_ts = format_ts(start_time)
            for candidate in org.records("scheduled_events"):
                counter = candidate["invitees_counter"]
                if (
                    candidate["event_type"] == event_type_uri
                    and candidate["start_time"] == start_ts
                    and candidate["status"] == "active"
                    and counter["active"] < counter["limit"]
                ):
                    event = candidate
                    break
        if event is None:
            if hosts is None:
                hosts = _hosts_for(org, event_type, rng)
            if not hosts:
                raise invalid_argument("event_type", "event type has no available host")
            event = rec.new_event(
                org, rng, event_type=event_type, hosts=hosts, start=start_time, created=when
            )
        # new_invitee bumps the event's counter and updated_at.
        invitee = rec.new_invitee(
            org,
            rng,
            event=event,
            event_type=event_type,
            who=who or rec.persona(rng),
            created=when,
            old_invitee=old_invitee,
            routing_form_submission=routing_form_submission,
        )
    if notify:
        _notify_invitee(org, "invitee.created", invitee)
    return invitee


def reschedule(
    org: SandboxOrg,
    invitee_uri: str,
    *,
    new_start: datetime,
    reason: str | None = None,
    rng: random.Random | None = None,
    find_open_event: bool = True,
    hosts: list[Record] | None = None,
    at: datetime | None = None,
) -> Record:
    """Move an invitee to a new time, as Calendly models it: the old invitee is canceled
    with ``rescheduled: true`` and ``new_invitee`` set (its event canceled when no other
    invitee stays active); a new invitee with ``old_invitee`` set books the new time.
    Fires ``invitee.canceled`` then ``invitee.created``. Returns the new invitee."""
    with org.lock:
        when = _instant(org, at)
        rng = rng or op_rng(org, "reschedule", invitee_uri, format_ts(new_start))
        old = _get(org, "event_invitees", invitee_uri)
        if old["status"] != "active":
            raise invalid_argument("invitee", "invitee is canceled")
        old_event = _get(org, "scheduled_events", old["event"])
        if parse_ts(old_event["start_time"]) <= when:
            raise OpError(403, "Permission Denied", "Event in the past")
        who = rec.Persona(
            old["name"],
            old["first_name"] or "",
            old["last_name"] or "",
            old["email"],
            old["timezone"],
        )
        new = book(
            org,
            event_type_uri=old_event["event_type"],
            start_time=new_start,
            who=who,
            rng=rng,
            old_invitee=old["uri"],
            routing_form_submission=old["routing_form_submission"],
            find_open_event=find_open_event,
            notify=False,
            hosts=hosts,
            at=at,
        )
        new["first_name"] = old["first_name"]
        new["last_name"] = old["last_name"]
        new["questions_and_answers"] = copy.deepcopy(old["questions_and_answers"])
        new["tracking"] = dict(old["tracking"])
        new["payment"] = copy.deepcopy(old["payment"])
        ts = format_ts(when)
        cancel = rec.cancellation(old["name"], reason, "invitee")
        _cancel_record(old, cancel, ts)
        old["rescheduled"] = True
        old["new_invitee"] = new["uri"]
        _settle_event(org, old_event, cancel, ts)
    _notify_invitee(org, "invitee.canceled", old)
    _notify_invitee(org, "invitee.created", new)
    return new


def mark_no_show(
    org: SandboxOrg,
    invitee_uri: str,
    *,
    rng: random.Random | None = None,
    at: datetime | None = None,
) -> Record:
    """Mark an invitee as a no-show; returns the ``InviteeNoShow``.

    An invitee already marked, a canceled invitee, or one whose event has not started
    gets 400 "Invalid Argument" (Calendly rejects these; exact wording unconfirmed).
    """
    with org.lock:
        when = _instant(org, at)
        invitee = _get(org, "event_invitees", invitee_uri)
        if invitee["no_show"] is not None:
            raise invalid_argument("invitee", "invitee is already marked as no show")
        if invitee["status"] != "active":
            raise invalid_argument("invitee", "invitee is canceled")
        event = _get(org, "scheduled_events", invitee["event"])
        if parse_ts(event["start_time"]) > when:
            raise invalid_argument("invitee", "event has not started yet")
        rng = rng or op_rng(org, "no_show", invitee_uri, len(org.collections["invitee_no_shows"]))
        ts = format_ts(when)
        no_show = rec.no_show_record(org, _uuid(org, rng, "invitee_no_shows"), invitee_uri, ts)
        org.put("invitee_no_shows", no_show)
        invitee["no_show"] = {"uri": no_show["uri"], "created_at": ts}
        _touch(invitee, ts)
    _notify_invitee(org, "invitee_no_show.created", invitee)
    return dict(no_show)


def unmark_no_show(org: SandboxOrg, no_show_uri: str) -> None:
    """Undo a no-show mark (the record goes away; the invitee's ``no_show`` is null)."""
    with org.lock:
        no_show = _get(org, "invitee_no_shows", no_show_uri)
        del org.collections["invitee_no_shows"][no_show_uri]
        invitee = org.get("event_invitees", no_show["invitee"])
        if invitee is None:
            return
        invitee["no_show"] = None
        invitee["updated_at"] = org.now_ts()
    _notify_invitee(org, "invitee_no_show.deleted", invitee)


def request_reconfirmation(
    org: SandboxOrg, event_uri: str, *, at: datetime | None = None
) -> list[Record]:
    """Calendly asks an event's active invitees to reconfirm (24 hours before the start,
    for event types that ask): ``reconfirmation = {created_at, confirmed_at: null}``.
    Invitees booked after the request, or already asked, are left alone. Returns the
    invitees asked."""
    with org.lock:
        ts = format_ts(_instant(org, at))
        event = _get(org, "scheduled_events", event_uri)
        if event["status"] != "active":
            return []
        asked = [
            invitee
            for invitee in org.children_of("event_invitees", event_uri)
            if invitee["status"] == "active"
            and invitee["reconfirmation"] is None
            and invitee["created_at"] <= ts
        ]
        for invitee in asked:
            invitee["reconfirmation"] = {"created_at": ts, "confirmed_at": None}
            _touch(invitee, ts)
        return asked


def confirm_reconfirmation(
    org: SandboxOrg, invitee_uri: str, *, at: datetime | None = None
) -> Record:
    """The invitee confirms a pending reconfirmation request; returns the invitee."""
    with org.lock:
        ts = format_ts(_instant(org, at))
        invitee = _get(org, "event_invitees", invitee_uri)
        pending = invitee["reconfirmation"]
        if pending is None or pending["confirmed_at"] is not None:
            raise invalid_argument("invitee", "no reconfirmation is pending")
        invitee["reconfirmation"] = {"created_at": pending["created_at"], "confirmed_at": ts}
        _touch(invitee, ts)
        return invitee


# -- organization ------------------------------------------------------------------------


def create_invitation(
    org: SandboxOrg,
    email: str,
    *,
    actor: str | None = None,
    rng: random.Random | None = None,
    at: datetime | None = None,
) -> Record:
    """Invite ``email`` to the organization (pending). 400 for an invalid email, a member's
    email ("Already Organization Member") or a pending invitation ("Already Invited")."""
    email = check_email(email)
    key = email.lower()
    with org.lock:
        if any(u["email"].lower() == key for u in org.records("users")):
            raise OpError(
                400, "Already Organization Member", f"{email} is already in the organization"
            )
        if any(
            i["email"].lower() == key and i["status"] == "pending"
            for i in org.records("organization_invitations")
        ):
            raise OpError(400, "Already Invited", f"{email} has already been invited")
        when = _instant(org, at)
        rng = rng or op_rng(
            org, "invitation", key, len(org.collections["organization_invitations"])
        )
        now_ts = format_ts(when)
        table = org.collections["organization_invitations"]
        while True:
            invitation = rec.invitation_record(
                org,
                rec.new_uuid(rng),
                email=email,
                status="pending",
                created_ts=now_ts,
                updated_ts=now_ts,
                last_sent_ts=now_ts,
            )
            if invitation["uri"] not in table:
                break
        org.put("organization_invitations", invitation)
        log_activity(
            org,
            "Invitation",
            "Send",
            {"email": email},
            actor=actor or org.owner_uri,
            rng=rng,
            at=when,
        )
        return invitation


def revoke_invitation(org: SandboxOrg, invitation_uri: str, *, actor: str | None = None) -> None:
    """Revoke (delete) a pending invitation; revoking an accepted or declined one is a 400."""
    with org.lock:
        invitation = _get(org, "organization_invitations", invitation_uri)
        if invitation["status"] != "pending":
            raise invalid_argument("uuid", f"invitation is {invitation['status']}, not pending")
        del org.collections["organization_invitations"][invitation_uri]
        log_activity(
            org,
            "Invitation",
            "Revoke",
            {"email": invitation["email"]},
            actor=actor or org.owner_uri,
        )


def decline_invitation(
    org: SandboxOrg, invitation_uri: str, *, at: datetime | None = None
) -> Record:
    with org.lock:
        ts = format_ts(_instant(org, at))
        invitation = _get(org, "organization_invitations", invitation_uri)
        if invitation["status"] != "pending":
            raise invalid_argument("uuid", "invitation is not pending")
        invitation["status"] = "declined"
        _touch(invitation, ts)
        return invitation


def _name_from_local_part(local: str, rng: random.Random) -> tuple[str, str]:
    """Display names matching an e-mail like ``jose.muller12`` (random when unknown)."""
    parts = [p.rstrip("0123456789") for p in local.lower().split(".")]
    firsts = {ascii_form: name for name, ascii_form in pools.FIRST_NAMES}
    lasts = {ascii_form: name for name, ascii_form in pools.LAST_NAMES}
    first = firsts.get(parts[0]) or rng.choice(pools.FIRST_NAMES)[0]
    last = lasts.get(parts[-1]) if len(parts) > 1 else None
    return first, last or rng.choice(pools.LAST_NAMES)[0]


def accept_invitation(
    org: SandboxOrg, invitation_uri: str, *, rng: random.Random | None = None
) -> Record:
    """The invitee joins: a new user, a ``user`` membership and the default "Working
    Hours" availability schedule every Calendly user starts with; returns the membership."""
    with org.lock:
        invitation = _get(org, "organization_invitations", invitation_uri)
        if invitation["status"] != "pending":
            raise invalid_argument("uuid", "invitation is not pending")
        rng = rng or op_rng(org, "accept", invitation_uri)
        now_ts = org.now_ts()
        local = invitation["email"].split("@", 1)[0]
        first, last = _name_from_local_part(local, rng)
        slug = re.sub(r"[^a-z0-9]+", "-", local.lower()).strip("-") or "member"
        taken = {u["slug"] for u in org.records("users")}
        while slug in taken:
            slug = f"{slug}-{rng.randrange(10, 100)}"
        tz, _ = rng.choice(pools.HOST_TIMEZONES)
        uuid = _uuid(org, rng, "users")
        user: Record = {
            "uri": org.uri("users", uuid),
            "name": f"{first} {last}",
            "slug": slug,
            "email": invitation["email"],
            "scheduling_url": f"https://calendly.com/{slug}",
            "timezone": tz,
            "avatar_url": None,
            "created_at": now_ts,
            "updated_at": now_ts,
            "current_organization": org.organization["uri"],
            "locale": "en",
            "resource_type": "User",
        }
        org.put("users", user)
        membership: Record = {
            "uri": org.uri("organization_memberships", _uuid(org, rng, "organization_memberships")),
            "role": "user",
            "user": rec.user_summary(user),
            "organization": org.organization["uri"],
            "updated_at": now_ts,
            "created_at": now_ts,
        }
        org.put("organization_memberships", membership)
        org.put(
            "user_availability_schedules",
            {
                "uri": org.uri(
                    "user_availability_schedules", _uuid(org, rng, "user_availability_schedules")
                ),
                "default": True,
                "name": "Working Hours",
                "user": user["uri"],
                "timezone": tz,
                "rules": [
                    {
                        "type": "wday",
                        "wday": day,
                        "intervals": (
                            []
                            if day in ("saturday", "sunday")
                            else [{"from": "09:00", "to": "17:00"}]
                        ),
                    }
                    for day in _WEEKDAYS
                ],
            },
        )
        invitation["status"] = "accepted"
        invitation["user"] = user["uri"]
        invitation["updated_at"] = now_ts
        log_activity(
            org, "User", "Add", {"email": user["email"], "role": "user"}, actor=user["uri"], rng=rng
        )
        return membership


def remove_membership(org: SandboxOrg, membership_uri: str, *, actor: str | None = None) -> None:
    """Remove a member. The owner cannot be removed (403, as the spec's example).

    The user leaves with the membership: their user record, availability schedules and
    calendar blocks go (they are no longer visible through the organization), their
    event types are deleted (``deleted_at`` set, inactive) and their user-scoped webhook
    subscriptions are disabled. Scheduled events they hosted stay.
    """
    with org.lock:
        membership = _get(org, "organization_memberships", membership_uri)
        if membership["role"] == "owner":
            raise OpError(403, "Permission Denied", "You can not change owner role")
        user_uri = membership["user"]["uri"]
        now_ts = org.now_ts()
        del org.collections["organization_memberships"][membership_uri]
        org.collections["users"].pop(user_uri, None)
        org.external_busy.pop(user_uri, None)
        schedules = org.collections["user_availability_schedules"]
        for uri in [u for u, s in schedules.items() if s["user"] == user_uri]:
            del schedules[uri]
        for event_type in org.records("event_types"):
            profile = event_type["profile"]
            if profile and profile["owner"] == user_uri and event_type["deleted_at"] is None:
                event_type["active"] = False
                event_type["deleted_at"] = now_ts
                event_type["updated_at"] = now_ts
        for hook in org.records("webhook_subscriptions"):
            if hook["scope"] == "user" and hook["user"] == user_uri and hook["state"] == "active":
                hook["state"] = "disabled"
                hook["updated_at"] = now_ts
        log_activity(
            org,
            "User",
            "Remove",
            {"email": membership["user"]["email"], "role": membership["role"]},
            actor=actor or org.owner_uri,
        )


# -- webhooks ------------------------------------------------------------------------------


def create_webhook(
    org: SandboxOrg,
    *,
    url: str,
    events: list[str],
    scope: str,
    user: str | None,
    signing_key: str | None,
    creator: str | None = None,
) -> Record:
    """Create a subscription; 409 "Already Exists" when the callback URL is taken.

    The signing key is kept in ``org.signing_keys`` only, never in the record.
    """
    if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url):
        raise invalid_argument("url", "must be a valid http(s) URL")
    if not events or any(e not in WEBHOOK_EVENTS for e in events):
        raise invalid_argument("events", "must list supported webhook events")
    if scope not in ("organization", "user"):
        raise invalid_argument("scope", "must be organization or user")
    if scope == "user" and "routing_form_submission.created" in events:
        raise invalid_argument("events", "routing_form_submission.created needs organization scope")
    with org.lock:
        if scope == "user":
            if not user:
                raise invalid_argument("user", "is required for user scope")
            if org.get("users", user) is None:
                raise invalid_argument("user", "is not a member of the organization")
        if any(h["callback_url"] == url for h in org.records("webhook_subscriptions")):
            raise OpError(409, "Already Exists", "Hook with this url already exists")
        rng = op_rng(org, "webhook", url)
        now_ts = org.now_ts()
        uri = org.uri("webhook_subscriptions", _uuid(org, rng, "webhook_subscriptions"))
        hook: Record = {
            "uri": uri,
            "callback_url": url,
            "created_at": now_ts,
            "updated_at": now_ts,
            "retry_started_at": None,
            "state": "active",
            "events": list(dict.fromkeys(events)),
            "scope": scope,
            "organization": org.organization["uri"],
            "user": user if scope == "user" else None,
            "creator": creator or (user if scope == "user" else org.owner_uri),
        }
        org.put("webhook_subscriptions", hook)
        if signing_key:
            org.signing_keys[uri] = signing_key
        log_activity(
            org, "Webhook", "Create", {"callback_url": url}, actor=hook["creator"], rng=rng
        )
        return hook


def delete_webhook(org: SandboxOrg, webhook_uri: str) -> None:
    with org.lock:
        hook = _get(org, "webhook_subscriptions", webhook_uri)
        del org.collections["webhook_subscriptions"][webhook_uri]
        org.signing_keys.pop(webhook_uri, None)
        log_activity(
            org, "Webhook", "Delete", {"callback_url": hook["callback_url"]}, actor=hook["creator"]
        )


# -- routing forms ------------------------------------------------------------------------


def submit_routing_form(
    org: SandboxOrg,
    form_uri: str,
    *,
    who: rec.Persona | None = None,
    result: Record | None = None,
    rng: random.Random | None = None,
    at: datetime | None = None,
) -> Record:
    """Record a routing form submission (no booking yet); notifies
    ``routing_form_submission.created``."""
    with org.lock:
        when = _instant(org, at)
        form = _get(org, "routing_forms", form_uri)
        rng = rng or op_rng(
            org, "submission", form_uri, len(org.collections["routing_form_submissions"])
        )
        submission = rec.submission_record(
            org,
            rng,
            uuid=_uuid(org, rng, "routing_form_submissions"),
            form=form,
            who=who or rec.persona(rng),
            created_ts=format_ts(when),
            result=result,
            submitter=None,
        )
        org.put("routing_form_submissions", submission)
    if org.listeners:
        org.notify("routing_form_submission.created", copy.deepcopy(submission))
    return submission


def link_submission(
    org: SandboxOrg, submission_uri: str, invitee_uri: str, *, at: datetime | None = None
) -> None:
    """The submitter booked: link submission -> invitee and invitee -> submission."""
    with org.lock:
        ts = format_ts(_instant(org, at))
        submission = _get(org, "routing_form_submissions", submission_uri)
        invitee = _get(org, "event_invitees", invitee_uri)
        submission["submitter"] = invitee_uri
        submission["submitter_type"] = "Invitee"
        _touch(submission, ts)
        invitee["routing_form_submission"] = submission_uri
        _touch(invitee, ts)
