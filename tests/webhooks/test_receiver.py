"""The receiver over HTTP: every rejection stores nothing; 2xx means durably stored;
retries collapse; distinct changes of one invitee stay distinct."""

from __future__ import annotations

import socket
import time

import orjson
import pytest
import requests

from tap_calendly.webhooks.journal import Journal
from tap_calendly.webhooks.signature import HEADER, sign
from tests.webhooks.helpers import envelope, invitee_payload, signed_headers

GOOD = envelope("invitee.created", invitee_payload())


def assert_rejected(response, status, reason, receiver):
    assert response.status_code == status, response.text
    assert response.json()["error"] == reason
    assert receiver.stored() == 0


def test_a_signed_delivery_is_stored_and_acknowledged(receiver):
    response = receiver.deliver(GOOD)
    assert response.status_code == 200
    assert response.json() == {"status": "stored"}
    with Journal(receiver.journal) as journal:
        (item,) = journal.pending(10)
    assert item.event == "invitee.created"
    assert item.body == GOOD


def test_missing_signature(receiver):
    assert_rejected(receiver.post(GOOD), 401, "missing_signature", receiver)


def test_wrong_signature_or_key(receiver):
    wrong_key = signed_headers(GOOD, key="not-the-key", at=receiver.clock())
    assert_rejected(receiver.post(GOOD, wrong_key), 401, "bad_signature", receiver)
    tampered = GOOD.replace(b"active", b"canceled")
    headers = signed_headers(GOOD, at=receiver.clock())
    assert_rejected(receiver.post(tampered, headers), 401, "bad_signature", receiver)


def test_malformed_signature_header(receiver):
    response = receiver.post(GOOD, {HEADER: "t=now,v1=zz"})
    assert_rejected(response, 401, "malformed_signature", receiver)


def test_stale_and_future_timestamps(receiver):
    stale = signed_headers(GOOD, at=receiver.clock() - 181)
    assert_rejected(receiver.post(GOOD, stale), 401, "stale_timestamp", receiver)
    future = signed_headers(GOOD, at=receiver.clock() + 181)
    assert_rejected(receiver.post(GOOD, future), 401, "future_timestamp", receiver)


def test_replay_after_the_tolerance_is_refused(receiver):
    headers = signed_headers(GOOD, at=receiver.clock())
    assert receiver.post(GOOD, headers).status_code == 200
    receiver.clock.now += 600
    response = receiver.post(GOOD, headers)
    assert response.status_code == 401
    assert response.json()["error"] == "stale_timestamp"
    assert receiver.stored() == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json at all", "not_json"),
        (b'["a", "list"]', "not_a_calendly_event"),
        (b'{"event": "invitee.created"}', "not_a_calendly_event"),
        (envelope("Invitee Created", invitee_payload()), "not_a_calendly_event"),
        (
            orjson.dumps({"event": "invitee.created", "created_at": "yesterday", "payload": {}}),
            "not_a_calendly_event",
        ),
        (
            orjson.dumps(
                {"event": "invitee.created", "created_at": "2026-03-02T09:00:00Z", "payload": 7}
            ),
            "not_a_calendly_event",
        ),
        (
            envelope("invitee.created", {"updated_at": "2026-03-02T09:00:00Z"}),
            "not_a_calendly_event",
        ),
        (envelope("invitee.canceled", {"uri": "https://x/i/1"}), "not_a_calendly_event"),
        (
            envelope("routing_form_submission.created", {"uri": "https://x/s/1", "updated_at": 5}),
            "not_a_calendly_event",
        ),
    ],
)
def test_bodies_that_are_not_calendly_events(receiver, body, reason):
    assert_rejected(receiver.deliver(body), 400, reason, receiver)


def test_body_over_the_size_limit(receiver):
    big = envelope("invitee.created", invitee_payload(name="x" * 9000))
    assert_rejected(receiver.deliver(big), 413, "too_large", receiver)


def test_chunked_body_over_the_limit_without_content_length(receiver):
    big = envelope("invitee.created", invitee_payload(name="x" * 9000))
    headers = signed_headers(big, at=receiver.clock())

    def chunks():
        for start in range(0, len(big), 1000):
            yield big[start : start + 1000]

    response = requests.post(receiver.url, data=chunks(), headers=headers, timeout=10)
    assert_rejected(response, 413, "too_large", receiver)


def test_lying_content_length_is_refused(receiver):
    """A header claiming a huge body is refused before any of it is read."""
    host, port = receiver.server.host, receiver.server.port
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(b"POST /calendly HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n{}")
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")
    assert receiver.stored() == 0


def test_other_paths_and_methods(receiver):
    base = receiver.url.rsplit("/", 1)[0]
    assert requests.post(base + "/elsewhere", data=GOOD, timeout=5).status_code == 404
    response = requests.get(receiver.url, timeout=5)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert receiver.stored() == 0


def test_a_retried_delivery_is_stored_once(receiver):
    first = receiver.deliver(GOOD)
    receiver.clock.now += 60  # Calendly retries later, signing again
    again = receiver.deliver(GOOD)
    assert first.json() == {"status": "stored"}
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate"}
    # the same content re-serialized (other key order, spaces) is the same delivery
    reordered = orjson.loads(GOOD)
    reordered = {k: reordered[k] for k in reversed(list(reordered))}
    text = orjson.dumps(reordered).replace(b",", b", ")
    assert receiver.deliver(text).json() == {"status": "duplicate"}
    assert receiver.stored() == 1


def test_canceled_and_created_for_one_invitee_are_two_deliveries(receiver):
    uri = "https://api.calendly.com/scheduled_events/E/invitees/SAME"
    stamp = "2026-03-02T10:00:00.000000Z"
    created = envelope("invitee.created", invitee_payload(uri, updated_at=stamp), stamp)
    canceled = envelope(
        "invitee.canceled", invitee_payload(uri, status="canceled", updated_at=stamp), stamp
    )
    no_show = envelope("invitee_no_show.created", invitee_payload(uri, updated_at=stamp), stamp)
    for body in (created, canceled, no_show, canceled):
        assert receiver.deliver(body).status_code == 200
    assert receiver.stored() == 3


def test_other_well_formed_events_are_kept(receiver):
    body = envelope("event_type.updated", {"uri": "https://api.calendly.com/event_types/ET"})
    assert receiver.deliver(body).json() == {"status": "stored"}


def test_health_counts_outcomes(receiver):
    receiver.deliver(GOOD)
    receiver.deliver(GOOD)
    receiver.post(GOOD)
    base = receiver.url.rsplit("/", 1)[0]
    health = requests.get(base + "/healthz", timeout=5).json()
    commits = health.pop("journal_commits")
    assert commits["commits"] == 2  # the duplicate was a commit too (that stored nothing)
    assert 0 < commits["p50_ms"] <= commits["p99_ms"] <= commits["max_ms"]
    assert health == {
        "status": "ok",
        "stored": 1,
        "duplicates": 1,
        "rejected": {"missing_signature": 1},
    }


def test_journal_failure_answers_503_so_calendly_retries(receiver, monkeypatch):
    def broken(deliveries, received_at):
        raise OSError("disk full")

    monkeypatch.setattr(receiver.server.app.writer.journal, "append", broken)
    response = receiver.deliver(GOOD)
    assert response.status_code == 503
    monkeypatch.undo()
    assert receiver.deliver(GOOD).json() == {"status": "stored"}


def test_many_concurrent_deliveries_all_stored_once(receiver):
    from concurrent.futures import ThreadPoolExecutor

    bodies = [
        envelope("invitee.created", invitee_payload(f"https://api.calendly.com/i/{n}"))
        for n in range(200)
    ]
    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(lambda b: receiver.deliver(b).status_code, bodies + bodies[:50]))
    assert codes == [200] * 250
    assert receiver.stored() == 200


def test_key_given_twice_accepts_both(journal_dir):
    from tests.webhooks.helpers import Clock, start_receiver

    server = start_receiver(journal_dir, Clock(), signing_keys=("old", "new"))
    try:
        for key in ("old", "new"):
            body = envelope("invitee.created", invitee_payload(f"https://x/i/{key}"))
            headers = {HEADER: sign(key, int(time.time()), body)}
            assert requests.post(server.url, data=body, headers=headers, timeout=5).ok
    finally:
        server.stop()
