"""The receiver: a small ASGI application that verifies, journals, then acknowledges.

Order of checks per POST: size (413), signature and its age (401), then the body (400).
A delivery gets 2xx only after the journal commit that holds it is durable; a repeat of a
stored delivery also gets 2xx (Calendly stops retrying) and is not stored again. When
the journal cannot be written the answer is 503, so Calendly retries later.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tap_calendly.webhooks import envelope, signature
from tap_calendly.webhooks.group_commit import GroupWriter
from tap_calendly.webhooks.rejections import Rejected

log = logging.getLogger("calendly.webhooks")

DEFAULT_PATH = "/calendly"
DEFAULT_MAX_BODY = 1024 * 1024
HEALTH_PATH = "/healthz"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True)
class ReceiverConfig:
    """What the receiver accepts. ``clock`` gives unix seconds for the timestamp check."""

    signing_keys: tuple[str, ...]
    path: str = DEFAULT_PATH
    tolerance: float = signature.DEFAULT_TOLERANCE
    max_body: int = DEFAULT_MAX_BODY
    clock: Callable[[], float] = field(default=time.time, repr=False)


@dataclass
class ReceiverStats:
    """Counters since start (served at /healthz; no content, no keys)."""

    stored: int = 0
    duplicates: int = 0
    rejected: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": dict(sorted(self.rejected.items())),
        }


class ReceiverApp:
    """ASGI app; the journal writer starts with it and stops at lifespan shutdown."""

    def __init__(self, config: ReceiverConfig, journal: Path) -> None:
        if not config.signing_keys:
            raise ValueError("the receiver needs a signing key")
        self.config = config
        self.keys = tuple(k.encode() for k in config.signing_keys)
        self.writer = GroupWriter(journal)
        self.stats = ReceiverStats()

    def close(self) -> None:
        self.writer.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            health = {"status": "ok", **self.stats.as_dict()}
            health["journal_commits"] = self.writer.commit_stats()
            await _respond(send, 200, health)
            return
        if path != self.config.path:
            await _respond(send, 404, {"error": "not_found"})
            return
        if method != "POST":
            await _respond(send, 405, {"error": "method_not_allowed"}, allow=b"POST")
            return
        try:
            stored = await self._handle(scope, receive)
        except Rejected as exc:
            self.stats.rejected[exc.reason] += 1
            log.warning("rejected a delivery from %s: %s", _client(scope), exc.message)
            await _respond(send, exc.status, {"error": exc.reason, "message": exc.message})
            return
        except Exception as exc:  # journal trouble: make Calendly retry later
            self.stats.rejected["journal_unavailable"] += 1
            log.error("could not journal a delivery: %s", exc)
            await _respond(send, 503, {"error": "journal_unavailable"})
            return
        if stored:
            self.stats.stored += 1
        else:
            self.stats.duplicates += 1
        await _respond(send, 200, {"status": "stored" if stored else "duplicate"})

    async def _handle(self, scope: Scope, receive: Receive) -> bool:
        headers = dict(scope["headers"])
        limit = self.config.max_body
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            raise Rejected(413, "too_large", f"body over the {limit}-byte limit")
        body = await _read_body(receive, limit)
        header = headers.get(signature.HEADER.lower().encode())
        signature.verify(
            header.decode("latin-1") if header is not None else None,
            body,
            self.keys,
            now=self.config.clock(),
            tolerance=self.config.tolerance,
        )
        delivery = envelope.parse(body)
        return await self.writer.store(delivery)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                # uvicorn has finished the in-flight requests by now: commit and close.
                await asyncio.get_running_loop().run_in_executor(None, self.close)
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Rejected(400, "disconnected", "client went away before the body ended")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise Rejected(413, "too_large", f"body over the {limit}-byte limit")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(send: Send, status: int, body: dict[str, Any], allow: bytes = b"") -> None:
    data = orjson.dumps(body)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    if allow:
        headers.append((b"allow", allow))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "unknown client"
