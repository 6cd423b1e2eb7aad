"""Calendly's webhook signature: ``Calendly-Webhook-Signature: t=<unix s>,v1=<hex>``.

``v1`` is HMAC-SHA256 over ``"<t>." + raw body`` with the subscription's signing key.
Checking ``t`` against a tolerance keeps a captured delivery from being replayed later;
the compare is constant-time so the answer time leaks nothing about the expected MAC.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from tap_calendly.webhooks.rejections import Rejected

HEADER = "Calendly-Webhook-Signature"
DEFAULT_TOLERANCE = 180.0

#: A header longer than this is not a signature (a fixed bound on work per request).
_MAX_HEADER = 1024


def sign(key: str, timestamp: int, body: bytes) -> str:
    """The header value Calendly sends for ``body`` at unix time ``timestamp``."""
    return f"t={timestamp},v1={_mac(key.encode(), timestamp, body)}"


def _mac(key: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def parse_header(value: str | None) -> tuple[int, list[str]]:
    """``(t, [v1, ...])`` from the header; several ``v1`` entries are allowed (key rotation)."""
    if not value:
        raise Rejected(401, "missing_signature", f"no {HEADER} header")
    if len(value) > _MAX_HEADER:
        raise Rejected(401, "malformed_signature", f"{HEADER} header is too long")
    timestamp: int | None = None
    macs: list[str] = []
    for part in value.split(","):
        name, sep, item = part.strip().partition("=")
        if not sep:
            raise Rejected(401, "malformed_signature", f"{HEADER} header is not t=...,v1=...")
        if name == "t":
            if not item.isdigit() or timestamp is not None:
                raise Rejected(401, "malformed_signature", f"{HEADER} has a bad or repeated t")
            timestamp = int(item)
        elif name == "v1":
            macs.append(item.lower())
    if timestamp is None or not macs:
        raise Rejected(401, "malformed_signature", f"{HEADER} header needs both t and v1")
    return timestamp, macs


def verify(
    header: str | None,
    body: bytes,
    keys: Sequence[bytes],
    *,
    now: float,
    tolerance: float = DEFAULT_TOLERANCE,
) -> int:
    """Check the signature and its age; return ``t`` or raise :class:`Rejected` (401).

    The MAC is checked before the timestamp, so an unsigned caller learns nothing about
    the receiver's clock.
    """
    timestamp, macs = parse_header(header)
    matched = False
    for key in keys:
        expected = _mac(key, timestamp, body)
        for given in macs:
            # compare_digest on equal-length ASCII: constant time in the content
            matched |= hmac.compare_digest(expected.encode(), given.encode())
    if not matched:
        raise Rejected(401, "bad_signature", "signature does not match the signing key")
    if timestamp < now - tolerance:
        raise Rejected(401, "stale_timestamp", f"signature timestamp is older than {tolerance:g} s")
    if timestamp > now + tolerance:
        raise Rejected(
            401, "future_timestamp", f"signature timestamp is more than {tolerance:g} s ahead"
        )
    return timestamp
