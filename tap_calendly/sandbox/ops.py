"""Domain operations on a sandbox organization.

Shared by the server's write endpoints and the clock-driven mutator, so a cancellation
looks the same whichever caused it: every changed record gets ``updated_at = now``,
webhook-worthy changes call ``org.notify`` (after the change), counters stay consistent,
and caller errors raise :class:`OpError` with the status, title and message Calendly uses
(FACTS.md section 4, spec error examples). Callers hold ``org.lock`` around a call when
other threads may read; every op also takes the (re-entrant) lock itself.

Randomness: ops that must invent content (a booking's answers, a new user's name) take an
optional ``rng``; without one they derive it from (seed, simulated now, arguments), so
the same calls at the same simulated times build the same records.
"""

from __future__ import annotations

import copy
import random
import re
from datetime import datetime, timedelta
from typing import Any

from tap_calendly.sandbox import data_pools as pools
from tap_calendly.sandbox import data_records as rec
from tap_calendly.sandbox.store import Record, SandboxOrg, format_ts, parse_ts

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")

#: Webhook events a subscription may name: the spec's three plus the newer no-show pair.
WEBHOOK_EVENTS: tuple[str, ...] = (
    "invitee.created",
    "invitee.canceled",
    "routing_form_submission.created",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
)


class OpError(Exception):
    """A caller error, rendered by the server as Calendly's ``ErrorResponse`` body."""

    def __init__(
        self,
        status: int,
        title: str,
        message: str,
        details: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {message}")
        self.status = status
        self.title = title
        self.message = message
        self.details = details


def not_found() -> OpError:
    return OpError(404, "Resource Not Found", "The server could not find the requested resource.")


def invalid(parameter: str, message: str) -> OpError:
    return OpError(
        400,
        "Invalid Argument",
        "The supplied parameters are invalid.",
        [{"parameter": parameter, "message": message}],
    )


def _get(org: SandboxOrg, collection: str, uri: str) -> Record:
    record = org.get(collection, uri)
    if record is None:
        raise not_found()
    return record


def op_rng(org: SandboxOrg, *parts: object) -> random.Random:
    """Randomness for an op called without an rng: a function of seed, now, the org's size
    and ``parts`` (so repeating a call at the same instant still draws new values)."""
    size = sum(len(table) for table in org.collections.values())
    key = "|".join(str(p) for p in (org.seed, org.now_ts(), size, *parts))
    return random.Random(key)


def _uuid(org: SandboxOrg, rng: random.Random, collection: str) -> str:
    while True:
        uuid = rec.new_uuid(rng)
        if org.uri(collection, uuid) not in org.collections[collection]:
            return uuid


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
) -> Record:
    """Add an activity log entry at ``now``; ``actor`` is a user URI (None: Calendly System)."""
    with org.lock:
        rng = rng or op_rng(
            org, "activity", namespace, action, len(org.collections["activity_log_entries"])
        )
        user = org.get("users", actor) if actor else None
        entry = rec.activity_entry(
            org,
            _uuid(org, rng, "activity_log_entries"),
            occurred_ts=org.now_ts(),
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


def _cancel_one(org: SandboxOrg, invitee: Record, cancel: Record, now_ts: str) -> None:
    invitee["status"] = "canceled"
    invitee["cancellation"] = dict(cancel)
    invitee["updated_at"] = now_ts


def cancel_event(
    org: SandboxOrg,
    event_uri: str,
    *,
    reason: str | None,
    canceled_by: str,
    canceler_type: str,
) -> Record:
    """Cancel an event and its active invitees; returns the ``Cancellation``.

    Calendly answers a cancellation of an already-canceled event, or of one that has
    started, with 403 "Permission Denied" (the spec's 403 enum lists "Event is already
    canceled" and "Event in the past"), not 400; the sandbox does the same.
    """
    if canceler_type not in ("host", "invitee"):
        raise invalid("canceler_type", "must be host or invitee")
    with org.lock:
        event = _get(org, "scheduled_events", event_uri)
        if event["status"] == "canceled":
            raise OpError(403, "Permission Denied", "Event is already canceled")
        if parse_ts(event["start_time"]) <= org.now():
            raise OpError(403, "Permission Denied", "Event in the past")
        now_ts = org.now_ts()
        cancel = rec.cancellation(canceled_by, reason, canceler_type)
        event["status"] = "canceled"
        event["cancellation"] = dict(cancel)
        event["updated_at"] = now_ts
        canceled = []
        for invitee in org.children_of("event_invitees", event_uri):
            if invitee["status"] == "active":
                _cancel_one(org, invitee, cancel, now_ts)
                canceled.append(invitee)
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
) -> Record:
    """Cancel one invitee (e.g. one seat of a group event). The event is canceled too when
    no other invitee stays active. Returns the invitee."""
    with org.lock:
        invitee = _get(org, "event_invitees", invitee_uri)
        if invitee["status"] == "canceled":
            raise OpError(403, "Permission Denied", "Invitee is already canceled")
        event = _get(org, "scheduled_events", invitee["event"])
        if parse_ts(event["start_time"]) <= org.now():
            raise OpError(403, "Permission Denied", "Event in the past")
        now_ts = org.now_ts()
        cancel = rec.cancellation(canceled_by, reason, canceler_type)
        _cancel_one(org, invitee, cancel, now_ts)
        rec.recount(org, event)
        event["updated_at"] = now_ts
        if event["invitees_counter"]["active"] == 0:
            event["status"] = "canceled"
            event["cancellation"] = dict(cancel)
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
) -> Record:
    """Book ``event_type_uri`` at ``start_time`` now; returns the new invitee.

    ``event_uri`` joins that (group) event. Otherwise, with ``find_open_event``, a group
    event type fills an existing event at the same start time while seats remain (a scan
    of all events); else a new event is created with the event type's hosts. Notifies
    ``invitee.created`` unless ``notify`` is false (a caller composing a larger change).
    """
    with org.lock:
        rng = rng or op_rng(org, "book", event_type_uri, format_ts(start_time))
        event_type = _get(org, "event_types", event_type_uri)
        if not event_type["active"] or event_type["deleted_at"] is not None:
            raise invalid("event_type", "event type is not active")
        start_ts = format_ts(start_time)
        event = None
        if event_uri is not None:
            event = _get(org, "scheduled_events", event_uri)
            counter = event["invitees_counter"]
            if (
                event["event_type"] != event_type_uri
                or event["status"] != "active"
                or counter["active"] >= counter["limit"]
            ):
                raise invalid("event", "event has no open seat for this event type")
            start_time = parse_ts(event["start_time"])
        if start_time <= org.now():
            raise invalid("start_time", "must be in the future")
        if event is None and find_open_event and event_type["kind"] == "group":
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
        now = org.now()
        if event is None:
            hosts = _hosts_for(org, event_type, rng)
            if not hosts:
                raise invalid("event_type", "event type has no available host")
            event = rec.new_event(
                org, rng, event_type=event_type, hosts=hosts, start=start_time, created=now
            )
        invitee = rec.new_invitee(
            org,
            rng,
            event=event,
            event_type=event_type,
            who=who or rec.persona(rng),
            created=now,
            old_invitee=old_invitee,
            routing_form_submission=routing_form_submission,
        )
        event["updated_at"] = org.now_ts()
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
) -> Record:
    """Move an invitee to a new time, as Calendly models it: the old invitee is canceled
    with ``rescheduled: true`` and ``new_invitee`` set (its event canceled when no other
    invitee stays active); a new invitee with ``old_invitee`` set books the new time.
    Fires ``invitee.canceled`` then ``invitee.created``. Returns the new invitee."""
    with org.lock:
        rng = rng or op_rng(org, "reschedule", invitee_uri, format_ts(new_start))
        old = _get(org, "event_invitees", invitee_uri)
        if old["status"] != "active":
            raise invalid("invitee", "invitee is canceled")
        old_event = _get(org, "scheduled_events", old["event"])
        if parse_ts(old_event["start_time"]) <= org.now():
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
        )
        new["first_name"] = old["first_name"]
        new["last_name"] = old["last_name"]
        new["questions_and_answers"] = copy.deepcopy(old["questions_and_answers"])
        new["tracking"] = dict(old["tracking"])
        new["payment"] = copy.deepcopy(old["payment"])
        now_ts = org.now_ts()
        cancel = rec.cancellation(old["name"], reason, "invitee")
        _cancel_one(org, old, cancel, now_ts)
        old["rescheduled"] = True
        old["new_invitee"] = new["uri"]
        rec.recount(org, old_event)
        old_event["updated_at"] = now_ts
        if old_event["invitees_counter"]["active"] == 0:
            old_event["status"] = "canceled"
            old_event["cancellation"] = dict(cancel)
    _notify_invitee(org, "invitee.canceled", old)
    _notify_invitee(org, "invitee.created", new)
    return new


def mark_no_show(org: SandboxOrg, invitee_uri: str) -> Record:
    """Mark an invitee as a no-show; returns the ``InviteeNoShow``.

    An invitee already marked, a canceled invitee, or one whose event has not started
    gets 400 "Invalid Argument" (Calendly rejects these; exact wording unconfirmed).
    """
    with org.lock:
        invitee = _get(org, "event_invitees", invitee_uri)
        if invitee["no_show"] is not None:
            raise invalid("invitee", "invitee is already marked as no show")
        if invitee["status"] != "active":
            raise invalid("invitee", "invitee is canceled")
        event = _get(org, "scheduled_events", invitee["event"])
        if parse_ts(event["start_time"]) > org.now():
            raise invalid("invitee", "event has not started yet")
        rng = op_rng(org, "no_show", invitee_uri, len(org.collections["invitee_no_shows"]))
        now_ts = org.now_ts()
        no_show = rec.no_show_record(org, _uuid(org, rng, "invitee_no_shows"), invitee_uri, now_ts)
        org.put("invitee_no_shows", no_show)
        invitee["no_show"] = {"uri": no_show["uri"], "created_at": now_ts}
        invitee["updated_at"] = now_ts
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


# -- organization ------------------------------------------------------------------------


def _check_email(email: object) -> str:
    if not isinstance(email, str) or not email.strip():
        raise invalid("email", "must be filled")
    if not _EMAIL.match(email.strip()):
        raise invalid("email", f"{email} is an invalid email format")
    return email.strip()


def create_invitation(org: SandboxOrg, email: str, *, actor: str | None = None) -> Record:
    """Invite ``email`` to the organization (pending). 400 for an invalid email, a member's
    email ("Already Organization Member") or a pending invitation ("Already Invited")."""
    email = _check_email(email)
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
        rng = op_rng(org, "invitation", key, len(org.collections["organization_invitations"]))
        now_ts = org.now_ts()
        org_uuid = rec.last_segment(org.organization["uri"])
        while True:
            uri = org.uri("organizations", org_uuid, "invitations", rec.new_uuid(rng))
            if uri not in org.collections["organization_invitations"]:
                break
        invitation: Record = {
            "uri": uri,
            "organization": org.organization["uri"],
            "email": email,
            "status": "pending",
            "created_at": now_ts,
            "updated_at": now_ts,
            "last_sent_at": now_ts,
        }
        org.put("organization_invitations", invitation)
        log_activity(
            org, "Invitation", "Send", {"email": email}, actor=actor or org.owner_uri, rng=rng
        )
        return invitation


def revoke_invitation(org: SandboxOrg, invitation_uri: str, *, actor: str | None = None) -> None:
    """Revoke (delete) a pending invitation; revoking an accepted or declined one is a 400."""
    with org.lock:
        invitation = _get(org, "organization_invitations", invitation_uri)
        if invitation["status"] != "pending":
            raise invalid("uuid", f"invitation is {invitation['status']}, not pending")
        del org.collections["organization_invitations"][invitation_uri]
        log_activity(
            org,
            "Invitation",
            "Revoke",
            {"email": invitation["email"]},
            actor=actor or org.owner_uri,
        )


def decline_invitation(org: SandboxOrg, invitation_uri: str) -> Record:
    with org.lock:
        invitation = _get(org, "organization_invitations", invitation_uri)
        if invitation["status"] != "pending":
            raise invalid("uuid", "invitation is not pending")
        invitation["status"] = "declined"
        invitation["updated_at"] = org.now_ts()
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
            raise invalid("uuid", "invitation is not pending")
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
        raise invalid("url", "must be a valid http(s) URL")
    if not events or any(e not in WEBHOOK_EVENTS for e in events):
        raise invalid("events", "must list supported webhook events")
    if scope not in ("organization", "user"):
        raise invalid("scope", "must be organization or user")
    if scope == "user" and "routing_form_submission.created" in events:
        raise invalid("events", "routing_form_submission.created needs organization scope")
    with org.lock:
        if scope == "user":
            if not user:
                raise invalid("user", "is required for user scope")
            if org.get("users", user) is None:
                raise invalid("user", "is not a member of the organization")
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


# -- shares and links ------------------------------------------------------------------------


def _booking_url(rng: random.Random, slug: str) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    code = (
        "".join(rng.choice(alphabet) for _ in range(4))
        + "-"
        + "".join(rng.choice(alphabet) for _ in range(4))
    )
    return f"https://calendly.com/d/{code}/{slug}"


def create_scheduling_link(
    org: SandboxOrg, *, owner: str, owner_type: str, max_event_count: int
) -> Record:
    """A single-use booking link for an event type (not stored: the API cannot list them)."""
    if owner_type != "EventType":
        raise invalid("owner_type", "must be EventType")
    if max_event_count != 1:
        raise invalid("max_event_count", "must be 1")
    with org.lock:
        event_type = _get(org, "event_types", owner)
        rng = op_rng(org, "link", owner)
        return {
            "booking_url": _booking_url(rng, event_type["slug"] or "meeting"),
            "owner": owner,
            "owner_type": "EventType",
        }


_SHARE_FIELDS = (
    "name",
    "duration",
    "period_type",
    "start_date",
    "end_date",
    "max_booking_time",
    "hide_location",
    "location_configurations",
    "availability_rule",
)


def create_share(org: SandboxOrg, body: dict[str, Any]) -> Record:
    """A customised one-off share of an event type; omitted fields come from the type."""
    event_type_uri = body.get("event_type")
    if not isinstance(event_type_uri, str) or not event_type_uri:
        raise invalid("event_type", "must be filled")
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 55):
        raise invalid("name", "must be at most 55 characters")
    period = body.get("period_type", "moving")
    if period not in ("available_moving", "moving", "fixed", "unlimited"):
        raise invalid("period_type", "is not supported")
    if period == "fixed" and not (body.get("start_date") and body.get("end_date")):
        raise invalid("start_date", "start_date and end_date are required for fixed periods")
    with org.lock:
        event_type = _get(org, "event_types", event_type_uri)
        owner = rec.team_hosts(org, event_type)
        owner_user = owner[0] if owner else org.get("users", org.owner_uri) or {}
        override: Record = {
            "name": event_type["name"],
            "duration": int(event_type["duration"]),
            "period_type": period,
            "start_date": None,
            "end_date": None,
            "max_booking_time": 60 * 24 * 60 if period in ("moving", "available_moving") else None,
            "hide_location": False,
            "location_configurations": [],
            "availability_rule": {
                "rules": [
                    {"type": "wday", "wday": day, "intervals": [{"from": "09:00", "to": "17:00"}]}
                    for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
                ],
                "timezone": owner_user.get("timezone", "UTC"),
            },
        }
        for key in _SHARE_FIELDS:
            if key in body:
                override[key] = copy.deepcopy(body[key])
        rng = op_rng(org, "share", event_type_uri)
        return {
            "scheduling_links": [
                {
                    "booking_url": _booking_url(rng, event_type["slug"] or "meeting"),
                    "owner": event_type_uri,
                    "owner_type": "EventType",
                }
            ],
            "share_override": override,
        }


# -- routing forms ------------------------------------------------------------------------


def submit_routing_form(
    org: SandboxOrg,
    form_uri: str,
    *,
    who: rec.Persona | None = None,
    result: Record | None = None,
    rng: random.Random | None = None,
) -> Record:
    """Record a routing form submission (no booking yet); notifies
    ``routing_form_submission.created``."""
    with org.lock:
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
            created_ts=org.now_ts(),
            result=result,
            submitter=None,
        )
        org.put("routing_form_submissions", submission)
    if org.listeners:
        org.notify("routing_form_submission.created", copy.deepcopy(submission))
    return submission


def link_submission(org: SandboxOrg, submission_uri: str, invitee_uri: str) -> None:
    """The submitter booked: link submission -> invitee and invitee -> submission."""
    with org.lock:
        submission = _get(org, "routing_form_submissions", submission_uri)
        invitee = _get(org, "event_invitees", invitee_uri)
        now_ts = org.now_ts()
        submission["submitter"] = invitee_uri
        submission["submitter_type"] = "Invitee"
        submission["updated_at"] = now_ts
        invitee["routing_form_submission"] = submission_uri
        invitee["updated_at"] = now_ts


# -- data compliance ---------------------------------------------------------------------------


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
        raise invalid("emails", "must be a non-empty list")
    keys = {_check_email(e).lower() for e in emails}
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
        raise invalid("end_time", "must be after start_time")
    if end_time - start_time > timedelta(days=731):
        raise invalid("end_time", "The date range can be no greater than 24 months")
    with org.lock:
        if end_time > org.now():
            raise invalid("end_time", "must be in the past")
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
