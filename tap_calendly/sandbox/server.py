"""The sandbox's HTTP layer: a threaded HTTP/1.1 keep-alive server on loopback.

Per API request, in order: count it (by method + path template) and log it, sleep the
configured latency, maybe inject a fault, authenticate the bearer token (401), apply the
per-token rate limit (429, ``X-RateLimit-*`` on every answer), then run the route's
handler. Each response is written with a single ``sendall`` (headers and body together),
which keeps keep-alive connections free of Nagle/delayed-ACK stalls. ``/_sandbox/*``
control endpoints and ``/oauth/*`` skip auth, limits and faults.

Hostile input ends in a 4xx with a JSON body, never a 500 or a traceback: bodies are
capped at :data:`MAX_BODY_BYTES`, control bodies are checked by :mod:`control`, the
OAuth endpoints always authenticate the client, and no response header is built from
a value the request supplied without checking it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import logging
import random
import socket
import struct
import sys
import threading
import time
from collections import Counter, deque
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode, urlsplit

import orjson

from tap_calendly.sandbox.api_context import Api, ApiRequest, ApiResponse
from tap_calendly.sandbox.api_errors import (
    ApiError,
    invalid_argument,
    not_found,
    rate_limited,
    server_error,
)
from tap_calendly.sandbox.auth_tokens import OAuthError, TokenStore
from tap_calendly.sandbox.control import SettingError
from tap_calendly.sandbox.faults import FaultInjector
from tap_calendly.sandbox.http_routes import match
from tap_calendly.sandbox.rate_limit import RateLimiter

log = logging.getLogger(__name__)

#: Largest request body accepted (413 above it); Calendly's bodies are a few KB.
MAX_BODY_BYTES = 1 << 20
#: Requests kept in the request log (the oldest are dropped, and counted, beyond it).
REQUEST_LOG_LIMIT = 200_000
_MAX_REDIRECT_URI = 2048
#: An oversized body up to this size is read and dropped before the 413 (larger: closed).
_DRAIN_BYTES = 16 << 20


class BadRequest(Exception):
    """A request the server refuses before any handler runs (size, framing, JSON)."""

    def __init__(self, status: int, message: str, parameter: str = "body") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.parameter = parameter


def fingerprint(token: str) -> str:
    """A short, one-way stand-in for a token in logs (never the token itself)."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:12]


def _header_safe(text: str) -> bool:
    return all(32 <= ord(c) < 127 or c == "\t" for c in text)


class Control(Protocol):
    """What the ``/_sandbox/*`` endpoints call (implemented by the runner's Sandbox)."""

    def info(self) -> dict[str, Any]: ...
    def advance_from_body(self, body: Any) -> dict[str, Any]: ...
    def stats(self) -> dict[str, Any]: ...
    def reset_counts(self) -> None: ...
    def ground_truth(self) -> dict[str, list[dict[str, Any]]]: ...
    def configure(self, **changes: Any) -> dict[str, Any]: ...
    def request_log_body(self) -> dict[str, Any]: ...


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
        self._log: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_LIMIT)
        self._logged = 0
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
            self._log.clear()
            self._logged = 0

    # -- the request log (rate-limit honesty checks read it) -----------------------------
    def log_request(
        self, method: str, path: str, endpoint: str, authorization: str | None
    ) -> dict[str, Any]:
        """Open the log entry of an API request as it is counted against the limit.

        ``t`` is the rate-limit clock (monotonic seconds, or the test's fake clock) and
        ``now`` the simulated time; ``token`` is a fingerprint of the bearer token, never
        the token. The status and rate-limit headers are filled in when it is answered.
        """
        token = None
        if authorization and authorization.startswith("Bearer "):
            token = fingerprint(authorization[len("Bearer ") :].strip())
        entry: dict[str, Any] = {
            "seq": 0,
            "t": self.limiter.clock(),
            "now": self.api.org.now_ts(),
            "token": token,
            "method": method,
            "path": path,
            "endpoint": endpoint,
            "status": None,
            "rate_limit_remaining": None,
            "rate_limit_reset": None,
            "fault": None,
        }
        with self._lock:
            self._logged += 1
            entry["seq"] = self._logged
            self._log.append(entry)
        return entry

    def close_request(
        self, entry: dict[str, Any], status: int | None, headers: dict[str, str], fault: str | None
    ) -> None:
        remaining, reset = headers.get("X-RateLimit-Remaining"), headers.get("X-RateLimit-Reset")
        with self._lock:
            entry["status"] = status
            entry["rate_limit_remaining"] = None if remaining is None else int(remaining)
            entry["rate_limit_reset"] = None if reset is None else int(reset)
            entry["fault"] = fault

    def request_log(self) -> list[dict[str, Any]]:
        """Logged API requests since the last reset, in arrival order (copies)."""
        with self._lock:
            return [dict(entry) for entry in self._log]

    def requests_dropped(self) -> int:
        with self._lock:
            return self._logged - len(self._log)

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

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that vanished mid-answer is one log line, not a traceback on stderr."""
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            log.debug("client %s went away: %s", client_address[0], type(error).__name__)
            return
        log.exception("sandbox connection handler failed")


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
    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed request lines and headers (stdlib checks) also get a JSON answer."""
        self.close_connection = True
        title = _reason(code)
        body = {"title": title, "message": message or title}
        with contextlib.suppress(OSError):
            self._send(code, orjson.dumps(body))

    def _read_body(self) -> bytes:
        """The request body, or BadRequest for a length that is missing, malformed or
        over :data:`MAX_BODY_BYTES` (the connection then closes: the body is not read)."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise BadRequest(411, "send the body with a Content-Length, not chunked")
        raw = self.headers.get("Content-Length")
        if raw is None or raw.strip() == "":
            return b""
        if not raw.strip().isdigit():
            self.close_connection = True
            raise BadRequest(400, "Content-Length must be a non-negative integer")
        length = int(raw)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            remaining = length if length <= _DRAIN_BYTES else 0
            while remaining > 0:  # read and drop it, so the client gets to see the answer
                chunk = self.rfile.read(min(remaining, 1 << 16))
                if not chunk:
                    break
                remaining -= len(chunk)
            raise BadRequest(413, f"the request body is over {MAX_BODY_BYTES} bytes")
        return self.rfile.read(length) if length else b""

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
            if not (_header_safe(name) and _header_safe(value)):
                # Values reach here only after checks; refuse rather than split a header.
                raise ValueError(f"unsafe response header {name!r}")
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
        oauth = path.startswith("/oauth/")
        try:
            try:
                body = self._read_body()
            except BadRequest as bad:
                if oauth:
                    self._send(bad.status, _oauth_error("invalid_request", bad.message))
                else:
                    self._send_error(ApiError(bad.status, _reason(bad.status), bad.message))
                return
            if path.startswith("/_sandbox/"):
                self._control(method, path, parts.query, body)
            elif oauth:
                self._oauth(method, path, parts.query, body)
            else:
                self._api(method, path, parts.query, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            log.exception("sandbox handler failed for %s %s", method, path)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._send_error(server_error(500))

    def _api(self, method: str, path: str, query: str, body: bytes) -> None:
        app = self.server.app
        route, args, path_known = match(method, path)
        key = route.key if route else f"{method} (unmatched)"
        app.count(key)
        app.delay()
        entry = app.log_request(method, path, key, self.headers.get("Authorization"))
        fault = app.faults.decide(key)
        if fault in ("reset", "stall"):
            app.close_request(entry, None, {}, fault)
            if fault == "stall":
                time.sleep(app.faults.config.stall_seconds)
            self._drop(reset=fault == "reset")
            return
        if fault == "429":
            headers = {
                "X-RateLimit-Limit": str(app.limiter.limit),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": "60",
            }
            app.close_request(entry, 429, headers, fault)
            self._send_error(rate_limited(), headers)
            return
        if fault in ("500", "502", "503"):
            app.close_request(entry, int(fault), {}, fault)
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
            app.close_request(entry, error.status, rate_headers, None)
            self._send_error(error, rate_headers)
            return
        app.close_request(entry, response.status, rate_headers, fault)
        self._send(
            response.status,
            response.body,
            {**rate_headers, **response.headers},
            truncate=fault == "truncate",
        )

    # -- /_sandbox/* ------------------------------------------------------------------------
    def _control(self, method: str, path: str, query: str, body: bytes) -> None:
        control = self.server.app.control
        if control is None:
            self._send_error(not_found())
            return
        routes: dict[str, tuple[str, Any]] = {
            "/_sandbox/info": ("GET", control.info),
            "/_sandbox/stats": ("GET", control.stats),
            "/_sandbox/ground_truth": ("GET", control.ground_truth),
            "/_sandbox/requests": ("GET", control.request_log_body),
            "/_sandbox/stats/reset": ("POST", control.reset_counts),
            "/_sandbox/advance": ("POST", lambda: control.advance_from_body(_json(body))),
            "/_sandbox/config": ("POST", lambda: _configure(control, _json(body))),
        }
        if path not in routes:
            self._send_error(not_found())
            return
        allowed, action = routes[path]
        if method != allowed:
            error = ApiError(405, "Method Not Allowed", f"use {allowed} {path}")
            self._send_error(error, {"Allow": allowed})
            return
        try:
            result = action()
        except SettingError as exc:
            self._send_error(invalid_argument(exc.name, exc.message))
            return
        self._send(200, orjson.dumps({"ok": True} if result is None else result))

    # -- /oauth/* -----------------------------------------------------------------------------
    def _oauth(self, method: str, path: str, query: str, body: bytes) -> None:
        app = self.server.app
        tokens = app.tokens
        if method == "GET" and path == "/oauth/authorize":
            self._authorize(tokens, query)
            return
        if method != "POST" or path not in ("/oauth/token", "/oauth/revoke"):
            self._send_error(not_found())
            return
        app.count(f"POST {path}")
        no_store = {"Cache-Control": "no-store"}
        try:
            form = _form(body)
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                client_id, client_secret = _basic_credentials(auth[len("Basic ") :])
            tokens.check_client(client_id, client_secret)
            if path == "/oauth/revoke":
                tokens.revoke(form.get("token", ""))
                self._send(200, orjson.dumps({}), no_store)
                return
            result = tokens.grant(form)
        except OAuthError as error:
            self._send(error.status, orjson.dumps(error.body()), no_store)
            return
        self._send(200, orjson.dumps(result), no_store)

    def _authorize(self, tokens: TokenStore, query: str) -> None:
        """The consent step, auto-approved for the owner: redirect with a code."""
        params = {k: v[0] for k, v in parse_qs(query).items()}
        client_id = params.get("client_id") or ""
        if not hmac.compare_digest(client_id.encode(), tokens.client_id.encode()):
            self._send(400, _oauth_error("invalid_client", "unknown client_id"))
            return
        redirect_uri = params.get("redirect_uri") or ""
        target = urlsplit(redirect_uri)
        if (
            target.scheme not in ("http", "https")
            or not target.netloc
            or target.fragment
            or len(redirect_uri) > _MAX_REDIRECT_URI
            or not _header_safe(redirect_uri)
            or " " in redirect_uri
        ):
            self._send(400, _oauth_error("invalid_request", "redirect_uri must be an http(s) URL"))
            return
        code = tokens.issue_code(redirect_uri=redirect_uri)
        answer = {"code": code, **({"state": params["state"]} if "state" in params else {})}
        joiner = "&" if target.query else "?"
        self._send(302, None, {"Location": f"{redirect_uri}{joiner}{urlencode(answer)}"})


def _json(body: bytes) -> Any:
    """A control body: empty means ``{}``; anything else must be JSON."""
    if not body.strip():
        return {}
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise SettingError("body", "is not valid JSON") from exc


def _configure(control: Control, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise SettingError("body", 'must be a JSON object like {"latency_ms": 50}')
    return control.configure(**{str(k): v for k, v in data.items()})


def _oauth_error(error: str, description: str) -> bytes:
    return orjson.dumps({"error": error, "error_description": description})


def _form(body: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` token request (first value per field)."""
    try:
        text = body.decode("utf-8")
        fields = parse_qs(text, max_num_fields=50)
    except (UnicodeDecodeError, ValueError) as exc:
        raise OAuthError(400, "invalid_request", "send a form-encoded UTF-8 body") from exc
    return {k: v[0] for k, v in fields.items()}


def _basic_credentials(encoded: str) -> tuple[str, str]:
    """``client_id:client_secret`` from a Basic header; malformed means no credentials."""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    client_id, _, client_secret = decoded.partition(":")
    return client_id, client_secret
