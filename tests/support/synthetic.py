"""Calendly-like invitee records as a Singer stream, for the loader's tests and benchmark.

Records look like ``event_invitees`` from the API (about 900 bytes each: nested
questions/answers and tracking, date-times with ``Z`` and with offsets) so that measured
throughput and memory reflect real loads. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson

STREAM = "event_invitees"
BASE = "https://api.calendly.com"

_NULL_STR: dict[str, Any] = {"type": ["string", "null"]}
_NULL_TS: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}

INVITEE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "uri": {"type": "string"},
        "email": _NULL_STR,
        "first_name": _NULL_STR,
        "last_name": _NULL_STR,
        "name": _NULL_STR,
        "status": _NULL_STR,
        "timezone": _NULL_STR,
        "event": _NULL_STR,
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "start_time": _NULL_TS,
        "questions_and_answers": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "properties": {
                    "question": {"type": "string"},
                    "answer": {"type": "string"},
                    "position": {"type": "integer"},
                },
            },
        },
        "tracking": {
            "type": ["object", "null"],
            "properties": dict.fromkeys(("utm_campaign", "utm_source", "utm_medium"), _NULL_STR),
        },
        "text_reminder_number": _NULL_STR,
        "rescheduled": {"type": ["boolean", "null"]},
        "old_invitee": _NULL_STR,
        "new_invitee": _NULL_STR,
        "cancel_url": _NULL_STR,
        "reschedule_url": _NULL_STR,
        "routing_form_submission": _NULL_STR,
        "cancellation": {"type": ["object", "null"]},
        "payment": {"type": ["object", "null"]},
        "no_show": {"type": ["object", "null"]},
        "reconfirmation": {"type": ["object", "null"]},
        "scheduling_method": _NULL_STR,
        "invitee_scheduled_by": _NULL_STR,
        "reminders_sent": {"type": ["integer", "null"]},
        "amount_paid": {"type": ["number", "null"]},
    },
}

_FIRST = ["Ana", "Bruno", "Chen", "Dana", "Émile", "Farah", "Giulia", "Hiro", "Inés", "Jonas"]
_LAST = ["Silva", "Okafor", "Müller", "Tanaka", "Kowalski", "Haddad", "Nguyen", "O'Brien"]
_ZONES = [timezone(timedelta(hours=-3)), timezone(timedelta(hours=5, minutes=30)), UTC]
_QUESTIONS = [
    "What would you like to discuss?",
    "Company size",
    "How did you hear about us?",
    "Anything we should prepare before the call?",
]


def _uuid(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _ts(moment: datetime, zone: timezone) -> str:
    """Calendly sends ``...Z``; other taps send offsets: mix both so offsets get exercised."""
    if zone is UTC:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.astimezone(zone).isoformat()


def invitee_records(
    count: int, seed: int = 7, *, key_space: int | None = None
) -> Iterator[dict[str, Any]]:
    """Yield ``count`` invitee records; ``key_space`` < count makes keys repeat (upserts)."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    keys = key_space or count
    for i in range(count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        key = i % keys
        event = f"{BASE}/scheduled_events/{(key * 0x9E3779B97F4A7C15) % (1 << 128):032x}"
        created = start + timedelta(minutes=i % 500_000)
        zone = _ZONES[i % 3]
        canceled = i % 9 == 0
        yield {
            "uri": f"{event}/invitees/{key:012d}",
            "email": f"{first.lower()}.{i}@example.com",
            "first_name": first,
            "last_name": last,
            "name": f"{first} {last}",
            "status": "canceled" if canceled else "active",
            "timezone": rng.choice(["America/Sao_Paulo", "Asia/Kolkata", "Europe/Berlin"]),
            "event": event,
            "created_at": _ts(created, zone),
            "updated_at": _ts(created + timedelta(hours=2, microseconds=i), zone),
            "start_time": _ts(created + timedelta(days=3), _ZONES[(i + 1) % 3]),
            "questions_and_answers": [
                {"question": q, "answer": f"answer {rng.randrange(10**6)} ✓", "position": n}
                for n, q in enumerate(_QUESTIONS[: 1 + i % 2])
            ],
            "tracking": {
                "utm_campaign": rng.choice(["spring", "webinar", None]),
                "utm_source": "newsletter",
                "utm_medium": "email",
            },
            "text_reminder_number": None,
            "rescheduled": i % 13 == 0,
            "old_invitee": None,
            "new_invitee": None,
            "cancel_url": f"https://calendly.com/cancellations/{_uuid(rng)[:20]}",
            "reschedule_url": f"https://calendly.com/reschedulings/{_uuid(rng)[:20]}",
            "routing_form_submission": None,
            "cancellation": (
                {"canceled_by": first, "reason": "conflict", "canceler_type": "invitee"}
                if canceled
                else None
            ),
            "payment": None,
            "no_show": None,
            "reconfirmation": None,
            "scheduling_method": None,
            "invitee_scheduled_by": None,
            "reminders_sent": i % 4,
            "amount_paid": round(rng.random() * 100, 2),
        }


def singer_lines(
    count: int, seed: int = 7, *, state_every: int = 10_000, key_space: int | None = None
) -> Iterator[bytes]:
    """A whole Singer stream: SCHEMA, RECORDs, a STATE every ``state_every`` records, and last."""
    schema = {
        "type": "SCHEMA",
        "stream": STREAM,
        "schema": INVITEE_SCHEMA,
        "key_properties": ["uri"],
    }
    yield orjson.dumps(schema) + b"\n"
    extracted = "2026-02-01T00:00:00.000000Z"
    n = 0
    for n, record in enumerate(invitee_records(count, seed, key_space=key_space), start=1):
        message = {
            "type": "RECORD",
            "stream": STREAM,
            "record": record,
            "time_extracted": extracted,
        }
        yield orjson.dumps(message) + b"\n"
        if n % state_every == 0:
            yield (
                orjson.dumps({"type": "STATE", "value": {"bookmarks": {STREAM: {"n": n}}}}) + b"\n"
            )
    if n % state_every:
        yield orjson.dumps({"type": "STATE", "value": {"bookmarks": {STREAM: {"n": n}}}}) + b"\n"


def write_singer_file(path: Path, count: int, seed: int = 7, **kwargs: Any) -> int:
    """Write :func:`singer_lines` to ``path``; return bytes written."""
    size = 0
    with path.open("wb") as out:
        for line in singer_lines(count, seed, **kwargs):
            out.write(line)
            size += len(line)
    return size


def write_records_ndjson(path: Path, count: int, seed: int = 7) -> int:
    """The same records as plain NDJSON (one record per line), for DuckDB's own reader."""
    size = 0
    with path.open("wb") as out:
        for record in invitee_records(count, seed):
            line = orjson.dumps(record) + b"\n"
            out.write(line)
            size += len(line)
    return size
