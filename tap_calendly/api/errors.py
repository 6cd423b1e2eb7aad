"""Typed errors of the Calendly client: what went wrong, in one line, with no secret.

Everything the client raises on purpose is a :class:`CalendlyError`. Its message is one
line a user can act on; it carries Calendly's ``title``/``message``/``details`` and the
request's method and path, never a token, secret or request body. Each class has an
``exit_code`` so that every command maps errors to exit statuses the same way:
2 bad settings or usage, 3 the API refused the request, 4 network or server trouble
that outlasted the retries.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

#: The error classes: what the client core, and the actions after it, export.
__all__ = [
    "APIError",
    "AccessDenied",
    "AuthError",
    "CalendlyError",
    "ConfigError",
    "Conflict",
    "NetworkError",
    "NotFound",
    "RateLimited",
    "ServerError",
    "UsageError",
]

#: Shorter values are not redacted (they would garble every message and cannot be
#: real credentials, which the API rejects anyway).
_MIN_SECRET = 4


class CalendlyError(Exception):
    """A problem the user can fix or must know about; reported as one line."""

    exit_code: ClassVar[int] = 1


class UsageError(CalendlyError):
    """A request that cannot be sent as asked (bad arguments, a URL to another host)."""

    exit_code = 2


class ConfigError(UsageError):
    """Settings that cannot work (wrong type, out of range, missing credentials)."""


class NetworkError(CalendlyError):
    """The API could not be reached, or kept sending incomplete bodies, after retries."""

    exit_code = 4


class APIError(CalendlyError):
    """An answer that will not change by retrying (or a 5xx that outlasted the retries)."""

    exit_code = 3

    def __init__(
        self,
        status: int,
        title: str,
        message: str,
        where: str,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        self.status = status
        self.title = title
        self.api_message = message
        self.where = where
        self.details = list(details or [])
        #: Set when an earlier attempt of this write may have been applied.
        self.after_ambiguous_retry = False
        text = f"Calendly API error {status} {title}".rstrip()
        if message:
            text += f": {message}"
        extra = describe_details(self.details)
        if extra:
            text += f" [{extra}]"
        super().__init__(f"{text} ({where})")


class ServerError(APIError):
    """5xx after every retry: Calendly's side is failing."""

    exit_code = 4


class AuthError(APIError):
    """401 after a refresh, or the OAuth token endpoint refused: re-authorize."""


class AccessDenied(APIError):
    """403: the plan or the token's role does not allow this."""


class NotFound(APIError):
    """404: no such object (or a parent that vanished mid-sync)."""


class Conflict(APIError):
    """409: the change is already in place (or conflicts with the current state)."""


class RateLimited(APIError):
    """429 more times in a row than the client is willing to wait out."""

    exit_code = 4


def describe_details(details: list[dict[str, Any]]) -> str:
    """Calendly's per-parameter ``details`` as ``param: message; …``."""
    parts = []
    for item in details:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message") or "").strip()
        parameter = item.get("parameter")
        parts.append(f"{parameter}: {message}" if parameter else message)
    return "; ".join(p for p in parts if p)


def error_class(status: int) -> type[APIError]:
    """The error type for a final HTTP status."""
    return {401: AuthError, 403: AccessDenied, 404: NotFound, 409: Conflict, 429: RateLimited}.get(
        status, ServerError if status >= 500 else APIError
    )


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret value replaced by ``***``.

    For text a server wrote (an error ``message``, an OAuth ``error_description``): a
    faulty or hostile endpoint may echo the token it was sent.
    """
    for secret in sorted({s for s in secrets if s and len(s) >= _MIN_SECRET}, key=len)[::-1]:
        text = text.replace(secret, "***")
    return text
