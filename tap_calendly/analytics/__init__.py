"""Analytics views over the synced Calendly tables.

The loader lands one table per stream; these views turn them into the answers people
ask of scheduling data (bookings per week, cancellation and no-show rates, lead time,
host load, routing-form conversion). They are plain SQL files in ``sql/`` so that any
DuckDB client, dbt model or warehouse port can reuse them.
"""

from __future__ import annotations

from tap_calendly.analytics.views import CreateResult, View, create_views, load_views

__all__ = ["CreateResult", "View", "create_views", "load_views"]
