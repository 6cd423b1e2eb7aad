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
from tap_calendly.api import errors as _errors
from tap_calendly.api.errors import *  # noqa: F403  (the error classes, listed once there)

__all__ = ["Calendly", "RawResponse", "WriteOutcome", "raw_policy", *_errors.__all__]
