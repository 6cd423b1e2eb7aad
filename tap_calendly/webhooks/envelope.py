"""What counts as a Calendly event, and the key that makes a retried delivery collapse.

Calendly's envelope is ``{event, created_at, created_by, payload}``. For the events this
package applies (invitee and routing-form ones) the payload must carry the record's
``uri`` and ``updated_at``, which the merge needs; other well-formed events are stored
and left alone by ``apply``.

Calendly sends no delivery id, so the key is derived: SHA-256 over the event name, the
envelope's ``created_at`` and the payload's content with its keys sorted. A retry of the
same message collapses (whatever its key order or whitespace); ``invitee.canceled`` and
``invitee.created`` for one invitee stay two deliveries, and so do two different changes
stamped in the same microsecond.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from tap_calendly.webhooks.rejections import Rejected

#: Events whose payload ``apply`` merges into tables (see :mod:`tap_calendly.webhooks.rows`).
INVITEE_EVENTS = (
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
)
SUBMISSION_EVENTS = ("routing_form_submission.created",)
APPLIED_EVENTS = INVITEE_EVENTS + SUBMISSION_EVENTS

_EVENT_NAME = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")


@dataclass(frozen=True)
class Delivery:
    """One verified, well-formed delivery as the journal stores it."""

    key: bytes
    event: str
    uri: str | None
    updated_at: str | None
    created_at: str
    body: bytes


def _timestamp(value: Any) -> bool:
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _bad(message: str) -> Rejected:
    return Rejected(400, "not_a_calendly_event", message)


def parse(body: bytes) -> Delivery:
    """Check that ``body`` is a Calendly event and derive its journal key."""
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Rejected(400, "not_json", "body is not JSON") from None
    if not isinstance(envelope, dict):
        raise _bad("body is not a JSON object")
    event = envelope.get("event")
    if not isinstance(event, str) or not _EVENT_NAME.match(event):
        raise _bad("'event' must name a Calendly event, e.g. invitee.created")
    created_at = envelope.get("created_at")
    if not _timestamp(created_at):
        raise _bad("'created_at' must be an ISO 8601 timestamp")
    payload = envelope.get("payload")
    if not isinstance(payload, dict):
        raise _bad("'payload' must be an object")
    uri = payload.get("uri")
    updated_at = payload.get("updated_at")
    if event in APPLIED_EVENTS:
        if not isinstance(uri, str) or not uri.startswith(("https://", "http://")):
            raise _bad(f"{event} payload needs a 'uri'")
        if not _timestamp(updated_at):
            raise _bad(f"{event} payload needs an ISO 8601 'updated_at'")
    digest = hashlib.sha256()
    for part in (event.encode(), str(created_at).encode()):
        digest.update(part)
        digest.update(b"\x00")
    digest.update(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS))
    return Delivery(
        key=digest.digest(),
        event=event,
        uri=uri if isinstance(uri, str) else None,
        updated_at=updated_at if isinstance(updated_at, str) else None,
        created_at=str(created_at),
        body=body,
    )
