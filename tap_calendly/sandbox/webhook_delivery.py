"""Signed webhook deliveries from the sandbox to loopback receivers.

Registered as a listener on the org: each ``org.notify(event, payload)`` becomes one POST of
Calendly's envelope ``{event, created_at, created_by, payload}`` per matching ACTIVE
subscription, signed like Calendly (``Calendly-Webhook-Signature: t=..,v1=..``, FACTS.md
section 9) with ``t`` from the simulated clock. A background thread delivers and retries
with backoff so the code that changed the data never waits on a receiver.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import orjson

from tap_calendly.sandbox.store import Record, SandboxOrg

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Calendly-Webhook-Signature"


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
    headers: dict[str, str]
    attempts: list[str] = field(default_factory=list)
    delivered: bool = False


class WebhookDispatcher:
    """Turns org notifications into signed POSTs, delivered on one background thread."""

    def __init__(
        self,
        org: SandboxOrg,
        *,
        retry_delays: Sequence[float] = (0.5, 1.0, 2.0, 4.0),
        timeout: float = 5.0,
    ) -> None:
        self.org = org
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.deliveries: list[Delivery] = []
        self._queue: queue.Queue[tuple[float, Delivery] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pending = 0
        self._idle = threading.Condition(self._lock)

    def start(self) -> None:
        self.org.listeners.append(self.on_event)
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self.on_event in self.org.listeners:
            self.org.listeners.remove(self.on_event)
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=5)
            self._thread = None

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

    def on_event(self, event: str, payload: Record) -> None:
        """Org listener: snapshot the envelope now, deliver later."""
        with self.org.lock:
            now = self.org.now()
            targets = [
                s
                for s in self.org.records("webhook_subscriptions")
                if self._covers(s, event, payload)
            ]
            envelopes = []
            for sub in targets:
                envelope = {
                    "event": event,
                    "created_at": self.org.now_ts(),
                    "created_by": sub.get("creator") or self.org.owner_uri,
                    "payload": payload,
                }
                envelopes.append(
                    (sub, orjson.dumps(envelope), self.org.signing_keys.get(sub["uri"]))
                )
        stamp = int(now.timestamp())
        for sub, body, key in envelopes:
            url = sub["callback_url"]
            if not is_loopback(url):
                log.info("webhook to non-loopback %s not delivered", urlsplit(url).hostname)
                continue
            headers = {"Content-Type": "application/json", "User-Agent": "Calendly"}
            if key:
                headers[SIGNATURE_HEADER] = sign(key, stamp, body)
            delivery = Delivery(sub["uri"], url, event, body, headers)
            with self._lock:
                self.deliveries.append(delivery)
                self._pending += 1
            self._queue.put((0.0, delivery))

    # -- delivering -----------------------------------------------------------------
    def _post(self, delivery: Delivery) -> str:
        parts = urlsplit(delivery.url)
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=self.timeout)
        try:
            path = parts.path or "/"
            if parts.query:
                path += "?" + parts.query
            conn.request("POST", path, body=delivery.body, headers=delivery.headers)
            return str(conn.getresponse().status)
        except OSError as exc:
            return type(exc).__name__
        finally:
            conn.close()

    def _run(self) -> None:
        waiting: list[tuple[float, Delivery]] = []
        while True:
            timeout = None
            if waiting:
                timeout = max(0.0, min(t for t, _ in waiting) - time.monotonic())
            try:
                item = self._queue.get(timeout=timeout)
                if item is None:
                    return
                waiting.append(item)
            except queue.Empty:
                pass
            now = time.monotonic()
            due = [w for w in waiting if w[0] <= now]
            waiting = [w for w in waiting if w[0] > now]
            for _, delivery in due:
                outcome = self._post(delivery)
                delivery.attempts.append(outcome)
                if outcome.startswith("2"):
                    delivery.delivered = True
                    self._done()
                    continue
                tries = len(delivery.attempts)
                if tries > len(self.retry_delays):
                    log.info("webhook to %s failed %d times; giving up", delivery.url, tries)
                    self._done()
                    continue
                waiting.append((time.monotonic() + self.retry_delays[tries - 1], delivery))

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()
