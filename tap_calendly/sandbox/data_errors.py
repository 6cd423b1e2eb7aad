"""Errors and small helpers shared by the domain ops (:mod:`ops` and its ``data_`` parts).

``OpError`` carries what the server needs to render Calendly's ``ErrorResponse`` body;
the helpers raise the standard 400/404 shapes so every op words them the same way.
"""

from __future__ import annotations

import random
import re

from tap_calendly.sandbox import data_records as rec
from tap_calendly.sandbox.store import Record, SandboxOrg

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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
        raise invalid("email", "must be filled")
    if not _EMAIL.match(email.strip()):
        raise invalid("email", f"{email} is an invalid email format")
    return email.strip()
