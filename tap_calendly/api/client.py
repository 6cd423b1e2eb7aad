"""CalendlyClient: the one way anything in this project talks to Calendly.

It owns the HTTP session, the token provider (PAT or OAuth with rotation persisted
before use), the shared ``X-RateLimit-*`` limiter and the transport, so the tap, the
actions and the webhook receiver share one budget and one retry rule per process.
Paths are relative to ``api_url``; an absolute URL is accepted only on that host, so
the token never leaves it. Methods return decoded JSON bodies and raise the typed
errors of :mod:`tap_calendly.api.errors`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from tap_calendly.api.auth import OAuthTokens, StaticToken, TokenProvider
from tap_calendly.api.errors import APIError, CalendlyError, UsageError
from tap_calendly.api.paging import PageCursor, collection
from tap_calendly.api.ratelimit import RateLimiter
from tap_calendly.api.settings import Settings
from tap_calendly.api.transport import RetryPolicy, Transport, payload

logger = logging.getLogger("tap-calendly.client")

#: Decides whether an error met on a retried write means "it was applied before".
AlreadyDone = Callable[[APIError], bool]


@dataclass(frozen=True)
class Owner:
    """Who the token is and where "now" is, looked up once per client."""

    me: dict[str, Any]
    user_uri: str
    organization_uri: str
    server_now: datetime


class CalendlyClient:
    """Auth, rate limit, retries and paging for Calendly API v2."""

    def __init__(self, settings: Settings, transport: Transport) -> None:
        self.settings = settings
        self.transport = transport
        self._owner: Owner | None = None
        self._owner_lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, settings: Settings | Mapping[str, Any], *, limiter: RateLimiter | None = None
    ) -> CalendlyClient:
        """Build the client; a mapping is validated first (:meth:`Settings.parse`)."""
        if not isinstance(settings, Settings):
            settings = Settings.parse(settings)
        session = Transport.build_session(settings.max_concurrency)
        transport = Transport(
            api_url=settings.base_url,
            tokens=token_provider(settings, session),
            limiter=limiter or RateLimiter(requests_per_minute=settings.requests_per_minute),
            session=session,
            timeout=settings.request_timeout,
            max_retries=settings.max_retries,
            user_agent=settings.user_agent,
        )
        return cls(settings, transport)

    def __enter__(self) -> CalendlyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.transport.session.close()

    def __repr__(self) -> str:
        return f"CalendlyClient(api_url={self.settings.base_url!r})"

    @property
    def limiter(self) -> RateLimiter:
        return self.transport.limiter

    # -- addressing ------------------------------------------------------------------

    def url(self, path: str) -> str:
        """Absolute URL for ``path``; refuses URLs on any other host than ``api_url``."""
        base = self.settings.base_url
        if "://" in path:
            want, got = urlsplit(base), urlsplit(path)
            if (got.scheme, got.netloc) != (want.scheme, want.netloc):
                raise UsageError(
                    f"refusing to send the token to {got.scheme}://{got.netloc}: only "
                    f"{want.scheme}://{want.netloc} (api_url) is allowed"
                )
            return path
        if not path.startswith("/"):
            path = "/" + path
        return base + path

    # -- requests --------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        stream: str = "client",
        policy: RetryPolicy | None = None,
        decode_json: bool = True,
        timeout: float | None = None,
    ) -> requests.Response:
        """Send one request through the shared transport and return the response.

        ``timeout`` (seconds per attempt) overrides ``request_timeout`` for this request.
        """
        try:
            prepared = requests.Request(
                method.upper(),
                self.url(path),
                params=dict(params or {}),
                json=json,
                data=dict(data) if data else None,
                files=dict(files) if files else None,
                headers=dict(headers or {}),
            ).prepare()
        except requests.exceptions.InvalidHeader:
            # requests quotes the value, which may be a credential: name the problem only.
            raise UsageError(
                f"{method.upper()} {path}: a header has a line break, a reserved character "
                "or leading whitespace; nothing was sent"
            ) from None
        except (requests.RequestException, ValueError) as exc:
            raise UsageError(
                f"{method.upper()} {path}: the request cannot be built ({type(exc).__name__}); "
                "nothing was sent"
            ) from None
        return self.transport.send(
            prepared, stream=stream, policy=policy, decode_json=decode_json, timeout=timeout
        )

    def get(
        self, path: str, params: Mapping[str, Any] | None = None, *, stream: str = "client"
    ) -> Any:
        """GET ``path`` and return its decoded body."""
        return body_of(self.request("GET", path, params=params, stream=stream))

    def post(
        self,
        path: str,
        json: Any = None,
        *,
        already_done: AlreadyDone | None = None,
        stream: str = "client",
    ) -> Any:
        """POST ``json``; retried after ambiguous failures only if ``already_done`` is given.

        ``already_done`` marks the write as idempotent in effect: a repeat is harmless
        because the server answers a second application with a recognisable error
        (409, "already canceled"), which is then reported as success (``None``).
        """
        return self._write("POST", path, json, already_done, stream)

    def delete(
        self, path: str, *, already_done: AlreadyDone | None = None, stream: str = "client"
    ) -> Any:
        """DELETE ``path``; a 404 after a retried attempt counts as done by default."""
        return self._write("DELETE", path, None, already_done or _gone, stream)

    def _write(
        self,
        method: str,
        path: str,
        body: Any,
        already_done: AlreadyDone | None,
        stream: str,
    ) -> Any:
        policy = self.transport.policy
        if already_done is not None:
            policy = RetryPolicy(**{**policy.__dict__, "unsafe_retries": True})
        try:
            response = self.request(method, path, json=body, stream=stream, policy=policy)
        except APIError as exc:
            if already_done is not None and exc.after_ambiguous_retry and already_done(exc):
                logger.info("%s: already applied by an earlier attempt", exc.where)
                return None
            raise
        return body_of(response)

    def pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        page_size: int = 100,
        stream: str = "client",
    ) -> Iterator[list[dict[str, Any]]]:
        """Each page's ``collection``, following ``next_page_token`` on the same path."""
        query = {**(params or {}), "count": page_size}
        cursor = PageCursor(f"GET {path}")
        while True:
            body = self.get(path, query, stream=stream)
            rows = collection(body, cursor.where)
            yield rows
            token = cursor.next_token(body, len(rows))
            if token is None:
                return
            query["page_token"] = token

    def paginate(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        page_size: int = 100,
        limit: int | None = None,
        stream: str = "client",
    ) -> Iterator[dict[str, Any]]:
        """Every row of a list endpoint, one page in memory at a time, at most ``limit``."""
        if limit is not None and limit <= 0:
            return
        count = 0
        size = min(page_size, limit) if limit else page_size
        for page in self.pages(path, params, page_size=size, stream=stream):
            for row in page:
                yield row
                count += 1
                if limit is not None and count >= limit:
                    return

    # -- who am I ------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        """The token's user (``/users/me``), fetched once."""
        return self.owner().me

    def owner(self) -> Owner:
        """``/users/me`` once: URIs for owner filters (settings win), the server's clock."""
        if self._owner is not None:
            return self._owner
        with self._owner_lock:
            if self._owner is None:
                body = self.get("/users/me", stream="users")
                me = body.get("resource") if isinstance(body, dict) else None
                if not isinstance(me, dict) or not me.get("uri"):
                    raise CalendlyError(f"{self.settings.base_url}/users/me did not return a user")
                self._owner = Owner(
                    me=me,
                    user_uri=self.settings.user or str(me["uri"]),
                    organization_uri=self.settings.organization
                    or str(me.get("current_organization") or ""),
                    server_now=self.transport.first_server_date or datetime.now(UTC),
                )
            return self._owner

    def server_now(self) -> datetime:
        """The server's latest clock reading (its ``Date`` header), else the owner's."""
        latest = self.transport.last_server_date
        owner = self.owner()
        return max(latest, owner.server_now) if latest else owner.server_now


def body_of(response: requests.Response) -> Any:
    """The decoded JSON body, or None for an empty one (204)."""
    if response.status_code == 204 or not response.content:
        return None
    return payload(response)


def _gone(error: APIError) -> bool:
    return error.status == 404


def token_provider(settings: Settings, session: requests.Session) -> TokenProvider:
    """The auth method the settings name (validated: exactly one is complete)."""
    if settings.personal_access_token is not None:
        return StaticToken(settings.personal_access_token)
    if settings.client_id is None or settings.client_secret is None:
        raise UsageError("no credentials configured")
    assert settings.refresh_token is not None
    assert settings.token_file is not None
    return OAuthTokens(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        refresh_token=settings.refresh_token,
        token_url=settings.oauth_token_url,
        token_file=settings.token_file,
        session=session,
        timeout=settings.request_timeout,
    )
