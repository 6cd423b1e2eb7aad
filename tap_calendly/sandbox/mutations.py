"""Clock-driven change: what an organization does while time passes.

``advance`` moves the simulated clock in steps of at most an hour and, at each step,
applies a Poisson-distributed number of each kind of change (rates per member per day,
so bigger orgs change more). Bookings land from the next hours to 90 days out;
cancellations and reschedules hit future events however long ago they were booked;
no-shows are marked on events that ended up to 14 days ago. That is exactly the churn a
start-time-windowed incremental sync has to catch.

Each step draws from ``random.Random((seed, step time))`` and changes go through
:mod:`ops`, so the same seed, start and sequence of advances give the same organization
(and the same webhooks).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from tap_calendly.sandbox import data_pools as pools
from tap_calendly.sandbox import data_records as rec
from tap_calendly.sandbox import ops
from tap_calendly.sandbox.store import Record, SandboxOrg, format_ts, parse_ts

STEP = timedelta(hours=1)
NO_SHOW_WINDOW = timedelta(days=14)

#: Expected changes per member per day.
RATES: dict[str, float] = {
    "bookings": 3.0,
    "cancellations": 0.6,
    "reschedules": 0.5,
    "no_shows": 0.45,
    "no_shows_removed": 0.04,
    "routing_form_submissions": 0.25,
    "invitations": 0.03,
    "members_joined": 0.03,
    "invitations_declined": 0.01,
    "members_left": 0.02,
    "logins": 0.6,
}

#: Floor (per day) for rare organization-level changes, so small orgs still see them.
MIN_DAILY: dict[str, float] = {
    "invitations": 0.6,
    "members_joined": 0.5,
    "invitations_declined": 0.1,
    "members_left": 0.2,
}

COUNT_KEYS: tuple[str, ...] = (
    *(k for k in RATES if k != "logins"),
    "reconfirmations",
    "activity_log_entries",
    "busy_blocks",
)

_SAMPLE_TRIES = 400


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


class _Step:
    """One step's worth of changes at the (already advanced) current time."""

    def __init__(self, org: SandboxOrg, hours: float) -> None:
        self.org = org
        self.now = org.now()
        self.now_ts = format_ts(self.now)
        self.rng = random.Random(f"{org.seed}|{self.now_ts}")
        self.hours = hours
        self.event_uris = list(org.collections["scheduled_events"])
        self.counts: dict[str, int] = dict.fromkeys(COUNT_KEYS, 0)

    def how_many(self, kind: str) -> int:
        members = len(self.org.collections["users"])
        per_day = max(RATES[kind] * members, MIN_DAILY.get(kind, 0.0))
        return _poisson(self.rng, per_day * self.hours / 24)

    def sample_event(self, accept: Callable[[Record], bool]) -> Record | None:
        events = self.org.collections["scheduled_events"]
        for _ in range(_SAMPLE_TRIES if self.event_uris else 0):
            event = events.get(self.event_uris[self.rng.randrange(len(self.event_uris))])
            if event is not None and accept(event):
                return event
        return None

    def future_active(self, event: Record) -> bool:
        return bool(event["status"] == "active" and event["start_time"] > self.now_ts)

    def run(self) -> dict[str, int]:
        org = self.org
        activity_before = len(org.collections["activity_log_entries"])
        plan: list[tuple[str, Callable[[], bool]]] = [
            ("bookings", self.booking),
            ("cancellations", self.cancellation),
            ("reschedules", self.reschedule),
            ("no_shows", self.no_show),
            ("no_shows_removed", self.remove_no_show),
            ("routing_form_submissions", self.submission),
            ("invitations", self.invitation),
            ("members_joined", self.join),
            ("invitations_declined", self.decline),
            ("members_left", self.leave),
            ("logins", self.login),
        ]
        for kind, action in plan:
            for _ in range(self.how_many(kind)):
                try:
                    done = action()
                except ops.OpError:
                    done = False
                if done and kind != "logins":
                    self.counts[kind] += 1
        self.calendar_blocks()
        self.counts["activity_log_entries"] = (
            len(org.collections["activity_log_entries"]) - activity_before
        )
        return self.counts

    # -- scheduling ---------------------------------------------------------------------
    def start_time(self) -> datetime:
        rng = self.rng
        roll = rng.random()
        if roll < 0.2:
            ahead = timedelta(hours=rng.uniform(2, 72))
        elif roll < 0.85:
            ahead = timedelta(days=rng.uniform(3, 30))
        else:
            ahead = timedelta(days=rng.uniform(30, 89))
        start = self.now + ahead
        return start.replace(minute=15 * (start.minute // 15), second=0, microsecond=0) + timedelta(
            minutes=15
        )

    def booking(self) -> bool:
        org, rng = self.org, self.rng
        if rng.random() < 0.15 and self.routed_booking():
            return True
        if rng.random() < 0.15:
            event = self.sample_event(
                lambda e: (
                    self.future_active(e)
                    and e["invitees_counter"]["limit"] > 1
                    and e["invitees_counter"]["active"] < e["invitees_counter"]["limit"]
                )
            )
            if event is not None:
                ops.book(
                    org,
                    event_type_uri=event["event_type"],
                    start_time=parse_ts(event["start_time"]),
                    rng=rng,
                    event_uri=event["uri"],
                )
                return True
        types = [
            et
            for et in org.collections["event_types"].values()
            if et["active"] and et["type"] == "StandardEventType"
        ]
        if not types:
            return False
        ops.book(
            org,
            event_type_uri=rng.choice(types)["uri"],
            start_time=self.start_time(),
            rng=rng,
            find_open_event=False,
        )
        return True

    def routed_booking(self) -> bool:
        """Routing form submitted, routed to an event type, booked, linked both ways."""
        org, rng = self.org, self.rng
        forms = [f for f in org.collections["routing_forms"].values() if f["status"] == "published"]
        if not forms:
            return False
        form = rng.choice(forms)
        targets = [
            uri
            for uri in rec.form_targets(org, form)
            if org.collections["event_types"][uri]["active"]
            and org.collections["event_types"][uri]["deleted_at"] is None
        ]
        if not targets:
            return False
        target = rng.choice(targets)
        who = rec.persona(rng)
        submission = ops.submit_routing_form(
            org, form["uri"], who=who, result={"type": "event_type", "value": target}, rng=rng
        )
        invitee = ops.book(
            org,
            event_type_uri=target,
            start_time=self.start_time(),
            who=who,
            rng=rng,
            routing_form_submission=submission["uri"],
            find_open_event=False,
        )
        ops.link_submission(org, submission["uri"], invitee["uri"])
        self.counts["routing_form_submissions"] += 1
        return True

    def cancellation(self) -> bool:
        org, rng = self.org, self.rng
        event = self.sample_event(self.future_active)
        if event is None:
            return False
        reason = None if rng.random() < 0.2 else rng.choice(pools.CANCEL_REASONS)
        active = [
            i for i in org.children_of("event_invitees", event["uri"]) if i["status"] == "active"
        ]
        if not active or rng.random() < 0.3:
            host = event["event_memberships"][0]["user_name"] if event["event_memberships"] else ""
            ops.cancel_event(
                org, event["uri"], reason=reason, canceled_by=host or "Host", canceler_type="host"
            )
            return True
        invitee = rng.choice(active)
        ops.cancel_invitee(
            org, invitee["uri"], reason=reason, canceled_by=invitee["name"], canceler_type="invitee"
        )
        return True

    def reschedule(self) -> bool:
        org, rng = self.org, self.rng
        event = self.sample_event(self.future_active)
        if event is None:
            return False
        active = [
            i for i in org.children_of("event_invitees", event["uri"]) if i["status"] == "active"
        ]
        if not active:
            return False
        event_type = org.get("event_types", event["event_type"])
        if event_type is None or not event_type["active"]:
            return False
        start = parse_ts(event["start_time"])
        new_start = start + timedelta(
            days=rng.choice((-3, -1, 1, 1, 2, 7, 14)), hours=rng.randint(-3, 3)
        )
        if new_start <= self.now + timedelta(hours=1):
            new_start = self.now + timedelta(hours=rng.randint(2, 96))
        new_start = new_start.replace(second=0, microsecond=0)
        reason = None if rng.random() < 0.5 else "Need to reschedule"
        ops.reschedule(
            org,
            rng.choice(active)["uri"],
            new_start=new_start,
            reason=reason,
            rng=rng,
            find_open_event=False,
        )
        return True

    def no_show(self) -> bool:
        org, rng = self.org, self.rng
        earliest = format_ts(self.now - NO_SHOW_WINDOW)

        def recent(event: Record) -> bool:
            return bool(
                event["status"] == "active" and earliest <= event["end_time"] <= self.now_ts
            )

        event = self.sample_event(recent)
        if event is None:
            return False
        candidates = [
            i
            for i in org.children_of("event_invitees", event["uri"])
            if i["status"] == "active" and i["no_show"] is None
        ]
        if not candidates:
            return False
        ops.mark_no_show(org, rng.choice(candidates)["uri"])
        return True

    def remove_no_show(self) -> bool:
        marks = list(self.org.collections["invitee_no_shows"].values())
        recent = format_ts(self.now - timedelta(days=7))
        for _ in range(20 if marks else 0):
            mark = marks[self.rng.randrange(len(marks))]
            if mark["created_at"] >= recent:
                ops.unmark_no_show(self.org, mark["uri"])
                return True
        return False

    def submission(self) -> bool:
        org, rng = self.org, self.rng
        forms = [f for f in org.collections["routing_forms"].values() if f["status"] == "published"]
        if not forms:
            return False
        form = rng.choice(forms)
        ops.submit_routing_form(
            org, form["uri"], result=rec.routing_result(rng, rec.form_targets(org, form)), rng=rng
        )
        return True

    # -- organization ----------------------------------------------------------------------
    def admins(self) -> list[str]:
        return sorted(
            m["user"]["uri"]
            for m in self.org.collections["organization_memberships"].values()
            if m["role"] in ("owner", "admin")
        )

    def invitation(self) -> bool:
        who = rec.persona(self.rng)
        ops.create_invitation(self.org, who.email, actor=self.rng.choice(self.admins()))
        return True

    def pending(self) -> list[Record]:
        return [
            i
            for i in self.org.collections["organization_invitations"].values()
            if i["status"] == "pending"
        ]

    def join(self) -> bool:
        pending = self.pending()
        if not pending:
            return False
        ops.accept_invitation(self.org, self.rng.choice(pending)["uri"], rng=self.rng)
        return True

    def decline(self) -> bool:
        pending = self.pending()
        if not pending:
            return False
        ops.decline_invitation(self.org, self.rng.choice(pending)["uri"])
        return True

    def leave(self) -> bool:
        plain = sorted(
            uri
            for uri, m in self.org.collections["organization_memberships"].items()
            if m["role"] == "user"
        )
        if len(plain) < 2:
            return False
        ops.remove_membership(
            self.org, self.rng.choice(plain), actor=self.rng.choice(self.admins())
        )
        return True

    def login(self) -> bool:
        users = sorted(self.org.collections["users"])
        if not users:
            return False
        ops.log_activity(
            self.org,
            "Login",
            "Success",
            {"ip_address": f"198.51.100.{self.rng.randrange(256)}", "method": "password"},
            actor=self.rng.choice(users),
            rng=self.rng,
        )
        return True

    def calendar_blocks(self) -> None:
        """External calendars keep filling the far end of the horizon; old blocks drop."""
        rng = self.rng
        horizon = self.now + timedelta(days=90)
        cutoff = format_ts(self.now - timedelta(days=2))
        for user_uri in sorted(self.org.collections["users"]):
            blocks = self.org.external_busy.setdefault(user_uri, [])
            if blocks and blocks[0]["end_time"] < cutoff:
                blocks[:] = [b for b in blocks if b["end_time"] >= cutoff]
            if rng.random() < 0.55 * self.hours / 24:
                begin = horizon.replace(minute=0, second=0, microsecond=0) - timedelta(
                    hours=rng.randint(0, 48)
                )
                blocks.append(rec.busy_block(begin, timedelta(minutes=rng.choice((30, 60, 90)))))
                blocks.sort(key=lambda b: b["start_time"])
                self.counts["busy_blocks"] += 1


class _Reconfirmations:
    """Reconfirmation requests and replies over one ``advance`` call.

    Events of reconfirming event types get a request :data:`~data_records.RECONFIRM_LEAD`
    before they start; invitees confirm after :func:`~data_records.reconfirm_delay` (the
    rule the generator's history follows). These change invitees of future events without
    canceling anything. One scan of the events per call finds what falls due; steps then
    apply it in time order through ``ops``.
    """

    def __init__(self, org: SandboxOrg, start: datetime, end: datetime) -> None:
        self.org = org
        lo, hi = format_ts(start), format_ts(end + rec.RECONFIRM_LEAD)
        self.requests: list[tuple[str, str]] = []
        self.pending: list[str] = []
        types = org.collections["event_types"]
        for event in org.collections["scheduled_events"].values():
            if event["status"] != "active" or not lo < event["start_time"] <= hi:
                continue
            event_type = types.get(event["event_type"])
            if event_type is None or not rec.traits(event_type).reconfirm:
                continue
            due = format_ts(parse_ts(event["start_time"]) - rec.RECONFIRM_LEAD)
            if due > lo:
                self.requests.append((due, event["uri"]))
            for invitee in org.children_of("event_invitees", event["uri"]):
                reconfirmation = invitee["reconfirmation"]
                if reconfirmation is not None and reconfirmation["confirmed_at"] is None:
                    self.pending.append(invitee["uri"])
        self.requests.sort()

    def apply(self) -> int:
        org, now_ts, changes = self.org, self.org.now_ts(), 0
        while self.requests and self.requests[0][0] <= now_ts:
            _, event_uri = self.requests.pop(0)
            if org.get("scheduled_events", event_uri) is None:
                continue
            asked = ops.request_reconfirmation(org, event_uri)
            self.pending.extend(invitee["uri"] for invitee in asked)
            changes += len(asked)
        still: list[str] = []
        for uri in self.pending:
            waiting = org.get("event_invitees", uri)
            delay = rec.reconfirm_delay(uri)
            if waiting is None or waiting["status"] != "active" or delay is None:
                continue
            reconfirmation = waiting["reconfirmation"]
            parent = org.get("scheduled_events", waiting["event"])
            if reconfirmation is None or parent is None or parent["start_time"] <= now_ts:
                continue
            if format_ts(parse_ts(reconfirmation["created_at"]) + delay) <= now_ts:
                ops.confirm_reconfirmation(org, uri)
                changes += 1
            else:
                still.append(uri)
        self.pending = still
        return changes


def advance(org: SandboxOrg, delta: timedelta) -> dict[str, int]:
    """Move the clock forward by ``delta`` in steps of at most an hour, applying changes
    at each step; returns how many changes of each kind were made."""
    if delta < timedelta(0):
        raise ValueError("the sandbox clock only moves forward")
    totals: dict[str, int] = dict.fromkeys(COUNT_KEYS, 0)
    with org.lock:
        reconfirmations = _Reconfirmations(org, org.now(), org.now() + delta)
    remaining = delta
    while remaining > timedelta(0):
        step = min(STEP, remaining)
        with org.lock:
            org.clock.advance(step)
            counts = _Step(org, step / timedelta(hours=1)).run()
            counts["reconfirmations"] = reconfirmations.apply()
        for key, value in counts.items():
            totals[key] += value
        remaining -= step
    return totals
