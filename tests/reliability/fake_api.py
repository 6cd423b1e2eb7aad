"""A tiny loopback HTTP server that answers from a script: the hostile responses.

Each route is a path mapped to a list of replies, served in order (the last one
repeats). Every request is recorded (method, path, query, headers) so a test can
prove which host a token was, or was not, sent to.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; str/bytes -> as is
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode() if self.body is not None else b""


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


Route = list[Reply] | Callable[[Seen], Reply]


class FakeAPI:
    """Serve ``routes`` on 127.0.0.1 until :meth:`stop`; unknown paths answer 404."""

    def __init__(self, routes: dict[str, Route] | None = None) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.seen: list[Seen] = []
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _answer(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    dict(self.headers.items()),
                    self.rfile.read(length) if length else b"",
                )
                reply = fake.reply_for(seen)
                data = reply.payload()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def reply_for(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            route = self.routes.get(seen.path)
            if route is None:
                return Reply(404, {"title": "Resource Not Found", "message": "no such path"})
            if callable(route):
                return route(seen)
            index = self._served.get(seen.path, 0)
            self._served[seen.path] = index + 1
            return route[min(index, len(route) - 1)]

    def start(self) -> FakeAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def requests_to(self, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path == path]


def me_routes(base: str) -> dict[str, Route]:
    """``/users/me`` for an admin of one organization (enough for org-scoped lists)."""
    return {
        "/users/me": [
            Reply(
                body={
                    "resource": {
                        "uri": f"{base}/users/U1",
                        "name": "Fake Owner",
                        "current_organization": f"{base}/organizations/O1",
                    }
                }
            )
        ]
    }


def group(base: str, n: int) -> dict[str, Any]:
    return {"uri": f"{base}/groups/G{n}", "name": f"Group {n}", "organization": f"{base}/o"}


def page(rows: list[dict[str, Any]], token: str | None, next_page: str | None = None) -> Reply:
    return Reply(
        body={
            "collection": rows,
            "pagination": {
                "count": len(rows),
                "next_page": next_page,
                "next_page_token": token,
                "previous_page": None,
                "previous_page_token": None,
            },
        }
    )
