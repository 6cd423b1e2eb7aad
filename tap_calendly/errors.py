"""Exceptions the tap raises on purpose.

``CalendlyUserError`` is anything the user can fix (config, token, plan, URL): the CLI
prints its message as one line and exits non-zero, without a traceback. Messages never
contain tokens or client secrets, only Calendly's ``title``/``message`` and a path.
"""

from __future__ import annotations


class CalendlyUserError(Exception):
    """A problem the user can fix; reported as one line, exit status 1."""


class CalendlyAPIError(CalendlyUserError):
    """A non-retriable API answer (4xx other than the handled ones)."""

    def __init__(self, status: int, title: str, message: str, where: str) -> None:
        self.status = status
        self.title = title
        self.api_message = message
        self.where = where
        text = f"Calendly API error {status} {title}".rstrip()
        if message:
            text += f": {message}"
        super().__init__(f"{text} ({where})")


class AccessDenied(CalendlyAPIError):
    """403: plan or role gating. Gated streams skip themselves with one warning."""


class NotFound(CalendlyAPIError):
    """404: e.g. a parent that vanished mid-sync; children skip it."""
