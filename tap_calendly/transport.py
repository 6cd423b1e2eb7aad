"""Sending one Calendly request: rate limit, auth, retries, error classes, JSON.

Every stream and every fan-out thread sends through one ``Transport`` (one
``requests.Session`` whose connection pool is sized for ``max_concurrency``, one
``RateLimiter``, one token provider), so the budget is per token, not per stream.

Retry policy, by failure:
- 429: wait for the window the server reported (the limiter does it), then resend;
  these retries are bounded separately because waiting them out is always correct.
- 5xx, connection errors, timeouts, truncated bodies (short reads or JSON that does
  not parse): exponential backoff with jitter, at most ``max_retries`` retries.
- 401: one token refresh (OAuth), then a fatal one-line error.
- 403 / 404: typed errors for the caller (gated stream / vanished parent).
- Other 4xx: fatal, with Calendly's ``title``/``message`` and the path.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
from requests.adapters import HTTPAdapter

from tap_calendly.auth import TokenProvider
from tap_calendly.errors import AccessDenied, CalendlyAPIError, CalendlyUserError, NotFound
from tap_calendly.ratelimit import RateLimiter

logger = logging.getLogger("tap-calendly.http")

_PAYLOADS: weakref.WeakKeyDictionary[requests.Response, Any] = weakref.WeakKeyDictionary()

#: Consecutive 429s tolerated for one request before giving up.
MAX_THROTTLE_RETRIES = 20

_NETWORK_ERRORS: tuple[type[Exception], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    ConnectionResetError,
)


class _Truncated(Exception):
    """A 2xx body that is not complete JSON."""


_RETRIABLE: tuple[type[Exception], ...] = (*_NETWORK_ERRORS, _Truncated)


def payload(response: requests.Response) -> Any:
    """The decoded JSON body (decoded once, cached per response)."""
    try:
        return _PAYLOADS[response]
    except KeyError:
        value = orjson.loads(response.content)
        _PAYLOADS[response] = value
        return value


def error_fields(response: requests.Response) -> tuple[str, str]:
    """Calendly's ``title`` and ``message`` (plus details) from an error body."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.reason or "", ""
    if not isinstance(body, dict):
        return response.reason or "", ""
    title = str(body.get("title") or response.reason or "")
    message = str(body.get("message") or "")
    details = body.get("details")
    if isinstance(details, list):
        extra = "; ".join(
            f"{d.get('parameter')}: {d.get('message')}"
            if d.get("parameter")
            else str(d.get("message"))
            for d in details
            if isinstance(d, dict)
        )
        if extra:
            message = f"{message} [{extra}]" if message else extra
    return title, message


class Transport:
    """Shared HTTP machinery for all streams of one tap run."""

    def __init__(
        self,
        *,
        api_url: str,
        tokens: TokenProvider,
        limiter: RateLimiter,
        session: requests.Session,
        timeout: float = 30.0,
        max_retries: int = 5,
        user_agent: str = "tap-calendly",
        sleep: Callable[[float], None] = time.sleep,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.tokens = tokens
        self.limiter = limiter
        self.session = session
        self.timeout = timeout
        self.max_retries = max_retries
        self.user_agent = user_agent
        #: Backoff sleep (public so tests can make it instant).
        self.sleep = sleep
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._lock = threading.Lock()
        self.requests_by_stream: Counter[str] = Counter()
        self.retries_by_stream: Counter[str] = Counter()
        self.first_server_date: datetime | None = None
        self.last_server_date: datetime | None = None
        self._last_date_header = ""
        self._rng = random.Random()

    @staticmethod
    def build_session(pool_size: int) -> requests.Session:
        """One session whose pool holds a connection per concurrent worker."""
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(pool_size, 1) + 2, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    # -- helpers ---------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        base: float = min(self._backoff_cap, self._backoff_base * (2 ** (attempt - 1)))
        return base * (0.5 + self._rng.random() / 2)

    def _note_date(self, response: requests.Response) -> None:
        """Track the server's clock (``Date``): windows must not start in its past."""
        raw = response.headers.get("Date")
        if not raw or raw == self._last_date_header:
            return
        try:
            parsed = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        parsed = parsed.astimezone(UTC)
        with self._lock:
            self._last_date_header = raw
            if self.first_server_date is None:
                self.first_server_date = parsed
            if self.last_server_date is None or parsed > self.last_server_date:
                self.last_server_date = parsed

    def total_requests(self) -> int:
        with self._lock:
            return sum(self.requests_by_stream.values())

    # -- the one entry point ---------------------------------------------------------

    def send(self, request: requests.PreparedRequest, *, stream: str) -> requests.Response:
        """Send ``request`` until it succeeds or fails for good; return the response.

        The response's JSON body is decoded and verified before returning (see
        :func:`payload`), so a truncated body is retried like a network error.
        """
        where = f"{request.method} {urlsplit(request.url or '').path}"
        failures = 0
        throttles = 0
        refreshed = False
        request.headers.setdefault("User-Agent", self.user_agent)
        request.headers.setdefault("Accept", "application/json")
        while True:
            token = self.tokens.token()
            request.headers["Authorization"] = f"Bearer {token}"
            self.limiter.acquire()
            response: requests.Response | None = None
            try:
                response = self.session.send(request, timeout=self.timeout, allow_redirects=False)
                status = response.status_code
                if 200 <= status < 300 and status != 204:
                    try:
                        _PAYLOADS[response] = orjson.loads(response.content)
                    except orjson.JSONDecodeError as exc:
                        raise _Truncated(str(exc)) from None
            except _RETRIABLE as exc:
                self.limiter.release(response.headers if response is not None else None)
                with self._lock:
                    self.requests_by_stream[stream] += 1
                    self.retries_by_stream[stream] += 1
                failures += 1
                if failures > self.max_retries:
                    if isinstance(exc, _Truncated):
                        raise CalendlyUserError(
                            f"Calendly kept returning incomplete responses ({where})"
                        ) from None
                    raise CalendlyUserError(
                        f"cannot reach {self.api_url} ({type(exc).__name__}) after "
                        f"{failures} attempts ({where})"
                    ) from None
                wait = self._backoff(failures)
                logger.warning(
                    "%s: %s, retry %d/%d in %.1fs",
                    where,
                    type(exc).__name__,
                    failures,
                    self.max_retries,
                    wait,
                )
                self.sleep(wait)
                continue
            self.limiter.release(response.headers, response.status_code)
            with self._lock:
                self.requests_by_stream[stream] += 1
            self._note_date(response)
            if status < 300:
                return response
            if status == 429:
                throttles += 1
                with self._lock:
                    self.retries_by_stream[stream] += 1
                if throttles > MAX_THROTTLE_RETRIES:
                    raise CalendlyUserError(
                        f"rate limited by Calendly {throttles} times in a row ({where})"
                    )
                logger.info("%s: 429, waiting for the rate-limit window to reset", where)
                continue  # the limiter now blocks until the reported reset
            if status >= 500:
                failures += 1
                with self._lock:
                    self.retries_by_stream[stream] += 1
                if failures > self.max_retries:
                    title, message = error_fields(response)
                    raise CalendlyAPIError(status, title, message, where)
                wait = self._backoff(failures)
                logger.warning(
                    "%s: HTTP %d, retry %d/%d in %.1fs",
                    where,
                    status,
                    failures,
                    self.max_retries,
                    wait,
                )
                self.sleep(wait)
                continue
            if status == 401:
                if not refreshed and self.tokens.refresh(token):
                    refreshed = True
                    continue
                raise CalendlyUserError(
                    "Calendly rejected the token (401 Unauthenticated): check "
                    "personal_access_token or the OAuth settings"
                )
            title, message = error_fields(response)
            if status == 403:
                raise AccessDenied(status, title, message, where)
            if status == 404:
                raise NotFound(status, title, message, where)
            raise CalendlyAPIError(status, title, message, where)
