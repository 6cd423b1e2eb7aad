"""Builders for API-shaped records, shared by the generator, the domain ops and the mutator.

One place builds each record shape, so a booking made by the bulk generator, by the
clock-driven mutator or by a server write endpoint looks the same on the wire. Builders
take explicit timestamps (the generator writes history) and a ``random.Random`` (so the
caller decides where determinism comes from).
"""

from __future__ import annotations

import functools
import hashlib
import random
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from tap_calendly.sandbox import data_pools as pools
from tap_calendly.sandbox.store import Record, SandboxOrg, format_ts

#: Every ``location.type`` the spec defines (the ``Location`` oneOf).
LOCATION_KINDS: tuple[str, ...] = (
    "physical",
    "outbound_call",
    "inbound_call",
    "google_conference",
    "zoom_conference",
    "gotomeeting",
    "microsoft_teams_conference",
    "webex_conference",
    "custom",
    "ask_invitee",
)

_CONFERENCE_KINDS = frozenset(
    {
        "google_conference",
        "zoom_conference",
        "gotomeeting",
        "microsoft_teams_conference",
        "webex_conference",
    }
)

CALENDAR_KINDS: tuple[str, ...] = ("google", "google", "outlook", "exchange", "icloud")


def uuid_from_bits(bits: int) -> str:
    """A version-4-shaped UUID string from 128 random bits (cheaper than ``uuid.uuid4``)."""
    h = f"{bits & ((1 << 128) - 1):032x}"
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


def new_uuid(rng: random.Random) -> str:
    return uuid_from_bits(rng.getrandbits(128))


def derived_uuid(*parts: object) -> str:
    """A UUID that is a pure function of ``parts`` (for ops that have no rng of their own)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return uuid_from_bits(int.from_bytes(digest[:16], "big"))


def last_segment(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class EventTypeTraits:
    """Settings of an event type the API does not expose; derived from its URI.

    Deriving (rather than storing) them keeps records exactly API-shaped and lets the
    mutator and the server book into event types the generator created.
    """

    limit: int
    paid: bool
    split_name: bool
    location_kind: str
    reconfirm: bool


def traits(event_type: Record) -> EventTypeTraits:
    return _traits(last_segment(event_type["uri"]), event_type["kind"])


@functools.lru_cache(maxsize=4096)
def _traits(uuid: str, kind: str) -> EventTypeTraits:
    crc = zlib.crc32(uuid.encode())
    limit = 1 if kind == "solo" else 4 + crc % 17
    return EventTypeTraits(
        limit=limit,
        paid=crc % 9 == 0,
        split_name=(crc >> 4) % 4 == 0,
        location_kind=LOCATION_KINDS[(crc >> 8) % len(LOCATION_KINDS)],
        reconfirm=(crc >> 12) % 5 == 0,
    )


def team_hosts(org: SandboxOrg, event_type: Record) -> list[Record]:
    """Hosts of an event type: its owner for user profiles, a stable subset of members
    for team (round robin / collective) profiles."""
    users = org.collections["users"]
    profile = event_type.get("profile")
    if profile and profile["type"] == "User":
        owner = users.get(profile["owner"])
        return [owner] if owner is not None else []
    members = sorted(users)
    if not members:
        return []
    crc = zlib.crc32(last_segment(event_type["uri"]).encode())
    size = min(len(members), 2 + crc % 3)
    start = crc % len(members)
    return [users[members[(start + i) % len(members)]] for i in range(size)]


@dataclass(frozen=True)
class Persona:
    name: str
    first_name: str
    last_name: str
    email: str
    timezone: str | None


def persona(rng: random.Random) -> Persona:
    first, first_ascii = rng.choice(pools.FIRST_NAMES)
    last, last_ascii = rng.choice(pools.LAST_NAMES)
    domain = rng.choice(pools.EMAIL_DOMAINS)
    email = f"{first_ascii}.{last_ascii}{rng.randrange(1, 10_000)}@{domain}"
    name = last if rng.random() < 0.03 else f"{first} {last}"
    roll = rng.random()
    tz: str | None = None if roll < 0.02 else rng.choice(pools.INVITEE_TIMEZONES)
    return Persona(name, first, last, email, tz)


def location(rng: random.Random, kind: str, event_uuid: str) -> Record | None:
    """A ``Location`` of the given kind; conference kinds sometimes not yet pushed."""
    if kind == "physical":
        return {"type": "physical", "location": rng.choice(pools.CITIES)}
    if kind == "outbound_call":
        number = None if rng.random() < 0.1 else f"+1 404-555-{rng.randrange(10_000):04d}"
        return {"type": "outbound_call", "location": number}
    if kind == "inbound_call":
        return {"type": "inbound_call", "location": f"+44 20 7946 {rng.randrange(10_000):04d}"}
    if kind == "custom":
        text = None if rng.random() < 0.2 else "Meet at the front desk, ask for the host"
        return {"type": "custom", "location": text}
    if kind == "ask_invitee":
        return {"type": "ask_invitee", "location": "Invitee's office, 2nd floor"}
    if kind not in _CONFERENCE_KINDS:
        raise ValueError(f"unknown location kind {kind!r}")
    roll = rng.random()
    status = "pushed" if roll < 0.9 else ("processing" if roll < 0.95 else "failed")
    code = event_uuid.replace("-", "")[:16]
    if status != "pushed":
        if kind == "google_conference":
            return {"type": kind, "status": status, "join_url": None}
        return {"type": kind, "status": status, "join_url": None, "data": None}
    if kind == "google_conference":
        return {
            "type": kind,
            "status": status,
            "join_url": f"https://calendly.com/events/{code}/google_meet",
        }
    meeting_id = 100_000_000 + rng.randrange(900_000_000)
    data: Record
    if kind == "zoom_conference":
        join_url = f"https://zoom.us/j/{meeting_id}"
        data = {
            "id": str(meeting_id),
            "settings": {
                "global_dial_in_numbers": [
                    {"number": "+1 6465588656", "country": "US", "type": "toll"}
                ]
            },
            "extra": {"intl_numbers_url": "https://zoom.us/u/international"},
            "password": f"{rng.randrange(1_000_000):06d}",
        }
    elif kind == "gotomeeting":
        join_url = f"https://www.gotomeeting.com/join/{meeting_id}"
        data = {
            "uniqueMeetingId": meeting_id,
            "conferenceCallInfo": f"US: +1 (571) 317-3112\nAccess Code: {meeting_id}",
        }
    elif kind == "microsoft_teams_conference":
        join_url = f"https://teams.microsoft.com/l/meetup-join/{code}"
        data = {
            "id": code,
            "audioConferencing": {
                "conferenceId": str(meeting_id),
                "dialinUrl": f"https://dialin.teams.microsoft.com/{event_uuid}?id={meeting_id}",
                "tollNumber": "+12525634478",
            },
        }
    else:
        kind = "webex_conference"
        join_url = f"https://example.webex.com/example/j.php?MTID=m{code}"
        data = {
            "id": f"m{code}",
            "telephony": {
                "callInNumbers": [
                    {"label": "US Toll", "callInNumber": "14086380986", "tollType": "toll"}
                ]
            },
            "password": code[:10],
        }
    return {"type": kind, "status": status, "join_url": join_url, "data": data}


def cancellation(canceled_by: str, reason: str | None, canceler_type: str) -> Record:
    return {"canceled_by": canceled_by, "reason": reason, "canceler_type": canceler_type}


def user_summary(user: Record) -> Record:
    """The user object embedded in a membership (a User without ``current_organization``)."""
    return {
        key: user[key]
        for key in (
            "uri",
            "name",
            "slug",
            "email",
            "scheduling_url",
            "timezone",
            "avatar_url",
            "created_at",
            "updated_at",
        )
    }


def new_event(
    org: SandboxOrg,
    rng: random.Random,
    *,
    event_type: Record,
    hosts: list[Record],
    start: datetime,
    created: datetime,
) -> Record:
    """A fresh active scheduled event with no invitees yet (stored in the org)."""
    uuid = new_uuid(rng)
    while org.uri("scheduled_events", uuid) in org.collections["scheduled_events"]:
        uuid = new_uuid(rng)
    trait = traits(event_type)
    created_ts = format_ts(created)
    kind = trait.location_kind if rng.random() < 0.85 else rng.choice(LOCATION_KINDS)
    loc = None if rng.random() < 0.02 else location(rng, kind, uuid)
    end = start + timedelta(minutes=int(event_type["duration"]))
    event: Record = {
        "uri": org.uri("scheduled_events", uuid),
        "name": event_type["name"],
        "status": "active",
        "start_time": format_ts(start),
        "end_time": format_ts(end),
        "event_type": event_type["uri"],
        "location": loc,
        "invitees_counter": {"total": 0, "active": 0, "limit": trait.limit},
        "created_at": created_ts,
        "updated_at": created_ts,
        "event_memberships": [
            {"user": h["uri"], "user_email": h["email"], "user_name": h["name"]} for h in hosts
        ],
        "event_guests": [],
        "calendar_event": (
            {"kind": rng.choice(CALENDAR_KINDS), "external_id": f"{rng.getrandbits(100):025x}"}
            if rng.random() < 0.7
            else None
        ),
    }
    org.put("scheduled_events", event)
    return event


def _answers(rng: random.Random, event_type: Record) -> list[Record]:
    answers: list[Record] = []
    for question in event_type["custom_questions"]:
        if not question["enabled"] or (not question["required"] and rng.random() < 0.4):
            continue
        qtype = question["type"]
        if qtype == "single_select":
            answer = rng.choice(question["answer_choices"])
        elif qtype == "multi_select":
            answer = "\n".join(rng.sample(question["answer_choices"], rng.randint(1, 2)))
        elif qtype == "phone_number":
            answer = f"+91 98{rng.randrange(100_000_000):08d}"
        else:
            answer = rng.choice(pools.FREE_TEXT_ANSWERS)
        answers.append(
            {"question": question["name"], "answer": answer, "position": question["position"]}
        )
    return answers


def _tracking(rng: random.Random) -> Record:
    if rng.random() < 0.7:
        return {
            "utm_campaign": None,
            "utm_source": None,
            "utm_medium": None,
            "utm_content": None,
            "utm_term": None,
            "salesforce_uuid": None,
        }
    return {
        "utm_campaign": rng.choice(pools.UTM_CAMPAIGNS),
        "utm_source": rng.choice(pools.UTM_SOURCES),
        "utm_medium": rng.choice(pools.UTM_MEDIUMS),
        "utm_content": "hero_button" if rng.random() < 0.5 else None,
        "utm_term": "calendly api" if rng.random() < 0.3 else None,
        "salesforce_uuid": f"00Q{rng.getrandbits(60):015X}" if rng.random() < 0.3 else None,
    }


def new_invitee(
    org: SandboxOrg,
    rng: random.Random,
    *,
    event: Record,
    event_type: Record,
    who: Persona,
    created: datetime,
    uuid: str | None = None,
    old_invitee: str | None = None,
    routing_form_submission: str | None = None,
) -> Record:
    """A fresh active invitee of ``event`` (stored; the event's counter is bumped)."""
    if uuid is None:
        uuid = new_uuid(rng)
        while f"{event['uri']}/invitees/{uuid}" in org.collections["event_invitees"]:
            uuid = new_uuid(rng)
    trait = traits(event_type)
    created_ts = format_ts(created)
    payment: Record | None = None
    if trait.paid:
        payment = {
            "external_id": f"ch_{rng.getrandbits(96):024x}",
            "provider": "stripe" if rng.random() < 0.8 else "paypal",
            "amount": rng.choice((25.0, 49.99, 99.0, 150.0, 1234.56)),
            "currency": rng.choice(("USD", "USD", "EUR", "GBP", "CAD", "AUD")),
            "terms": None if rng.random() < 0.5 else "Refundable up to 24 hours before.",
            "successful": rng.random() < 0.95,
        }
    invitee: Record = {
        "uri": f"{event['uri']}/invitees/{uuid}",
        "email": who.email,
        "first_name": who.first_name if trait.split_name else None,
        "last_name": who.last_name if trait.split_name else None,
        "name": who.name,
        "status": "active",
        "questions_and_answers": _answers(rng, event_type),
        "timezone": who.timezone,
        "event": event["uri"],
        "created_at": created_ts,
        "updated_at": created_ts,
        "tracking": _tracking(rng),
        "text_reminder_number": (
            f"+1 404-555-{rng.randrange(10_000):04d}" if rng.random() < 0.15 else None
        ),
        "rescheduled": False,
        "old_invitee": old_invitee,
        "new_invitee": None,
        "cancel_url": f"https://calendly.com/cancellations/{uuid}",
        "reschedule_url": f"https://calendly.com/reschedulings/{uuid}",
        "routing_form_submission": routing_form_submission,
        "payment": payment,
        "no_show": None,
        "reconfirmation": None,
        "scheduling_method": "api" if rng.random() < 0.05 else None,
    }
    org.put("event_invitees", invitee)
    counter = event["invitees_counter"]
    counter["total"] += 1
    counter["active"] += 1
    if created_ts > event["updated_at"]:
        event["updated_at"] = created_ts
    if rng.random() < 0.08:
        event["event_guests"].append(
            {
                "email": f"guest{rng.randrange(100_000)}@{rng.choice(pools.EMAIL_DOMAINS)}",
                "created_at": created_ts,
                "updated_at": created_ts,
            }
        )
    return invitee


def recount(org: SandboxOrg, event: Record) -> None:
    """Recompute an event's ``invitees_counter`` from its invitees."""
    invitees = org.children_of("event_invitees", event["uri"])
    counter = event["invitees_counter"]
    counter["total"] = len(invitees)
    counter["active"] = sum(1 for i in invitees if i["status"] == "active")


def no_show_record(org: SandboxOrg, uuid: str, invitee_uri: str, created_ts: str) -> Record:
    return {
        "uri": org.uri("invitee_no_shows", uuid),
        "invitee": invitee_uri,
        "created_at": created_ts,
    }


def activity_entry(
    org: SandboxOrg,
    uuid: str,
    *,
    occurred_ts: str,
    namespace: str,
    action: str,
    details: Record,
    actor: Record | None,
) -> Record:
    entry: Record = {
        "uri": org.uri("activity_log_entries", uuid),
        "occurred_at": occurred_ts,
        "namespace": namespace,
        "action": action,
        "fully_qualified_name": f"{namespace}.{action}",
        "details": details,
        "organization": org.organization["uri"],
    }
    if actor is not None:
        entry["actor"] = actor
    return entry


def user_actor(org: SandboxOrg, user: Record, role: str) -> Record:
    return {
        "uri": user["uri"],
        "type": "User",
        "display_name": user["name"],
        "alternative_identifier": user["email"],
        "organization": {"uri": org.organization["uri"], "role": role.capitalize()},
    }


SYSTEM_ACTOR: Record = {"type": "System", "display_name": "Calendly System"}


def submission_record(
    org: SandboxOrg,
    rng: random.Random,
    *,
    uuid: str,
    form: Record,
    who: Persona,
    created_ts: str,
    result: Record | None,
    submitter: str | None,
) -> Record:
    answers: list[Record] = []
    for question in form["questions"]:
        qtype = question["type"]
        answer: str | None
        if qtype == "name":
            answer = who.name
        elif qtype == "email":
            answer = who.email
        elif qtype == "phone":
            answer = f"+49 30 {rng.randrange(10_000_000):07d}"
        elif qtype in ("select", "radios"):
            answer = rng.choice(question["answer_choices"])
        else:
            answer = None if not question["required"] and rng.random() < 0.3 else "Hi there"
        answers.append(
            {"question_uuid": question["uuid"], "question": question["name"], "answer": answer}
        )
    record: Record = {
        "uri": org.uri("routing_form_submissions", uuid),
        "routing_form": form["uri"],
        "questions_and_answers": answers,
        "tracking": _tracking(rng),
        "submitter": submitter,
        "submitter_type": "Invitee" if submitter else None,
        "created_at": created_ts,
        "updated_at": created_ts,
    }
    if result is not None:
        record["result"] = result
    return record


def routing_result(rng: random.Random, form_targets: list[str]) -> Record:
    """A submission result that does not lead to a booking (or an event type redirect)."""
    roll = rng.random()
    if roll < 0.4 and form_targets:
        return {"type": "event_type", "value": rng.choice(form_targets)}
    if roll < 0.7:
        return {"type": "external_url", "value": "https://www.example.com/thanks"}
    return {
        "type": "custom_message",
        "value": {
            "headline": "Thank you for your interest",
            "body": "We aren't able to offer any meetings at this time.",
        },
    }


def form_targets(org: SandboxOrg, form: Record) -> list[str]:
    """Event types a routing form routes to (stable for a form; not exposed by the API)."""
    types = sorted(
        uri
        for uri, et in org.collections["event_types"].items()
        if et["active"] and et["type"] == "StandardEventType"
    )
    if not types:
        return []
    crc = zlib.crc32(last_segment(form["uri"]).encode())
    return [types[(crc + 7 * i) % len(types)] for i in range(1 + crc % 3)]


def busy_block(begin: datetime, length: timedelta) -> Record:
    """An external-calendar ``UserBusyTime`` (external events carry no buffers)."""
    start, end = format_ts(begin), format_ts(begin + length)
    return {
        "type": "external",
        "start_time": start,
        "end_time": end,
        "buffered_start_time": start,
        "buffered_end_time": end,
    }


def invitation_record(
    org: SandboxOrg,
    uuid: str,
    *,
    email: str,
    status: str,
    created_ts: str,
    updated_ts: str,
    last_sent_ts: str | None,
    user: str | None = None,
) -> Record:
    """An ``OrganizationInvitation`` (its URI sits under the organization's)."""
    invitation: Record = {
        "uri": f"{org.organization['uri']}/invitations/{uuid}",
        "organization": org.organization["uri"],
        "email": email,
        "status": status,
        "created_at": created_ts,
        "updated_at": updated_ts,
        "last_sent_at": last_sent_ts,
    }
    if user is not None:
        invitation["user"] = user
    return invitation


#: Reconfirmation requests go out this long before an event (for event types asking).
RECONFIRM_LEAD = timedelta(hours=24)


def reconfirm_delay(invitee_uri: str) -> timedelta | None:
    """How long after the request this invitee reconfirms (None: never), stable per
    invitee so history and the live clock agree on who confirms when."""
    crc = zlib.crc32(last_segment(invitee_uri).encode())
    return None if crc % 5 == 0 else timedelta(hours=1 + crc % 20)
