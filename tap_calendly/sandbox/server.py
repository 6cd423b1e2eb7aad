"""The sandbox's HTTP layer: a threaded HTTP/1.1 keep-alive server on loopback.

Per API request, in order: count it (by method + path template), sleep the configured
latency, maybe inject a fault, authenticate the bearer token (401), apply the per-token rate
limit (429, ``X-RateLimit-*`` on every answer), then run the route's handler. Each
response is written with a single ``sendall`` (headers and body together), which keeps
keep-alive connections free of Nagle/delayed-ACK stalls. ``/_sandbox/*`` control endpoints
and ``/oauth/*`` skip auth, limits and faults.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import random
import socket
import struct
import threading
import time
from collections import Counter
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode, urlsplit

import orjson

from tap_calendly.sandbox.api_context import Api, ApiRequest, ApiResponse
from tap_calendly.sandbox.api_errors import ApiError, not_found, rate_limited, server_error
from tap_calendly.sandbox.auth_tokens import OAuthError, TokenStore
from tap_calendly.sandbox.faults import FaultInjector
from tap_calendly.sandbox.http_routes import match
from tap_calendly.sandbox.rate_limit import RateLimiter

log = logging.getLogger(__name__)


class Control(Protocol):
    """What the ``/_sandbox/*`` endpoints call (implemented by the runner's Sandbox)."""

    def info(self) -> dict[str, Any]: ...
    def advance_from_body(self, body: dict[str, Any]) -> dict[str, Any]: ...
    def stats(self) -> dict[str, Any]: ...
    def reset_counts(self) -> None: ...
    def ground_truth(self) -> dict[str, list[dict[str, Any]]]: ...
    def configure(self, **changes: Any) -> dict[str, Any]: ...


class SandboxApp:
    """Everything a request needs; the runner owns it and swaps its parts at run time."""

    def __init__(
        self,
        api: Api,
        tokens: TokenStore,
        limiter: RateLimiter,
        faults: FaultInjector,
        *,
        latency_ms: float = 0.0,
        jitter_ms: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.api = api
        self.tokens = tokens
        self.limiter = limiter
        self.faults = faults
        self.latency_ms = latency_ms
        self.jitter_ms = jitter_ms
        self.control: Control | None = None
        self._rng = random.Random(seed)
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def request_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    def delay(self) -> None:
        if self.latency_ms <= 0 and self.jitter_ms <= 0:
            return
        with self._lock:
            jitter = self._rng.uniform(0, self.jitter_ms) if self.jitter_ms > 0 else 0.0
        time.sleep(max(0.0, self.latency_ms + jitter) / 1000.0)

    def http_date(self) -> str:
        return formatdate(self.api.org.now().timestamp(), usegmt=True)


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], app: SandboxApp) -> None:
        self.app = app
        super().__init__(address, SandboxRequestHandler)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class SandboxRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CalendlySandbox/1.0"
    server: SandboxHTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def date_time_string(self, timestamp: float | None = None) -> str:
        return self.server.app.http_date()

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    # -- plumbing -------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(
        self,
        status: int,
        body: bytes | None,
        headers: dict[str, str] | None = None,
        *,
        truncate: bool = False,
    ) -> None:
        payload = body or b""
        lines = [
            f"HTTP/1.1 {status} {_reason(status)}",
            f"Date: {self.server.app.http_date()}",
            f"Server: {self.server_version}",
        ]
        if body is not None:
            lines.append("Content-Type: application/json; charset=utf-8")
        lines.append(f"Content-Length: {len(payload)}")
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        if self.close_connection or truncate:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if truncate:
            self.wfile.write(head + payload[: len(payload) // 2])
            self.close_connection = True
            return
        self.wfile.write(head + payload)

    def _send_error(self, error: ApiError, headers: dict[str, str] | None = None) -> None:
        self._send(error.status, orjson.dumps(error.body()), {**(headers or {}), **error.headers})

    def _drop(self, *, reset: bool) -> None:
        """Close the socket without answering (``reset``: with an RST)."""
        self.close_connection = True
        if reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        self.connection.close()

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        body = self._read_body()
        try:
            if path.startswith("/_sandbox/"):
                self._control(method, path, body)
            elif path.startswith("/oauth/"):
                self._oauth(method, path, parts.query, body)
            else:
                self._api(method, path, parts.query, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            log.exception("sandbox handler failed for %s %s", method, path)
            self._send_error(server_error(500))

    def _api(self, method: str, path: str, query: str, body: bytes) -> None:
        app = self.server.app
        route, args, path_known = match(method, path)
        key = route.key if route else f"{method} (unmatched)"
        app.count(key)
        app.delay()
        fault = app.faults.decide(key)
        if fault in ("reset", "stall"):
            if fault == "stall":
                time.sleep(app.faults.config.stall_seconds)
            self._drop(reset=fault == "reset")
            return
        if fault == "429":
            limit = str(app.limiter.limit)
            self._send_error(
                rate_limited(),
                {
                    "X-RateLimit-Limit": limit,
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": "60",
                },
            )
            return
        if fault in ("500", "502", "503"):
            self._send_error(server_error(int(fault)))
            return
        rate_headers: dict[str, str] = {}
        try:
            try:
                token, principal = app.tokens.authenticate(self.headers.get("Authorization"))
            except ApiError:
                rate_headers = app.limiter.hit(f"anonymous:{self.client_address[0]}").headers()
                raise
            decision = app.limiter.hit(token)
            rate_headers = decision.headers()
            if not decision.allowed:
                raise rate_limited()
            if route is None:
                raise (
                    ApiError(405, "Method Not Allowed", f"{method} is not supported here.")
                    if path_known
                    else not_found()
                )
            request = ApiRequest(
                method=method,
                path=path,
                params=parse_qs(query, keep_blank_values=True),
                body=body,
                principal=principal,
                path_args=args,
            )
            response: ApiResponse = route.handler(app.api, request)
        except ApiError as error:
            self._send_error(error, rate_headers)
            return
        self._send(
            response.status,
            response.body,
            {**rate_headers, **response.headers},
            truncate=fault == "truncate",
        )

    def _control(self, method: str, path: str, body: bytes) -> None:
        control = self.server.app.control
        if control is None:
            self._send_error(not_found())
            return
        data: dict[str, Any] = orjson.loads(body) if body.strip() else {}
        result: Any
        if method == "GET" and path == "/_sandbox/info":
            result = control.info()
        elif method == "POST" and path == "/_sandbox/advance":
            result = control.advance_from_body(data)
        elif method == "GET" and path == "/_sandbox/stats":
            result = control.stats()
        elif method == "POST" and path == "/_sandbox/stats/reset":
            control.reset_counts()
            result = {"ok": True}
        elif method == "GET" and path == "/_sandbox/ground_truth":
            result = control.ground_truth()
        elif method == "POST" and path == "/_sandbox/config":
            try:
                result = control.configure(**data)
            except (TypeError, ValueError) as exc:
                self._send_error(ApiError(400, "Invalid Argument", str(exc)))
                return
        else:
            self._send_error(not_found())
            return
        self._send(200, orjson.dumps(result))

    def _oauth(self, method: str, path: str, query: str, body: bytes) -> None:
        app = self.server.app
        tokens = app.tokens
        if method == "GET" and path == "/oauth/authorize":
            params = {k: v[0] for k, v in parse_qs(query).items()}
            if params.get("client_id") != tokens.client_id or not params.get("redirect_uri"):
                self._send(400, orjson.dumps({"error": "invalid_request"}))
                return
            code = tokens.issue_code(redirect_uri=params["redirect_uri"])
            answer = {"code": code, **({"state": params["state"]} if "state" in params else {})}
            self._send(302, None, {"Location": f"{params['redirect_uri']}?{urlencode(answer)}"})
            return
        if method != "POST" or path not in ("/oauth/token", "/oauth/revoke"):
            self._send_error(not_found())
            return
        app.count(f"POST {path}")
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                decoded = base64.b64decode(auth[6:]).decode()
            except ValueError:
                decoded = ":"
            client_id, _, client_secret = decoded.partition(":")
        try:
            tokens.check_client(client_id, client_secret)
            if path == "/oauth/revoke":
                tokens.revoke(form.get("token", ""))
                self._send(200, orjson.dumps({}))
                return
            result = tokens.grant(form)
        except OAuthError as error:
            self._send(error.status, orjson.dumps(error.body()), {"Cache-Control": "no-store"})
            return
        self._send(200, orjson.dumps(result), {"Cache-Control": "no-store"})
