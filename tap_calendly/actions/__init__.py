"""The connector's actions: every Calendly operation as a Python API and a CLI.

``Calendly`` is the shared client (tap_calendly.api) with one namespace per object::

    from tap_calendly.actions import Calendly

    with Calendly.connect({"personal_access_token": "..."}) as client:
        client.events.cancel("EVENT_UUID", reason="Double-booked")
        for hook in client.webhooks.list(scope="organization"):
            ...

The ``calendly`` console script (:mod:`tap_calendly.actions.cli`) is a thin layer over
it. See docs/actions.md.
"""

from __future__ import annotations

from tap_calendly.actions.client import Calendly, WriteOutcome
from tap_calendly.actions.raw import RawResponse, raw_policy
from tap_calendly.api.errors import (
    AccessDenied,
    APIError,
    AuthError,
    CalendlyError,
    ConfigError,
    Conflict,
    NetworkError,
    NotFound,
    RateLimited,
    ServerError,
    UsageError,
)

__all__ = [
    "APIError",
    "AccessDenied",
    "AuthError",
    "Calendly",
    "CalendlyError",
    "ConfigError",
    "Conflict",
    "NetworkError",
    "NotFound",
    "RateLimited",
    "RawResponse",
    "ServerError",
    "UsageError",
    "WriteOutcome",
    "raw_policy",
]
