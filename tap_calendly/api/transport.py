"""Sending one Calendly request: rate limit, auth, retries, error classes, JSON.

Every caller (tap streams, fan-out threads, actions, the webhook receiver) sends through
one ``Transport`` (one ``requests.Session`` whose pool is sized for ``max_concurrency``,
one ``RateLimiter``, one token provider), so the budget is per token, not per caller.

Retry rule (:class:`RetryPolicy`), by failure:
- 429: wait for the window the server reported (the limiter does it), then resend, for
  every method: a throttled request was not applied. Bounded by ``MAX_THROTTLE_RETRIES``.
- The connection could not be opened (refused, DNS, connect timeout): resend, for every
  method, since nothing reached the server.
- 5xx, read timeouts, resets after sending, truncated bodies: exponential backoff with
  jitter, at most ``max_retries`` retries, for reads (GET/HEAD) always; for writes only
  when the caller says a repeat is harmless (``unsafe_retries``), because the first try
  may have been applied. A write retried after such a failure that then meets "already
  done" is reported by the client as success (see ``CalendlyClient``).
- 401: one token refresh (OAuth), then :class:`AuthError`.
- Other 4xx: typed errors (403 AccessDenied, 404 NotFound, 409 Conflict, else APIError)
  carrying Calendly's ``title``, ``message`` and ``details``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
from requests.adapters import HTTPAdapter

from tap_calendly.api.auth import TokenProvider
from tap_calendly.api.errors import (
    APIError,
    AuthError,
    NetworkError,
    RateLimited,
    error_class,
    redact,
)
from tap_calendly.api.ratelimit import MAX_RESET_SECONDS, RateLimiter, reset_seconds

logger = logging.getLogger("tap-calendly.http")

_PAYLOADS: weakref.WeakKeyDictionary[requests.Response, Any] = weakref.WeakKeyDictionary()

#: Consecutive 429s tolerated for one request before giving up.
MAX_THROTTLE_RETRIES = 20
#: Methods whose repetition cannot change anything on the server.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

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


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; see the module docstring for the rule."""

    max_retries: int = 5
    #: First delay in seconds; doubled per retry when ``exponential``.
    base_delay: float = 0.5
    max_delay: float = 30.0
    exponential: bool = True
    jitter: bool = True
    #: Also retry 4xx answers other than 401 (the raw command's --retry-on-all-errors).
    retry_all_errors: bool = False
    #: Retry writes after failures that may have been applied (harmless repeats only).
    unsafe_retries: bool = False

    def delay(self, attempt: int, rng: random.Random) -> float:
        base = self.base_delay * (2 ** (attempt - 1)) if self.exponential else self.base_delay
        base = min(self.max_delay, base)
        return base * (0.5 + rng.random() / 2) if self.jitter else base


def payload(response: requests.Response) -> Any:
    """The decoded JSON body (decoded once, cached per response)."""
    try:
        return _PAYLOADS[response]
    except KeyError:
        value = orjson.loads(response.content)
        _PAYLOADS[response] = value
        return value


def error_fields(
    response: requests.Response, secrets: Iterable[str | None] = ()
) -> tuple[str, str, list[dict[str, Any]]]:
    """Calendly's ``title``, ``message`` and ``details`` from an error body, with any
    echoed secret redacted."""
    reason = redact(str(response.reason or ""), secrets)
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return reason, "", []
    if not isinstance(body, dict):
        return reason, "", []
    secrets = list(secrets)
    title = redact(str(body.get("title") or reason), secrets)
    message = redact(str(body.get("message") or ""), secrets)
    details = body.get("details")
    if not isinstance(details, list):
        details = []
    return (
        title,
        message,
        [
            {k: redact(v, secrets) if isinstance(v, str) else v for k, v in d.items()}
            for d in details
            if isinstance(d, dict)
        ],
    )


def api_error(
    response: requests.Response,
    where: str,
    *,
    ambiguous: bool = False,
    secrets: Iterable[str | None] = (),
) -> APIError:
    """The typed error for a final non-2xx response."""
    title, message, details = error_fields(response, secrets)
    error = error_class(response.status_code)(response.status_code, title, message, where, details)
    error.after_ambiguous_retry = ambiguous
    return error


def _never_sent(exc: Exception) -> bool:
    """True when the connection failed before the request could reach the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = repr(exc.args[0]) if exc.args else ""
        return "NewConnectionError" in text or "NameResolutionError" in text
    return False


class Transport:
    """Shared HTTP machinery for every request of one process."""

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
        self.user_agent = user_agent
        #: Backoff sleep (public so tests can make it instant).
        self.sleep = sleep
        self.policy = RetryPolicy(
            max_retries=max_retries, base_delay=backoff_base, max_delay=backoff_cap
        )
        self._lock = threading.Lock()
        self.requests_by_stream: Counter[str] = Counter()
        self.retries_by_stream: Counter[str] = Counter()
        self.first_server_date: datetime | None = None
        self.last_server_date: datetime | None = None
        self._last_date_header = ""
        self._rng = random.Random()

    @property
    def max_retries(self) -> int:
        return self.policy.max_retries

    @staticmethod
    def build_session(pool_size: int) -> requests.Session:
        """One session whose pool holds a connection per concurrent worker."""
        session = requests.Session()
        session.trust_env = False  # no proxy or netrc credentials picked up behind our back
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(pool_size, 1) + 2, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    # -- helpers ---------------------------------------------------------------------

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

    def _count(self, stream: str, *, retry: bool = False) -> None:
        with self._lock:
            if retry:
                self.retries_by_stream[stream] += 1
            else:
                self.requests_by_stream[stream] += 1

    def total_requests(self) -> int:
        with self._lock:
            return sum(self.requests_by_stream.values())

    # -- the one entry point ---------------------------------------------------------

    def send(
        self,
        request: requests.PreparedRequest,
        *,
        stream: str,
        policy: RetryPolicy | None = None,
        decode_json: bool = True,
        timeout: float | None = None,
    ) -> requests.Response:
        """Send ``request`` until it succeeds or fails for good; return the response.

        With ``decode_json`` the 2xx JSON body is decoded and verified before returning
        (see :func:`payload`), so a truncated body is retried like a network error.
        ``timeout`` (seconds, per attempt) overrides the transport's for this request.
        Raises :class:`NetworkError` or an :class:`APIError` subclass.
        """
        policy = policy or self.policy
        per_attempt = self.timeout if timeout is None else timeout
        method = (request.method or "GET").upper()
        where = f"{method} {urlsplit(request.url or '').path}"
        may_repeat = method in SAFE_METHODS or policy.unsafe_retries
        failures = 0
        throttles = 0
        refreshed = False
        ambiguous = False  # an earlier attempt may have been applied
        request.headers.setdefault("User-Agent", self.user_agent)
        request.headers.setdefault("Accept", "application/json")
        while True:
            token = self.tokens.token()
            request.headers["Authorization"] = f"Bearer {token}"
            self.limiter.acquire()
            response: requests.Response | None = None
            try:
                response = self.session.send(request, timeout=per_attempt, allow_redirects=False)
                status = response.status_code
                if decode_json and 200 <= status < 300 and status != 204 and response.content:
                    try:
                        _PAYLOADS[response] = orjson.loads(response.content)
                    except orjson.JSONDecodeError as exc:
                        raise _Truncated(str(exc)) from None
            except _RETRIABLE as exc:
                self.limiter.release(response.headers if response is not None else None)
                self._count(stream)
                self._count(stream, retry=True)
                failures += 1
                safe = may_repeat or (_never_sent(exc) and response is None)
                if failures > policy.max_retries or not safe:
                    raise self._network_error(exc, where, failures, applied=not safe) from None
                ambiguous = ambiguous or not _never_sent(exc)
                self._backoff(policy, failures, where, type(exc).__name__)
                continue
            except requests.RequestException as exc:
                # Not transient (an invalid URL, a refused header): name its kind only,
                # since its text can quote the URL or a header value.
                self.limiter.release(None)
                raise NetworkError(
                    f"cannot send {where} to {self.api_url} ({type(exc).__name__})"
                ) from None
            self.limiter.release(response.headers, response.status_code)
            self._count(stream)
            self._note_date(response)
            if status < 300:
                return response
            if status == 429:
                throttles += 1
                self._count(stream, retry=True)
                announced = reset_seconds(response.headers)
                if announced is not None and announced > MAX_RESET_SECONDS:
                    raise RateLimited(
                        429,
                        "Too Many Requests",
                        f"the rate limit resets in {announced:.0f} s, more than "
                        f"{MAX_RESET_SECONDS:.0f} s: stopping instead of waiting; run again later",
                        where,
                    )
                if throttles > MAX_THROTTLE_RETRIES:
                    raise RateLimited(
                        429, "Too Many Requests", f"rate limited {throttles} times in a row", where
                    )
                logger.info("%s: 429, waiting for the rate-limit window to reset", where)
                continue  # the limiter now blocks until the reported reset
            if status == 401:
                if not refreshed and self.tokens.refresh(token):
                    refreshed = True
                    continue
                raise AuthError(
                    401,
                    "Unauthenticated",
                    "Calendly rejected the token: check personal_access_token or the OAuth "
                    "settings",
                    where,
                )
            retriable = status >= 500 or policy.retry_all_errors
            if retriable and may_repeat and failures < policy.max_retries:
                failures += 1
                ambiguous = True
                self._count(stream, retry=True)
                self._backoff(policy, failures, where, f"HTTP {status}")
                continue
            raise api_error(response, where, ambiguous=ambiguous, secrets=(token,))

    def _backoff(self, policy: RetryPolicy, attempt: int, where: str, why: str) -> None:
        wait = policy.delay(attempt, self._rng)
        logger.warning(
            "%s: %s, retry %d/%d in %.1fs", where, why, attempt, policy.max_retries, wait
        )
        self.sleep(wait)

    def _network_error(
        self, exc: Exception, where: str, attempts: int, *, applied: bool
    ) -> NetworkError:
        if applied:
            return NetworkError(
                f"{where}: the connection failed after the request was sent "
                f"({type(exc).__name__}); it may or may not have been applied, and is not "
                "repeated automatically: check before sending it again"
            )
        if isinstance(exc, _Truncated):
            return NetworkError(f"Calendly kept returning incomplete responses ({where})")
        return NetworkError(
            f"cannot reach {self.api_url} ({type(exc).__name__}) after {attempts} "
            f"attempt{'s' if attempts != 1 else ''} ({where})"
        )
