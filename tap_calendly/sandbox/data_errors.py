"""Errors and small helpers shared by the domain ops (:mod:`ops` and its ``data_`` parts).

``OpError`` (the server's :class:`ApiError`) carries what the server needs to render
Calendly's ``ErrorResponse`` body; ops raise the standard 400/404 shapes of
:mod:`api_errors`, so every op and handler words them the same way.
"""

from __future__ import annotations

import random
import re

from tap_calendly.sandbox import data_records as rec
from tap_calendly.sandbox.api_errors import ApiError, invalid_argument, not_found
from tap_calendly.sandbox.store import Record, SandboxOrg

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


#: Ops raise the server's own error (one ErrorResponse shape and wording for ops and
#: handlers); the name says where it comes from.
OpError = ApiError


def get_record(org: SandboxOrg, collection: str, uri: str) -> Record:
    record = org.get(collection, uri)
    if record is None:
        raise not_found()
    return record


def op_rng(org: SandboxOrg, *parts: object) -> random.Random:
    """Randomness for an op called without an rng: a function of seed, now, the org's size
    and ``parts`` (so repeating a call at the same instant still draws new values)."""
    size = sum(len(table) for table in org.collections.values())
    # URIs carry the server's port; strip the base so a seed means one org on any port.
    base = org.base_url.rstrip("/")
    key = "|".join(str(p).replace(base, "") for p in (org.seed, org.now_ts(), size, *parts))
    return random.Random(key)


def fresh_uuid(org: SandboxOrg, rng: random.Random, collection: str) -> str:
    while True:
        uuid = rec.new_uuid(rng)
        if org.uri(collection, uuid) not in org.collections[collection]:
            return uuid


def check_email(email: object) -> str:
    if not isinstance(email, str) or not email.strip():
        raise invalid_argument("email", "must be filled")
    if not _EMAIL.match(email.strip()):
        raise invalid_argument("email", f"{email} is an invalid email format")
    return email.strip()
