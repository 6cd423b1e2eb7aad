"""Window arithmetic: incremental re-read window and availability tiling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tap_calendly.windows import (
    AVAILABILITY_LEAD,
    availability_windows,
    format_api_time,
    incremental_window_start,
    parse_datetime,
)


def test_window_is_bookmark_minus_lookback_when_later_than_start_date():
    start = incremental_window_start(
        start_date="2026-01-01T00:00:00Z", bookmark="2026-06-30T12:00:00.5Z", lookback_days=30
    )
    assert start == datetime(2026, 5, 31, 12, 0, 0, 500000, tzinfo=UTC)


def test_window_never_starts_before_start_date():
    start = incremental_window_start(
        start_date="2026-06-15", bookmark="2026-06-30T00:00:00Z", lookback_days=30
    )
    assert start == datetime(2026, 6, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start_date", "bookmark", "expected"),
    [
        (None, None, None),
        ("2025-03-04T05:06:07+02:00", None, datetime(2025, 3, 4, 3, 6, 7, tzinfo=UTC)),
        (None, "2025-03-10T00:00:00Z", datetime(2025, 3, 3, tzinfo=UTC)),
    ],
)
def test_window_with_missing_sides(start_date, bookmark, expected):
    assert (
        incremental_window_start(start_date=start_date, bookmark=bookmark, lookback_days=7)
        == expected
    )


def test_busy_time_windows_tile_the_horizon_in_seven_day_spans():
    now = datetime(2026, 7, 1, 10, 30, 15, 999999, tzinfo=UTC)
    spans = availability_windows(now, horizon_days=14, max_window_days=7)
    first_start = datetime(2026, 7, 1, 10, 30, 15, tzinfo=UTC) + AVAILABILITY_LEAD
    assert spans == [
        (first_start, first_start + timedelta(days=7)),
        (first_start + timedelta(days=7), first_start + timedelta(days=14)),
    ]
    assert all(start > now for start, _ in spans)


def test_last_window_is_cut_at_the_horizon():
    now = datetime(2026, 7, 1, tzinfo=UTC)
    spans = availability_windows(now, horizon_days=10, max_window_days=7)
    assert [end - start for start, end in spans] == [timedelta(days=7), timedelta(days=3)]
    assert availability_windows(now, horizon_days=14, max_window_days=31) == [
        (now + AVAILABILITY_LEAD, now + AVAILABILITY_LEAD + timedelta(days=14))
    ]
    assert availability_windows(now, horizon_days=0, max_window_days=7) == []


def test_api_time_format_round_trips():
    value = parse_datetime("2020-01-02T03:04:05.678123Z")
    assert format_api_time(value) == "2020-01-02T03:04:05.678123Z"
    assert parse_datetime("2020-01-02T05:04:05+02:00") == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
