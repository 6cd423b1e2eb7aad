"""Calendly webhooks: receive (verify, journal durably, acknowledge) and apply (merge the
journal into the loader's DuckDB tables, newest ``updated_at`` wins). See docs/webhooks.md.

Imports only the client core (:mod:`tap_calendly.api`), never the tap or the actions.
"""

from __future__ import annotations
