"""In-memory state of one synthetic Calendly organization.

The generator fills it, the clock-driven mutator changes it, the HTTP server reads it.
Every record is stored exactly as the API returns it (a JSON-ready dict, URIs absolute
against ``base_url``), so serving a resource is a lookup, not a transformation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

Record = dict[str, Any]

#: Collection names. They equal the tap's stream names, so ground truth and synced
#: tables compare by name.
COLLECTIONS: tuple[str, ...] = (
    "users",
    "organization_memberships",
    "organization_invitations",
    "groups",
    "event_types",
    "scheduled_events",
    "event_invitees",
    "invitee_no_shows",
    "routing_forms",
    "routing_form_submissions",
    "activity_log_entries",
    "user_availability_schedules",
    "webhook_subscriptions",
)

#: Child collections listed per parent, and the record field naming the parent.
PARENT_FIELD: dict[str, str] = {
    "event_invitees": "event",
    "routing_form_submissions": "routing_form",
}

#: Webhook listener: called with (event name, payload record) after a change commits,
#: e.g. ("invitee.created", invitee) or ("routing_form_submission.created", submission).
Listener = Callable[[str, Record], None]


def format_ts(value: datetime) -> str:
    """Calendly's timestamp format: UTC with microseconds and a ``Z`` suffix."""
    # isoformat is several times faster than strftime; "+00:00" becomes "Z".
    return value.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def parse_ts(value: str) -> datetime:
    """Parse an ISO-8601 timestamp (``Z`` or offset) into an aware UTC datetime."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class SimClock:
    """The sandbox's notion of "now": frozen until advanced, so runs are deterministic."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._now += delta
            return self._now


@dataclass
class SandboxOrg:
    """One organization and everything in it.

    ``collections[name]`` maps ``uri -> record`` for each name in :data:`COLLECTIONS`.
    Writers hold ``lock`` while changing anything; readers hold it while snapshotting a
    page. ``plan`` is the Organization ``plan`` (``enterprise`` unlocks the activity log
    and data-compliance deletions).
    """

    base_url: str
    clock: SimClock
    organization: Record
    owner_uri: str
    plan: str = "enterprise"
    #: Generator seed; the mutator derives its randomness from (seed, clock) so that the
    #: same seed, start time and sequence of advances give the same organization.
    seed: int = 0
    collections: dict[str, dict[str, Record]] = field(
        default_factory=lambda: {name: {} for name in COLLECTIONS}
    )
    #: Calendar blocks from external calendars, per user URI: UserBusyTime-shaped
    #: records of ``type: external`` (Calendly-side busy times derive from events).
    external_busy: dict[str, list[Record]] = field(default_factory=dict)
    #: Signing keys of webhook subscriptions, by subscription URI (never served back).
    signing_keys: dict[str, str] = field(default_factory=dict)
    listeners: list[Listener] = field(default_factory=list)
    #: ``children[collection][parent_uri]`` lists child URIs in insertion order
    #: (kept by :meth:`put` for the collections in :data:`PARENT_FIELD`).
    children: dict[str, dict[str, list[str]]] = field(
        default_factory=lambda: {name: {} for name in PARENT_FIELD}
    )
    lock: threading.RLock = field(default_factory=threading.RLock)

    def uri(self, *segments: str) -> str:
        """Absolute resource URI, e.g. ``uri("scheduled_events", uuid)``."""
        return "/".join((self.base_url.rstrip("/"), *segments))

    def now(self) -> datetime:
        return self.clock.now()

    def now_ts(self) -> str:
        return format_ts(self.clock.now())

    def put(self, collection: str, record: Record) -> None:
        """Insert or replace a record (by its ``uri``)."""
        with self.lock:
            table = self.collections[collection]
            parent_field = PARENT_FIELD.get(collection)
            if parent_field is not None and record["uri"] not in table:
                siblings = self.children[collection].setdefault(record[parent_field], [])
                siblings.append(record["uri"])
            table[record["uri"]] = record

    def get(self, collection: str, uri: str) -> Record | None:
        return self.collections[collection].get(uri)

    def records(self, collection: str) -> Iterator[Record]:
        return iter(self.collections[collection].values())

    def children_of(self, collection: str, parent_uri: str) -> list[Record]:
        """Child records of one parent (e.g. the invitees of an event), oldest first."""
        table = self.collections[collection]
        return [table[u] for u in self.children[collection].get(parent_uri, ()) if u in table]

    def notify(self, event: str, payload: Record) -> None:
        """Tell webhook listeners about a committed change."""
        for listener in list(self.listeners):
            listener(event, payload)
