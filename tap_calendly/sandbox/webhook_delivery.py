"""Signed webhook deliveries from the sandbox to loopback receivers.

Registered as a listener on the org: each ``org.notify(event, payload)`` becomes one POST of
Calendly's envelope ``{event, created_at, created_by, payload}`` per matching ACTIVE
subscription, signed like Calendly (``Calendly-Webhook-Signature: t=..,v1=..``, FACTS.md
section 9). ``created_at`` is the simulated time of the change; ``t`` is the wall-clock
time of each attempt, as Calendly's is the time it sends, so a receiver checks it against
its own clock with its usual tolerance however far the simulated clock is from today.

Delivery, as receivers may rely on it:

- The listener only snapshots and queues (no network under the org lock), so a clock
  advance or a write endpoint never waits on a receiver.
- Each subscription has its own sender thread: a slow or failing receiver delays only its
  own deliveries. Within a subscription, first attempts go out in the order the changes
  happened (a reschedule: ``invitee.canceled`` then ``invitee.created``).
- An attempt that gets no 2xx (a status, a refused connection, a timeout after
  ``timeout`` seconds) is retried after each of ``retry_delays`` in turn (wall-clock
  seconds), then given up (``Delivery.delivered`` stays false). A retry may arrive after
  later deliveries of the same subscription; envelopes carry ``created_at`` for ordering.
  Subscriptions are never disabled by failures.
- Only loopback callback URLs (127.0.0.0/8, ::1, ``localhost``) are posted to; others are
  recorded nowhere and logged once per change at INFO.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import http.client
import ipaddress
import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import orjson

from tap_calendly.sandbox.store import Record, SandboxOrg

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Calendly-Webhook-Signature"

#: Reshapes a payload record as served (e.g. adds future fields); identity by default.
Shape = Callable[[str, Record], Record]


def sign(signing_key: str, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at unix time ``timestamp``."""
    mac = hmac.new(signing_key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Delivery:
    """One envelope on its way to one subscription; ``attempts`` lists HTTP statuses or
    error names, ``delivered`` says whether a 2xx came back."""

    subscription: str
    url: str
    event: str
    body: bytes
    #: Headers of the latest attempt (the signature is made anew for each one).
    headers: dict[str, str]
    attempts: list[str] = field(default_factory=list)
    delivered: bool = False
    signing_key: str | None = field(default=None, repr=False)


class _Lane:
    """The sender thread of one subscription: due deliveries in (due time, arrival) order."""

    def __init__(self, dispatcher: WebhookDispatcher, subscription: str) -> None:
        self.dispatcher = dispatcher
        self._heap: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stopping = False
        self.thread = threading.Thread(
            target=self._run, name=f"sandbox-webhook-{subscription[-8:]}", daemon=True
        )
        self.thread.start()

    def put(self, due: float, delivery: Delivery) -> None:
        with self._wake:
            heapq.heappush(self._heap, (due, next(self._order), delivery))
            self._wake.notify()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()

    def _next(self) -> Delivery | None:
        with self._wake:
            while not self._stopping:
                if self._heap:
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        return heapq.heappop(self._heap)[2]
                    self._wake.wait(wait)
                else:
                    self._wake.wait()
            return None

    def _run(self) -> None:
        while (delivery := self._next()) is not None:
            outcome = self.dispatcher.post(delivery)
            delivery.attempts.append(outcome)
            tries = len(delivery.attempts)
            if outcome.startswith("2"):
                delivery.delivered = True
                self.dispatcher.finished()
            elif tries > len(self.dispatcher.retry_delays):
                log.info("webhook to %s failed %d times; giving up", delivery.url, tries)
                self.dispatcher.finished()
            else:
                self.put(time.monotonic() + self.dispatcher.retry_delays[tries - 1], delivery)


class WebhookDispatcher:
    """Turns org notifications into signed POSTs, one sender thread per subscription."""

    def __init__(
        self,
        org: SandboxOrg,
        *,
        retry_delays: Sequence[float] = (0.5, 1.0, 2.0, 4.0),
        timeout: float = 5.0,
        shape: Shape | None = None,
    ) -> None:
        self.org = org
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.shape: Shape = shape or (lambda _collection, record: record)
        #: Unix seconds for the signature's ``t`` (tests may replace it).
        self.wall_clock: Callable[[], float] = time.time
        self.deliveries: list[Delivery] = []
        self._lanes: dict[str, _Lane] = {}
        self._lock = threading.Lock()
        self._pending = 0
        self._idle = threading.Condition(self._lock)

    def start(self) -> None:
        self.org.listeners.append(self.on_event)

    def stop(self) -> None:
        if self.on_event in self.org.listeners:
            self.org.listeners.remove(self.on_event)
        with self._lock:
            lanes = list(self._lanes.values())
            self._lanes.clear()
        for lane in lanes:
            lane.stop()
        for lane in lanes:
            lane.thread.join(timeout=self.timeout + 1)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery finished (delivered or out of retries)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    # -- producing ------------------------------------------------------------------
    def _covers(self, subscription: Record, event: str, payload: Record) -> bool:
        if subscription.get("state") != "active" or event not in subscription.get("events", ()):
            return False
        scope = subscription.get("scope")
        if scope == "organization":
            return True
        if scope != "user" or event.startswith("routing_form_submission."):
            return False
        event_uri = payload.get("event")
        scheduled = payload.get("scheduled_event")
        if isinstance(scheduled, dict):
            memberships = scheduled.get("event_memberships", [])
        else:
            found = self.org.get("scheduled_events", event_uri) if event_uri else None
            memberships = found.get("event_memberships", []) if found else []
        return any(m.get("user") == subscription.get("user") for m in memberships)

    def _served(self, event: str, payload: Record) -> Record:
        if event.startswith("routing_form_submission."):
            return self.shape("routing_form_submissions", payload)
        served = self.shape("event_invitees", payload)
        scheduled = payload.get("scheduled_event")
        if isinstance(scheduled, dict):
            served = {**served, "scheduled_event": self.shape("scheduled_events", scheduled)}
        return served

    def on_event(self, event: str, payload: Record) -> None:
        """Org listener: snapshot the envelopes now, deliver later (never blocks)."""
        with self.org.lock:
            targets = [
                s
                for s in self.org.records("webhook_subscriptions")
                if self._covers(s, event, payload)
            ]
            if not targets:
                return
            served = self._served(event, payload)
            envelopes = []
            for sub in targets:
                envelope = {
                    "event": event,
                    "created_at": self.org.now_ts(),
                    "created_by": sub.get("creator") or self.org.owner_uri,
                    "payload": served,
                }
                envelopes.append(
                    (sub, orjson.dumps(envelope), self.org.signing_keys.get(sub["uri"]))
                )
        for sub, body, key in envelopes:
            url = sub["callback_url"]
            if not is_loopback(url):
                log.info("webhook to non-loopback %s not delivered", urlsplit(url).hostname)
                continue
            headers = {"Content-Type": "application/json", "User-Agent": "Calendly"}
            delivery = Delivery(sub["uri"], url, event, body, headers, signing_key=key or None)
            with self._lock:
                self.deliveries.append(delivery)
                self._pending += 1
                lane = self._lanes.get(sub["uri"])
                if lane is None:
                    lane = self._lanes[sub["uri"]] = _Lane(self, sub["uri"])
            lane.put(time.monotonic(), delivery)

    # -- delivering -----------------------------------------------------------------
    def post(self, delivery: Delivery) -> str:
        """One attempt: the HTTP status as text, or the name of the network error."""
        if delivery.signing_key:
            stamp = int(self.wall_clock())
            delivery.headers[SIGNATURE_HEADER] = sign(delivery.signing_key, stamp, delivery.body)
        parts = urlsplit(delivery.url)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=self.timeout)
        try:
            path = parts.path or "/"
            if parts.query:
                path += "?" + parts.query
            conn.request("POST", path, body=delivery.body, headers=delivery.headers)
            return str(conn.getresponse().status)
        except (OSError, http.client.HTTPException) as exc:
            return type(exc).__name__
        finally:
            conn.close()

    def finished(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()
