"""Fields Calendly might add tomorrow, served on demand (``extra_fields``).

A client must not lose a field it has no schema for. With the option on, scheduled events
and invitees carry two fields no spec names: an object with nested values and a scalar,
both derived from the record's UUID (so runs repeat), in every list page, single GET,
webhook payload and the ground truth. The store itself never holds them.
"""

from __future__ import annotations

import zlib

from tap_calendly.sandbox.store import Record

#: Collections whose records gain the fields.
COLLECTIONS: tuple[str, ...] = ("scheduled_events", "event_invitees")
OBJECT_FIELD = "x_future_field"
SCALAR_FIELD = "x_future_score"


def future_fields(record: Record) -> Record:
    """The extra fields for one record (stable per record)."""
    crc = zlib.crc32(str(record.get("uri", "")).rsplit("/", 1)[-1].encode())
    return {
        OBJECT_FIELD: {
            "version": 2,
            "labels": ["beta", "ai-notes"] if crc % 2 else ["beta"],
            "origin": {"channel": ("web", "mobile", "api")[crc % 3], "confidence": crc % 100 / 100},
        },
        SCALAR_FIELD: crc % 1000,
    }


def with_future_fields(collection: str, record: Record) -> Record:
    """``record`` plus the extra fields if its collection gets them (a shallow copy)."""
    if collection not in COLLECTIONS:
        return record
    return {**record, **future_fields(record)}
