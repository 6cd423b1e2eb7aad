"""Comparing what DuckDB holds with what the API returned, cell by cell."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def same(db_value: Any, api_value: Any) -> bool:
    """Does a DuckDB cell hold the API's value (TIMESTAMPTZ, JSON text, scalars)?"""
    if api_value is None or db_value is None:
        return api_value is None and db_value is None
    if isinstance(db_value, datetime):
        return isinstance(api_value, str) and _instant(api_value) == db_value.astimezone(UTC)
    if isinstance(api_value, dict | list):
        return isinstance(db_value, str) and json.loads(db_value) == api_value
    return bool(db_value == api_value)


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
