"""Webhook deliveries: Calendly's envelope and HMAC signature, scope matching, retries."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tap_calendly.sandbox.future_fields import OBJECT_FIELD
from tap_calendly.sandbox.webhook_delivery import SIGNATURE_HEADER, is_loopback

from .conftest import session_for

KEY = "whsec-test-key"


class Receiver:
    """A loopback webhook endpoint that records what it gets; answers 500 to the first
    ``fail_first`` deliveries of each distinct body; with ``gate``, holds every request
    until the gate is set."""

    def __init__(self, fail_first=0, gate=None):
        self.received = []
        self.fail_first = fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                if gate is not None:
                    gate.wait(30)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers), body))
                seen = sum(1 for _, b in outer.received if b == body)
                status = 500 if seen <= outer.fail_first else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def verify(header, body, key=KEY):
    """What a receiver does: recompute v1 over ``t.body`` and compare in constant time."""
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(key.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


def _subscribe(sb, url, scope="organization", user=None, events=("invitee.canceled",)):
    body = {
        "url": url,
        "events": list(events),
        "organization": sb.org.organization["uri"],
        "scope": scope,
        "signing_key": KEY,
    }
    if user:
        body["user"] = user
    response = session_for(sb.admin_token).post(f"{sb.url}/webhook_subscriptions", json=body)
    assert response.status_code == 201, response.text
    return response.json()["resource"]


def _cancel_future_event(sb, with_user=None, without_user=None):
    now = sb.org.now_ts()
    for event in sorted(sb.org.records("scheduled_events"), key=lambda e: e["start_time"]):
        users = {m["user"] for m in event["event_memberships"]}
        if (
            event["status"] == "active"
            and event["start_time"] > now
            and event["invitees_counter"]["active"] > 0
            and (with_user is None or with_user in users)
            and (without_user is None or without_user not in users)
        ):
            uuid_ = event["uri"].rsplit("/", 1)[-1]
            response = session_for(sb.admin_token).post(
                f"{sb.url}/scheduled_events/{uuid_}/cancellation", json={"reason": "test"}
            )
            assert response.status_code == 201
            return event
    raise AssertionError("no cancellable event")


def test_signed_envelope_verifies_and_tampering_fails(fresh_sandbox, receiver):
    sb = fresh_sandbox
    hook = _subscribe(sb, receiver.url)
    event = _cancel_future_event(sb)
    assert sb.wait_for_webhooks()
    assert receiver.received
    headers, body = receiver.received[0]
    envelope = json.loads(body)
    assert set(envelope) == {"event", "created_at", "created_by", "payload"}
    assert envelope["event"] == "invitee.canceled"
    assert envelope["payload"]["event"] == event["uri"]
    assert envelope["payload"]["status"] == "canceled"
    assert envelope["created_by"] == hook["creator"]
    signature = headers[SIGNATURE_HEADER]
    stamp = int(signature.removeprefix("t=").split(",", 1)[0])
    assert abs(stamp - time.time()) < 60  # the wall clock of the attempt, as Calendly signs
    assert abs(stamp - sb.org.now().timestamp()) > 3600  # not the simulated clock
    assert envelope["created_at"] == sb.org.now_ts()  # the change's simulated time
    assert verify(signature, body)
    assert not verify(signature, body.replace(b"canceled", b"cancelled", 1))
    assert not verify(signature, body, key="another-key")


def test_user_scope_only_gets_that_users_events(fresh_sandbox, receiver):
    sb = fresh_sandbox
    user = sb.org.owner_uri
    _subscribe(sb, receiver.url, scope="user", user=user)
    _cancel_future_event(sb, without_user=user)
    assert sb.wait_for_webhooks()
    assert receiver.received == []
    _cancel_future_event(sb, with_user=user)
    assert sb.wait_for_webhooks()
    assert receiver.received


def test_failed_delivery_is_retried(fresh_sandbox):
    sb = fresh_sandbox
    flaky = Receiver(fail_first=2)
    try:
        _subscribe(sb, flaky.url)
        _cancel_future_event(sb)
        assert sb.wait_for_webhooks()
        deliveries = [d for d in sb.webhook_deliveries() if d.url == flaky.url]
        assert deliveries
        for delivery in deliveries:
            assert delivery.attempts == ["500", "500", "200"]
            assert delivery.delivered
    finally:
        flaky.close()


def test_only_loopback_targets():
    assert is_loopback("http://127.0.0.1:8000/x")
    assert is_loopback("http://localhost/x")
    assert not is_loopback("https://hooks.example.com/x")
    assert not is_loopback("http://10.0.0.1/x")


ALL_EVENTS = (
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
    "routing_form_submission.created",
)


def test_clock_advance_delivers_every_event_kind_signed_and_in_order(fresh_sandbox, receiver):
    """Each change the clock makes reaches a subscription created through the API, once,
    in the order the changes happened, in Calendly's envelope, signed."""
    sb = fresh_sandbox
    hook = _subscribe(sb, receiver.url, events=ALL_EVENTS)
    changes = []
    sb.org.listeners.append(
        lambda event, payload: changes.append((event, payload["uri"], sb.org.now_ts()))
    )
    started = int(time.time())
    sb.advance(timedelta(days=6))
    assert sb.wait_for_webhooks(30)
    got = []
    for headers, body in receiver.received:
        envelope = json.loads(body)
        assert set(envelope) == {"event", "created_at", "created_by", "payload"}
        assert envelope["created_by"] == hook["creator"]
        assert verify(headers[SIGNATURE_HEADER], body)
        stamp = int(headers[SIGNATURE_HEADER].split(",")[0].removeprefix("t="))
        assert started <= stamp <= time.time()  # each attempt signed with the wall clock
        got.append((envelope["event"], envelope["payload"]["uri"], envelope["created_at"]))
    assert got == changes
    assert {event for event, _, _ in got} == set(ALL_EVENTS)
    invitee = next(
        json.loads(b)["payload"] for _, b in receiver.received if b"invitee.created" in b
    )
    assert invitee["scheduled_event"]["uri"] == invitee["event"]
    assert sb.stats()["webhooks"]["failed"] == 0


def test_a_stuck_receiver_does_not_hold_up_other_subscriptions(fresh_sandbox, receiver):
    sb = fresh_sandbox
    gate = threading.Event()
    stuck = Receiver(gate=gate)
    try:
        _subscribe(sb, stuck.url)
        _subscribe(sb, receiver.url)
        _cancel_future_event(sb)
        sb.advance(timedelta(hours=1))  # the clock is not held up either
        for _ in range(200):
            if receiver.received:
                break
            gate.wait(0.05)
        assert receiver.received, "the healthy receiver waited behind the stuck one"
        assert stuck.received == []
        gate.set()
        assert sb.wait_for_webhooks(30)
        assert stuck.received
    finally:
        gate.set()
        stuck.close()


def test_payloads_carry_future_fields_when_switched_on(fresh_sandbox, receiver):
    sb = fresh_sandbox
    _subscribe(sb, receiver.url)
    sb.configure(extra_fields=True)
    _cancel_future_event(sb)
    assert sb.wait_for_webhooks()
    payload = json.loads(receiver.received[0][1])["payload"]
    assert OBJECT_FIELD in payload
    assert OBJECT_FIELD in payload["scheduled_event"]
