"""The demo's closing report, read back from DuckDB: the synced tables and the dbt marts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import duckdb


@dataclass
class SyncStats:
    """One sync as the sandbox saw it: requests by endpoint, plus wall time."""

    label: str
    seconds: float
    requests: dict[str, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{100 * float(value):.1f}%"


def _hours(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.1f} h"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _marts(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [schema]
    ).fetchall()
    return {str(r[0]) for r in rows}


def table_counts(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, tuple[int, int]]:
    """Live and retired rows in each base table of ``schema``.

    Rows the tap's ACTIVATE_VERSION retired (a member who left, a passed availability
    slot) keep ``_sdc_deleted_at`` set under the loader's default soft delete; they are
    counted apart so the report shows what exists now.
    """
    names = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = ? AND table_type = 'BASE TABLE' ORDER BY table_name",
        [schema],
    ).fetchall()
    counts: dict[str, tuple[int, int]] = {}
    for (name,) in names:
        table = f"{quote_ident(schema)}.{quote_ident(str(name))}"
        columns = {str(c[0]) for c in con.execute(f"DESCRIBE {table}").fetchall()}
        retired = "_sdc_deleted_at IS NOT NULL" if "_sdc_deleted_at" in columns else "false"
        row = con.execute(
            f"SELECT count(*) FILTER (WHERE NOT ({retired})), "
            f"count(*) FILTER (WHERE {retired}) FROM {table}"
        ).fetchone()
        counts[str(name)] = (int(row[0]), int(row[1])) if row else (0, 0)
    return counts


def weekly_meetings(
    con: duckdb.DuckDBPyConnection, *, as_of: date, weeks: int = 8, schema: str = "analytics"
) -> list[tuple[date, int, int]]:
    """(week, meetings, canceled) for the ``weeks`` weeks ending with ``as_of``'s week."""
    this_week = as_of - timedelta(days=as_of.weekday())
    first = this_week - timedelta(weeks=weeks - 1)
    rows = con.execute(
        f"SELECT week, sum(meetings), sum(canceled_meetings) FROM {quote_ident(schema)}"
        ".bookings_weekly WHERE week BETWEEN ? AND ? GROUP BY week",
        [first, this_week],
    ).fetchall()
    found = {r[0]: (int(r[1]), int(r[2])) for r in rows}
    return [
        (week, *found.get(week, (0, 0)))
        for week in (first + timedelta(weeks=i) for i in range(weeks))
    ]


def render(
    con: duckdb.DuckDBPyConnection,
    *,
    as_of: datetime,
    syncs: Sequence[SyncStats],
    source: str = "calendly",
    schema: str = "analytics",
    top: int = 5,
) -> str:
    """The report as text (one section per question)."""
    out: list[str] = []
    marts = _marts(con, schema)

    counts = table_counts(con, source)
    out.append(f"Rows per table ({source} schema)")
    out += [
        f"  {name:<30} {live:>8,}" + (f"  (+{retired:,} retired)" if retired else "")
        for name, (live, retired) in counts.items()
    ]

    if "bookings_weekly" in marts:
        out.append("")
        out.append(f"Bookings per week (meetings by start, UTC; last 8 weeks to {as_of:%Y-%m-%d})")
        rows = weekly_meetings(con, as_of=as_of.date(), schema=schema)
        widest = max((m for _, m, _ in rows), default=0) or 1
        for week, meetings, canceled in rows:
            bar = "#" * round(30 * meetings / widest)
            out.append(f"  {week:%Y-%m-%d}  {meetings:>5} ({canceled:>3} canceled)  {bar}")

    if "rates" in marts:
        row = con.execute(f"SELECT * FROM {quote_ident(schema)}.rates").fetchone()
        names = [d[0] for d in con.description or ()]
        rates = dict(zip(names, row or (), strict=False))
        out.append("")
        out.append("Rates")
        out.append(
            f"  cancellation  {_pct(rates.get('cancellation_rate')):>6} of "
            f"{rates.get('invitees', 0):,} invitees "
            f"(meetings canceled: {_pct(rates.get('meeting_cancellation_rate'))})"
        )
        out.append(f"  reschedule    {_pct(rates.get('reschedule_rate')):>6} of invitees")
        out.append(
            f"  no-show       {_pct(rates.get('no_show_rate')):>6} of "
            f"{rates.get('past_active_invitees', 0):,} invitees of past meetings"
        )
        out.append(
            f"  lead time     median {_hours(rates.get('median_lead_time_hours'))}, "
            f"mean {_hours(rates.get('avg_lead_time_hours'))} from booking to meeting"
        )

    if "event_type_stats" in marts:
        out.append("")
        out.append("Top event types (by meetings)")
        for name, owner, meetings, cancel, no_show in con.execute(
            f"SELECT event_type_name, profile_name, meetings, cancellation_rate, no_show_rate "
            f"FROM {quote_ident(schema)}.event_type_stats "
            "ORDER BY meetings DESC, event_type_name LIMIT ?",
            [top],
        ).fetchall():
            label = f"{name} ({owner})" if owner else str(name)
            out.append(
                f"  {label[:44]:<44} {meetings:>6} meetings  "
                f"cancel {_pct(cancel):>6}  no-show {_pct(no_show):>6}"
            )

    if "host_load" in marts:
        out.append("")
        out.append("Busiest hosts (active meetings)")
        for name, meetings, hours, upcoming in con.execute(
            f"SELECT coalesce(host_name, host_uri), meetings, meeting_hours, upcoming_meetings "
            f"FROM {quote_ident(schema)}.host_load ORDER BY meetings DESC, 1 LIMIT ?",
            [top],
        ).fetchall():
            out.append(
                f"  {str(name)[:44]:<44} {meetings:>6} meetings  {float(hours):>7.1f} h  "
                f"{upcoming:>4} upcoming"
            )

    if "bookings_by_utm" in marts:
        tracked = con.execute(
            f"SELECT utm_source, sum(bookings), sum(canceled) FROM {quote_ident(schema)}"
            ".bookings_by_utm WHERE utm_source IS NOT NULL GROUP BY utm_source "
            "ORDER BY 2 DESC, 1 LIMIT ?",
            [top],
        ).fetchall()
        if tracked:
            out.append("")
            out.append("Bookings by UTM source (invitees with tracking)")
            out += [
                f"  {str(source)[:30]:<30} {int(bookings):>6} bookings  {int(canceled):>5} canceled"
                for source, bookings, canceled in tracked
            ]

    if "invitee_answers" in marts:
        row = con.execute(
            f"SELECT count(*), count(DISTINCT invitee_uri), count(DISTINCT question) "
            f"FROM {quote_ident(schema)}.invitee_answers"
        ).fetchone()
        if row and row[0]:
            out.append("")
            out.append(
                f"Custom questions: {row[0]:,} answers from {row[1]:,} invitees "
                f"to {row[2]:,} distinct questions (analytics.invitee_answers)"
            )

    if "routing_conversion" in marts:
        row = con.execute(
            f"SELECT sum(submissions), sum(booked_submissions) "
            f"FROM {quote_ident(schema)}.routing_conversion"
        ).fetchone()
        submissions, booked = (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)
        out.append("")
        rate = _pct(booked / submissions) if submissions else "n/a"
        out.append(f"Routing forms: {submissions:,} submissions, {booked:,} booked ({rate})")

    if syncs:
        out.append("")
        out.append("API requests per sync (counted by the sandbox)")
        for sync in syncs:
            busiest = sorted(sync.requests.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
            detail = ", ".join(f"{k} {v:,}" for k, v in busiest)
            records = sum(sync.records.values())
            out.append(
                f"  {sync.label:<12} {sync.total_requests:>6,} requests  {records:>7,} records  "
                f"{sync.seconds:>5.1f} s   [{detail}]"
            )
    return "\n".join(out)
