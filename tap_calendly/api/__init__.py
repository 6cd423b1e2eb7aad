"""The Calendly client core: settings, one client, typed errors. No singer-sdk here.

Everything that talks to Calendly (the tap, the actions, the webhook receiver) goes
through :class:`CalendlyClient`; see docs/client.md.
"""

from __future__ import annotations

from tap_calendly.api import errors
from tap_calendly.api.client import CalendlyClient, Owner
from tap_calendly.api.errors import *  # noqa: F403  (the error classes, listed once there)
from tap_calendly.api.settings import SETTINGS, Settings
from tap_calendly.api.transport import RetryPolicy

__all__ = [
    "SETTINGS",
    "CalendlyClient",
    "Owner",
    "RetryPolicy",
    "Settings",
    *errors.__all__,
]
