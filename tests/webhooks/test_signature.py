"""The signature check on its own: Calendly's t=...,v1=... over "t.body"."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from tap_calendly.sandbox.webhook_delivery import sign as sandbox_sign
from tap_calendly.webhooks.rejections import Rejected
from tap_calendly.webhooks.signature import parse_header, sign, verify

KEY = b"signing-key"
BODY = b'{"event":"invitee.created"}'
NOW = 1_800_000_000


def reason(header, body=BODY, keys=(KEY,), now=NOW, tolerance=180.0):
    with pytest.raises(Rejected) as caught:
        verify(header, body, keys, now=now, tolerance=tolerance)
    assert caught.value.status == 401
    return caught.value.reason


def test_calendlys_recipe_verifies():
    expected = hmac.new(KEY, f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    header = f"t={NOW},v1={expected}"
    assert sign(KEY.decode(), NOW, BODY) == header
    assert verify(header, BODY, [KEY], now=NOW) == NOW


def test_the_sandbox_signs_what_the_receiver_accepts():
    header = sandbox_sign(KEY.decode(), NOW, BODY)
    assert verify(header, BODY, [KEY], now=NOW + 5) == NOW


def test_tampered_body_or_other_key_fails():
    header = sign(KEY.decode(), NOW, BODY)
    assert reason(header, body=BODY.replace(b"created", b"canceled")) == "bad_signature"
    assert reason(header, keys=(b"another-key",)) == "bad_signature"


def test_missing_and_malformed_headers():
    assert reason(None) == "missing_signature"
    assert reason("") == "missing_signature"
    for header in (
        "garbage",
        f"t={NOW}",
        "v1=abc",
        f"t=abc,v1={'0' * 64}",
        f"t={NOW},t={NOW},v1={'0' * 64}",
        "t=1,v1=" + "a" * 2000,
    ):
        assert reason(header) == "malformed_signature", header


def test_timestamp_tolerance_both_ways():
    stale = sign(KEY.decode(), NOW - 181, BODY)
    assert reason(stale) == "stale_timestamp"
    assert verify(sign(KEY.decode(), NOW - 180, BODY), BODY, [KEY], now=NOW) == NOW - 180
    future = sign(KEY.decode(), NOW + 181, BODY)
    assert reason(future) == "future_timestamp"
    assert reason(sign(KEY.decode(), NOW - 30, BODY), tolerance=10) == "stale_timestamp"


def test_a_bad_signature_is_reported_before_the_clock():
    """An unsigned caller must not learn the receiver's clock from the answers."""
    forged = f"t={NOW - 10_000},v1={'0' * 64}"
    assert reason(forged) == "bad_signature"


def test_key_rotation_old_or_new_key_and_several_v1():
    old, new = b"old-key", b"new-key"
    assert verify(sign("old-key", NOW, BODY), BODY, [new, old], now=NOW) == NOW
    both = sign("new-key", NOW, BODY) + "," + sign("old-key", NOW, BODY).split(",")[1]
    timestamp, macs = parse_header(both)
    assert timestamp == NOW
    assert len(macs) == 2
    assert verify(both, BODY, [old], now=NOW) == NOW
