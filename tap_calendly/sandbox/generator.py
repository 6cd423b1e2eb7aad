"""Deterministic synthetic Calendly organization: two years of history and three months
of future bookings, built from a seed and a scale.

Everything random comes from one ``random.Random(seed)`` consumed in a fixed order, so the
same (seed, scale, base_url, now) always yields the same records. The data is shaped to
exercise what trips extractors: cancellations and reschedules of long-synced events,
late no-shows, group events with many invitees, non-ASCII names and odd time zones.

The generator sets the organization up (members, groups, event types, routing forms,
schedules, calendars, subscriptions) and then plays its history through :mod:`ops`, the
operations the live clock and the write endpoints use, each at its own past instant:
bookings, cancellations, reschedules, reconfirmations, no-shows, routing submissions,
invitations and activity entries change records by one set of rules.
"""

from __future__ import annotations

import gc
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tap_calendly.sandbox import data_pools as pools
from tap_calendly.sandbox import data_records as rec
from tap_calendly.sandbox import ops
from tap_calendly.sandbox.store import Record, SandboxOrg, SimClock, format_ts, parse_ts

HISTORY = timedelta(days=730)
FUTURE = timedelta(days=90)


@dataclass(frozen=True)
class Scale:
    """Target sizes; ``events`` counts scheduled events (reschedules add their new event)."""

    users: int
    events: int
    groups: int
    routing_forms: int
    unlinked_submissions: int
    activity_entries: int
    webhooks: int
    pending_invitations: int
    declined_invitations: int
    #: Share of bookings that go to group (multi-invitee) event types.
    group_share: float


SCALES: dict[str, Scale] = {
    "small": Scale(10, 2_000, 2, 3, 60, 400, 4, 3, 2, 0.32),
    "medium": Scale(50, 25_000, 4, 6, 600, 4_000, 6, 6, 4, 0.32),
    "large": Scale(200, 250_000, 10, 12, 5_000, 20_000, 10, 15, 10, 0.32),
    # Many members, few events: per-member fan-outs dominate (bench/tap_sync.py --scale wide).
    "wide": Scale(1_000, 5_000, 20, 3, 60, 1_000, 4, 10, 5, 0.32),
}


@dataclass
class _Host:
    user: Record
    role: str
    active_from: datetime
    work_start_utc: int


class _Generator:
    def __init__(self, seed: int, scale: Scale, base_url: str, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.scale = scale
        self.now = now.astimezone(UTC)
        self.start = self.now - HISTORY
        org_uuid = rec.new_uuid(self.rng)
        created = format_ts(self.start - timedelta(days=400))
        organization: Record = {
            "uri": "/".join((base_url.rstrip("/"), "organizations", org_uuid)),
            "plan": "enterprise",
            "stage": "paid",
            "created_at": created,
            "updated_at": format_ts(self.start - timedelta(days=30)),
        }
        self.org = SandboxOrg(
            base_url=base_url.rstrip("/"),
            clock=SimClock(self.now),
            organization=organization,
            owner_uri="",
            seed=seed,
        )
        self.org_uuid = org_uuid
        self.hosts: dict[str, _Host] = {}
        #: Published routing forms, and the forms routing to each event type.
        self.forms: list[Record] = []
        self.routes: dict[str, list[Record]] = {}
        #: People who book more than once.
        self.regulars: list[rec.Persona] = []

    def ts_between(self, lo: datetime, hi: datetime) -> datetime:
        """A time in [lo, hi) (lo when the range is empty)."""
        span = (hi - lo).total_seconds()
        at = lo + timedelta(seconds=self.rng.random() * max(span, 0.0))
        # Rounding to microseconds must not reach hi: ops check "before the start" strictly.
        return min(at, hi - timedelta(microseconds=1)) if hi > lo else lo

    # -- people ---------------------------------------------------------------------
    def users(self) -> None:
        rng, org = self.rng, self.org
        n = self.scale.users
        admins = max(1, n // 8)
        late = max(1, n // 10)
        slugs: set[str] = set()
        for i in range(n):
            role = "owner" if i == 0 else ("admin" if i <= admins else "user")
            first, first_ascii = rng.choice(pools.FIRST_NAMES)
            last, last_ascii = rng.choice(pools.LAST_NAMES)
            slug = f"{first_ascii}-{last_ascii}"
            while slug in slugs:
                slug = f"{first_ascii}-{last_ascii}-{rng.randrange(100, 1000)}"
            slugs.add(slug)
            if i == 0:
                created = self.start - timedelta(days=380)
            elif i >= n - late:
                created = self.ts_between(
                    self.now - timedelta(days=150), self.now - timedelta(days=3)
                )
            else:
                created = self.ts_between(self.start - timedelta(days=360), self.start)
            updated = self.ts_between(created, min(created + timedelta(days=200), self.now))
            tz, work_start = rng.choice(pools.HOST_TIMEZONES)
            uuid = rec.new_uuid(rng)
            user: Record = {
                "uri": org.uri("users", uuid),
                "name": f"{first} {last}",
                "slug": slug,
                "email": f"{slug.replace('-', '.')}@acme.example.com",
                "scheduling_url": f"https://calendly.com/{slug}",
                "timezone": tz,
                "avatar_url": (
                    None
                    if rng.random() < 0.3
                    else f"https://d3v0px0pttie1i.cloudfront.net/uploads/user/avatar/{uuid[:8]}.png"
                ),
                "created_at": format_ts(created),
                "updated_at": format_ts(updated),
                "current_organization": org.organization["uri"],
                "locale": rng.choice(pools.LOCALES),
                "resource_type": "User",
            }
            org.put("users", user)
            if i == 0:
                org.owner_uri = user["uri"]
            self.hosts[user["uri"]] = _Host(user, role, created, work_start)
            joined = format_ts(created + timedelta(minutes=5))
            org.put(
                "organization_memberships",
                {
                    "uri": org.uri("organization_memberships", rec.new_uuid(rng)),
                    "role": role,
                    "user": rec.user_summary(user),
                    "organization": org.organization["uri"],
                    "updated_at": format_ts(max(updated, created + timedelta(minutes=5))),
                    "created_at": joined,
                },
            )
            if i > 0:
                sent = created - timedelta(hours=rng.uniform(1, 72))
                self.accepted_invitation(user, sent, created)
                self.activity(created, "User", "Add", {"email": user["email"], "role": role})

    def accepted_invitation(self, user: Record, sent: datetime, accepted: datetime) -> None:
        """The invitation a founding member accepted (the roster is set up, not played)."""
        self.org.put(
            "organization_invitations",
            rec.invitation_record(
                self.org,
                rec.new_uuid(self.rng),
                email=user["email"],
                status="accepted",
                created_ts=format_ts(sent),
                updated_ts=format_ts(accepted),
                last_sent_ts=None if self.rng.random() < 0.1 else format_ts(sent),
                user=user["uri"],
            ),
        )

    def open_invitations(self) -> None:
        rng = self.rng
        for status, count in (
            ("pending", self.scale.pending_invitations),
            ("declined", self.scale.declined_invitations),
        ):
            for _ in range(count):
                who = rec.persona(rng)
                sent = self.ts_between(self.now - timedelta(days=60), self.now - timedelta(hours=1))
                try:
                    invitation = ops.create_invitation(
                        self.org, who.email, actor=self.org.owner_uri, rng=rng, at=sent
                    )
                except ops.OpError:  # the same random e-mail twice
                    continue
                if status == "declined":
                    ops.decline_invitation(
                        self.org, invitation["uri"], at=self.ts_between(sent, self.now)
                    )

    def groups(self) -> None:
        rng, org = self.rng, self.org
        members = list(self.hosts)
        for i in range(self.scale.groups):
            created = self.ts_between(self.start - timedelta(days=300), self.start)
            org.put(
                "groups",
                {
                    "uri": org.uri("groups", rec.new_uuid(rng)),
                    "name": pools.GROUP_NAMES[i % len(pools.GROUP_NAMES)],
                    "organization": org.organization["uri"],
                    "member_count": rng.randint(1, len(members)),
                    "created_at": format_ts(created),
                    "updated_at": format_ts(self.ts_between(created, self.now)),
                },
            )

    # -- configuration ----------------------------------------------------------------
    def custom_questions(self) -> list[Record]:
        chosen = self.rng.sample(pools.CUSTOM_QUESTIONS, self.rng.randint(0, 3))
        return [
            {
                "name": name,
                "type": qtype,
                "position": pos,
                "enabled": self.rng.random() < 0.9,
                "required": self.rng.random() < 0.5,
                "answer_choices": list(choices),
                "include_other": qtype.endswith("select") and self.rng.random() < 0.3,
            }
            for pos, (name, qtype, choices) in enumerate(chosen)
        ]

    def event_type(
        self,
        *,
        name: str,
        kind: str,
        pooling: str | None,
        profile: Record,
        url_prefix: str,
        admin_managed: bool,
        adhoc: bool = False,
    ) -> Record:
        rng = self.rng
        slug = name.lower().encode("ascii", "ignore").decode().strip().replace(" ", "-")
        slug = "".join(c for c in slug if c.isalnum() or c == "-").strip("-") or "meeting"
        created = self.ts_between(self.start - timedelta(days=200), self.start)
        active = rng.random() < 0.85
        description = None if rng.random() < 0.3 else f"Let's talk: {name}"
        description_html = None if description is None else f"<p>{description}</p>"
        description_words = {
            ("solo", None): "One-on-One",
            ("group", None): "Group",
            ("solo", "round_robin"): "Round Robin",
            ("solo", "collective"): "Collective",
        }
        event_type: Record = {
            "uri": self.org.uri("event_types", rec.new_uuid(rng)),
            "name": name,
            "active": active,
            "slug": slug,
            "scheduling_url": f"https://calendly.com/{url_prefix}/{slug}",
            "duration": rng.choice((15, 30, 30, 45, 60, 90)),
            "kind": kind,
            "pooling_type": pooling,
            "type": "AdhocEventType" if adhoc else "StandardEventType",
            "color": rng.choice(pools.COLORS),
            "created_at": format_ts(created),
            "updated_at": format_ts(self.ts_between(created, self.now)),
            "internal_note": None if rng.random() < 0.6 else "Prep the deck beforehand",
            "description_plain": description,
            "description_html": description_html,
            "profile": profile,
            "secret": rng.random() < 0.15,
            "booking_method": "poll" if rng.random() < 0.05 else "instant",
            "custom_questions": self.custom_questions(),
            "deleted_at": None,
            "kind_description": description_words[(kind, pooling)],
            "admin_managed": admin_managed,
        }
        self.org.put("event_types", event_type)
        return event_type

    def event_types(self) -> None:
        rng = self.rng
        for host in self.hosts.values():
            user = host.user
            profile = {"type": "User", "name": user["name"], "owner": user["uri"]}
            names = rng.sample(pools.EVENT_TYPE_NAMES, rng.randint(2, 4))
            for name in names:
                self.event_type(
                    name=name,
                    kind="solo",
                    pooling=None,
                    profile=dict(profile),
                    url_prefix=user["slug"],
                    admin_managed=rng.random() < 0.1,
                )
            if rng.random() < 0.5:
                self.event_type(
                    name=rng.choice(pools.GROUP_EVENT_TYPE_NAMES),
                    kind="group",
                    pooling=None,
                    profile=dict(profile),
                    url_prefix=user["slug"],
                    admin_managed=False,
                )
            if rng.random() < 0.15:
                self.event_type(
                    name="Ad hoc meeting",
                    kind="solo",
                    pooling=None,
                    profile=dict(profile),
                    url_prefix=user["slug"],
                    admin_managed=False,
                    adhoc=True,
                )
        groups = list(self.org.records("groups"))
        for i, group in enumerate(groups):
            for pooling in ("round_robin", "collective"):
                self.event_type(
                    name=f"{group['name']} {pools.TEAM_EVENT_TYPE_NAMES[i % 4]}",
                    kind="solo",
                    pooling=pooling,
                    profile={"type": "Team", "name": group["name"], "owner": group["uri"]},
                    url_prefix=f"team-{i}",
                    admin_managed=rng.random() < 0.6,
                )

    def routing_forms(self) -> None:
        rng, org = self.rng, self.org
        for i in range(self.scale.routing_forms):
            created = self.ts_between(
                self.start - timedelta(days=100), self.start + timedelta(days=60)
            )
            questions: list[Record] = [
                {
                    "uuid": rec.new_uuid(rng),
                    "name": "Name",
                    "type": "name",
                    "required": True,
                    "answer_choices": None,
                },
                {
                    "uuid": rec.new_uuid(rng),
                    "name": "Email",
                    "type": "email",
                    "required": True,
                    "answer_choices": None,
                },
                {
                    "uuid": rec.new_uuid(rng),
                    "name": "What is your industry?",
                    "type": "select",
                    "required": True,
                    "answer_choices": list(pools.INDUSTRIES),
                },
                {
                    "uuid": rec.new_uuid(rng),
                    "name": "Company size",
                    "type": "radios",
                    "required": False,
                    "answer_choices": list(pools.COMPANY_SIZES),
                },
                {
                    "uuid": rec.new_uuid(rng),
                    "name": "Anything else?",
                    "type": "textarea",
                    "required": False,
                    "answer_choices": None,
                },
            ]
            if rng.random() < 0.5:
                questions.insert(
                    2,
                    {
                        "uuid": rec.new_uuid(rng),
                        "name": "Phone",
                        "type": "phone",
                        "required": False,
                        "answer_choices": None,
                    },
                )
            org.put(
                "routing_forms",
                {
                    "uri": org.uri("routing_forms", rec.new_uuid(rng)),
                    "organization": org.organization["uri"],
                    "name": pools.ROUTING_FORM_NAMES[i % len(pools.ROUTING_FORM_NAMES)],
                    "status": "draft" if i % 5 == 4 else "published",
                    "questions": questions,
                    "created_at": format_ts(created),
                    "updated_at": format_ts(self.ts_between(created, created + timedelta(days=90))),
                },
            )

    # -- bookings ---------------------------------------------------------------------
    def bookings(self) -> None:
        rng, org, now = self.rng, self.org, self.now
        types = list(org.records("event_types"))
        solo = [et for et in types if et["kind"] == "solo" and et["type"] == "StandardEventType"]
        group = [et for et in types if et["kind"] == "group"] or solo
        adhoc = [et for et in types if et["type"] == "AdhocEventType"] or solo
        self.forms = [f for f in org.records("routing_forms") if f["status"] == "published"]
        for form in self.forms:
            for target in rec.form_targets(org, form):
                self.routes.setdefault(target, []).append(form)
        target_events = self.scale.events
        made = 0
        while made < target_events:
            roll = rng.random()
            pool = group if roll < self.scale.group_share else (adhoc if roll > 0.99 else solo)
            event_type = rng.choice(pool)
            if rng.random() < 0.9:
                start_day = self.ts_between(self.start, now)
            else:
                start_day = now + (FUTURE - timedelta(hours=2)) * (rng.random() ** 1.6)
            hosts = self.pick_hosts(event_type)
            if not hosts:
                continue
            work = self.hosts[hosts[0]["uri"]].work_start_utc
            start = start_day.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
                hours=work + rng.randint(0, 8), minutes=15 * rng.randint(0, 3)
            )
            if start_day > now and start <= now + timedelta(minutes=30):
                start += timedelta(days=1)
            if start >= now + FUTURE:
                start -= timedelta(days=2)
            lead = timedelta(hours=2 ** rng.uniform(0.5, 10.4))
            created = start - lead
            if created >= now:
                created = now - timedelta(minutes=rng.uniform(1, 2880))
            if any(self.hosts[h["uri"]].active_from > created for h in hosts):
                continue
            if format_ts(created) < event_type["created_at"]:
                continue
            made += self.booking(event_type, hosts, start, created)

    def pick_hosts(self, event_type: Record) -> list[Record]:
        hosts = rec.team_hosts(self.org, event_type)
        if event_type["pooling_type"] == "round_robin" and hosts:
            return [self.rng.choice(hosts)]
        return hosts

    def booking(
        self, event_type: Record, hosts: list[Record], start: datetime, created: datetime
    ) -> int:
        """Book one event (several invitees for group types) and play what happens to it:
        a cancellation, a reschedule or single seats canceled, then reconfirmations and
        no-shows. Returns the number of events made."""
        rng, org = self.rng, self.org
        limit = rec.traits(event_type).limit
        count = 1 if limit == 1 else min(limit, 1 + int(rng.expovariate(0.15)))
        latest = min(start, self.now)
        times = [created, *sorted(self.ts_between(created, latest) for _ in range(count - 1))]
        first = self.invitee(event_type, start, times[0], hosts=hosts)
        event_uri = first["event"]
        invitees = [first]
        invitees.extend(
            self.invitee(event_type, start, booked, event_uri=event_uri) for booked in times[1:]
        )
        if rng.random() < 0.1 and latest > times[-1]:
            when = self.ts_between(times[-1], latest)
            host = rng.random() < 0.35 or limit > 1
            memberships = org.collections["scheduled_events"][event_uri]["event_memberships"]
            who = memberships[0]["user_name"] if host else first["name"]
            reason = None if rng.random() < 0.2 else rng.choice(pools.CANCEL_REASONS)
            ops.cancel_event(
                org,
                event_uri,
                reason=reason,
                canceled_by=who,
                canceler_type="host" if host else "invitee",
                at=when,
            )
            return 1
        if limit == 1 and rng.random() < 0.07 and latest > created + timedelta(minutes=5):
            return 1 + self.reschedule(first, event_type, hosts)
        for invitee in invitees[1:]:
            if rng.random() < 0.05:
                booked = parse_ts(invitee["created_at"])
                if latest > booked:
                    ops.cancel_invitee(
                        org,
                        invitee["uri"],
                        reason=rng.choice(pools.CANCEL_REASONS),
                        canceled_by=invitee["name"],
                        at=self.ts_between(booked, latest),
                    )
        self.after_event(event_uri, event_type)
        return 1

    def person(self) -> rec.Persona:
        # Some people book again (same e-mail across events), as real customers do.
        rng = self.rng
        if self.regulars and rng.random() < 0.12:
            return rng.choice(self.regulars)
        who = rec.persona(rng)
        if len(self.regulars) < 300 and rng.random() < 0.2:
            self.regulars.append(who)
        return who

    def invitee(
        self,
        event_type: Record,
        start: datetime,
        booked: datetime,
        *,
        hosts: list[Record] | None = None,
        event_uri: str | None = None,
    ) -> Record:
        """One person books (the first one creates the event); some came through a
        routing form, submitted minutes before."""
        rng, org = self.rng, self.org
        who = self.person()
        submission: Record | None = None
        forms = self.routes.get(event_type["uri"])
        if forms and rng.random() < 0.3:
            form = rng.choice(forms)
            submitted = booked - timedelta(minutes=rng.uniform(1, 30))
            if format_ts(submitted) > form["created_at"]:
                submission = ops.submit_routing_form(
                    org,
                    form["uri"],
                    who=who,
                    result={"type": "event_type", "value": event_type["uri"]},
                    rng=rng,
                    at=submitted,
                )
        invitee = ops.book(
            org,
            event_type_uri=event_type["uri"],
            start_time=start,
            who=who,
            rng=rng,
            routing_form_submission=submission["uri"] if submission else None,
            event_uri=event_uri,
            find_open_event=False,
            hosts=hosts,
            at=booked,
        )
        if submission is not None:
            ops.link_submission(org, submission["uri"], invitee["uri"], at=booked)
        return invitee

    def reschedule(self, invitee: Record, event_type: Record, hosts: list[Record]) -> int:
        rng, org, now = self.rng, self.org, self.now
        event = org.collections["scheduled_events"][invitee["event"]]
        created = parse_ts(event["created_at"])
        old_start = parse_ts(event["start_time"])
        when = self.ts_between(created + timedelta(minutes=1), min(old_start, now))
        new_start = old_start + timedelta(
            days=rng.choice((-2, -1, 1, 1, 2, 3, 7)), hours=rng.randint(-2, 2)
        )
        if new_start <= when + timedelta(hours=1):
            new_start = when + timedelta(hours=rng.randint(2, 72))
        reason = None if rng.random() < 0.5 else "Need to reschedule"
        new = ops.reschedule(
            org,
            invitee["uri"],
            new_start=new_start,
            reason=reason,
            rng=rng,
            find_open_event=False,
            hosts=hosts,
            at=when,
        )
        self.after_event(new["event"], event_type)
        return 1

    def after_event(self, event_uri: str, event_type: Record) -> None:
        """After-booking history of an active event: reconfirmations and no-shows."""
        rng, org, now = self.rng, self.org, self.now
        event = org.collections["scheduled_events"][event_uri]
        asked = parse_ts(event["start_time"]) - rec.RECONFIRM_LEAD
        if rec.traits(event_type).reconfirm and asked < now:
            for invitee in ops.request_reconfirmation(org, event_uri, at=asked):
                delay = rec.reconfirm_delay(invitee["uri"])
                if delay is not None and asked + delay < now:
                    ops.confirm_reconfirmation(org, invitee["uri"], at=asked + delay)
        end = parse_ts(event["end_time"])
        if end >= now:
            return
        for invitee in org.children_of("event_invitees", event_uri):
            if invitee["status"] == "active" and rng.random() < 0.045:
                marked = end + timedelta(minutes=10) + timedelta(days=14) * rng.random() ** 3
                if marked < now:
                    ops.mark_no_show(org, invitee["uri"], rng=rng, at=marked)

    def unlinked_submissions(self) -> None:
        rng, org = self.rng, self.org
        if not self.forms:
            return
        for _ in range(self.scale.unlinked_submissions):
            form = rng.choice(self.forms)
            ops.submit_routing_form(
                org,
                form["uri"],
                who=rec.persona(rng),
                result=rec.routing_result(rng, rec.form_targets(org, form)),
                rng=rng,
                at=self.ts_between(parse_ts(form["created_at"]), self.now),
            )

    # -- organization-level records ------------------------------------------------------
    def activity(self, when: datetime, namespace: str, action: str, details: Record) -> None:
        """An entry by the owner (one in ten by Calendly itself)."""
        actor = None if self.rng.random() < 0.1 else self.org.owner_uri or None
        ops.log_activity(self.org, namespace, action, details, actor=actor, rng=self.rng, at=when)

    def activity_filler(self) -> None:
        rng = self.rng
        hosts = list(self.hosts.values())
        types = list(self.org.records("event_types"))
        have = len(self.org.collections["activity_log_entries"])
        for _ in range(max(0, self.scale.activity_entries - have)):
            host = rng.choice(hosts)
            when = self.ts_between(max(host.active_from, self.start), self.now)
            roll = rng.random()
            if roll < 0.6:
                ns, action = "Login", ("Success" if rng.random() < 0.95 else "Failure")
                details: Record = {"ip_address": f"203.0.113.{rng.randrange(256)}", "method": "sso"}
            elif roll < 0.85:
                ns, action = "EventType", "Update"
                details = {"event_type": rng.choice(types)["uri"], "changed": ["duration"]}
            else:
                ns, action = "Organization", "UpdateSettings"
                details = {"setting": "branding", "value": "custom"}
            ops.log_activity(
                self.org, ns, action, details, actor=host.user["uri"], rng=rng, at=when
            )

    def availability(self) -> None:
        rng, org, now = self.rng, self.org, self.now
        days = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
        for host in self.hosts.values():
            user = host.user
            for default, name in ((True, "Working Hours"), (False, "Evenings")):
                if not default and rng.random() < 0.7:
                    continue
                start_h = rng.choice((7, 8, 9, 10)) if default else 18
                end_h = start_h + (rng.choice((7, 8, 9)) if default else 3)
                rules: list[Record] = []
                for wday in days:
                    weekend = wday in ("saturday", "sunday")
                    intervals = (
                        []
                        if weekend or rng.random() < 0.05
                        else [{"from": f"{start_h:02d}:00", "to": f"{end_h:02d}:00"}]
                    )
                    if intervals and rng.random() < 0.2:
                        intervals = [
                            {"from": f"{start_h:02d}:00", "to": "12:00"},
                            {"from": "13:00", "to": f"{end_h:02d}:30"},
                        ]
                    rules.append({"type": "wday", "wday": wday, "intervals": intervals})
                for _ in range(rng.randint(0, 2)):
                    day = (now + timedelta(days=rng.randint(3, 80))).date().isoformat()
                    off = rng.random() < 0.5
                    rules.append(
                        {
                            "type": "date",
                            "date": day,
                            "intervals": [] if off else [{"from": "10:00", "to": "14:00"}],
                        }
                    )
                org.put(
                    "user_availability_schedules",
                    {
                        "uri": org.uri("user_availability_schedules", rec.new_uuid(rng)),
                        "default": default,
                        "name": name,
                        "user": user["uri"],
                        "timezone": user["timezone"],
                        "rules": rules,
                    },
                )

    def external_busy(self) -> None:
        rng, org = self.rng, self.org
        first_day = (self.now - timedelta(days=2)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        for host in self.hosts.values():
            blocks: list[Record] = []
            for day in range(94):
                if rng.random() < 0.45:
                    continue
                begin = first_day + timedelta(
                    days=day,
                    hours=host.work_start_utc + rng.randint(0, 7),
                    minutes=30 * rng.randint(0, 1),
                )
                blocks.append(
                    rec.busy_block(begin, timedelta(minutes=rng.choice((30, 60, 90, 120))))
                )
            org.external_busy[host.user["uri"]] = blocks

    def webhooks(self) -> None:
        rng, org = self.rng, self.org
        admins = [h.user for h in self.hosts.values() if h.role in ("owner", "admin")]
        for i in range(self.scale.webhooks):
            created = self.ts_between(self.now - timedelta(days=400), self.now - timedelta(days=1))
            scope = "organization" if i % 2 == 0 else "user"
            user = admins[i % len(admins)] if scope == "user" else None
            events = ["invitee.created", "invitee.canceled"]
            if scope == "organization":
                events.append("routing_form_submission.created")
            if i == 2:
                events += ["invitee_no_show.created", "invitee_no_show.deleted"]
            disabled = i == 3
            updated = self.ts_between(created, self.now)
            uri = org.uri("webhook_subscriptions", rec.new_uuid(rng))
            org.put(
                "webhook_subscriptions",
                {
                    "uri": uri,
                    "callback_url": f"https://hooks.example.com/calendly/{i}",
                    "created_at": format_ts(created),
                    "updated_at": format_ts(updated),
                    "retry_started_at": (
                        format_ts(updated - timedelta(hours=24)) if disabled else None
                    ),
                    "state": "disabled" if disabled else "active",
                    "events": events,
                    "scope": scope,
                    "organization": org.organization["uri"],
                    "user": user["uri"] if user else None,
                    "creator": (user or admins[0])["uri"] if i != 1 else None,
                },
            )
            if rng.random() < 0.7:
                org.signing_keys[uri] = f"{rng.getrandbits(256):064x}"

    def run(self) -> SandboxOrg:
        self.users()
        self.open_invitations()
        self.groups()
        self.event_types()
        self.routing_forms()
        self.bookings()
        self.unlinked_submissions()
        self.activity_filler()
        self.availability()
        self.external_busy()
        self.webhooks()
        return self.org


def generate_org(seed: int, scale: str, base_url: str, now: datetime) -> SandboxOrg:
    """Build the organization for ``seed`` at ``scale`` (a key of :data:`SCALES`), with URIs
    under ``base_url`` and its clock frozen at ``now``."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    # The records hold no reference cycles; pausing the cyclic GC while allocating
    # millions of dicts saves about a quarter of the time.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _Generator(seed, SCALES[scale], base_url, now).run()
    finally:
        if was_enabled:
            gc.enable()
