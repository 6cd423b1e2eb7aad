""" "Data Compliance": erase invitee data by e-mail, or scheduled events by time range.

Both requests are Enterprise-only and finish within 7 days on Calendly's side (202
Accepted). A repeated request is harmless, so both are retried after ambiguous
failures. With ``duckdb`` the same erasure is applied to a database loaded by our loader
(:mod:`tap_calendly.actions.erasure`): the file is opened (and locked) *before* the API
request, so a busy or missing database stops the command before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from tap_calendly.actions import validate
from tap_calendly.actions.base import Namespace, Record
from tap_calendly.actions.erasure import Plan, Warehouse, report
from tap_calendly.api.errors import APIError

NOTE = "Calendly completes data-compliance deletions within 7 days"


def _repeat_is_harmless(_error: APIError) -> bool:
    """Erasing twice erases once: retry, and let a real error through."""
    return False


class DataCompliance(Namespace):
    """ "Data Compliance": "Delete Invitee Data", "Delete Scheduled Event Data"."""

    def delete_invitees(
        self, emails: Iterable[str], *, duckdb: str | Path | None = None, api: bool = True
    ) -> Record:
        """Ask Calendly to erase the invitees' data; optionally erase it in ``duckdb``."""
        addresses = validate.emails(emails)
        return self._run(
            "/data_compliance/deletion/invitees",
            {"emails": addresses},
            duckdb,
            api,
            lambda warehouse: warehouse.plan_invitees(addresses),
        )

    def delete_events(
        self,
        start_time: str | datetime,
        end_time: str | datetime,
        *,
        duckdb: str | Path | None = None,
        api: bool = True,
    ) -> Record:
        """Ask Calendly to erase events starting in [start, end) (at most 24 months, in
        the past by the server's clock, read first); optionally erase them and their
        dependent rows in ``duckdb``."""
        start, end = validate.deletion_range(start_time, end_time)
        if api:
            validate.in_the_past(end, self._client.server_now())
        body = {
            "start_time": validate.calendly_time(start),
            "end_time": validate.calendly_time(end),
        }
        return self._run(
            "/data_compliance/deletion/events",
            body,
            duckdb,
            api,
            lambda warehouse: warehouse.plan_events(start, end),
        )

    def _run(
        self,
        path: str,
        body: Record,
        duckdb: str | Path | None,
        api: bool,
        plan_for: Callable[[Warehouse], Plan],
    ) -> Record:
        if not api and duckdb is None:
            raise validate.fail("--no-api needs --duckdb FILE: there is nothing else to erase")
        dry_run = self._client.dry_run
        warehouse = None if duckdb is None else Warehouse(duckdb, read_only=dry_run)
        try:
            out: dict[str, Any] = {}
            if api:
                outcome = self._client.write("POST", path, body, already_done=_repeat_is_harmless)
                if outcome.planned is not None:
                    out.update({"dry_run": True, "request": outcome.planned})
                else:
                    out.update({"status": "accepted", "request": body, "note": NOTE})
            elif dry_run:
                out["dry_run"] = True
            if warehouse is not None:
                plan = plan_for(warehouse)
                counts = plan.counts() if dry_run else warehouse.apply(plan)
                out["duckdb"] = report(warehouse.path, counts, dry_run=dry_run)
            return out
        finally:
            if warehouse is not None:
                warehouse.close()
