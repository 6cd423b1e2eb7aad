"""Availability schedules and busy times (unpaged lists)."""

from __future__ import annotations

from typing import Any

from tap_calendly.actions import validate
from tap_calendly.actions.base import Namespace, Record, Rows


class AvailabilitySchedules(Namespace):
    """ "List User Availability Schedules", "Get User Availability Schedule"."""

    def list(self, *, user: str | None = None) -> Rows:
        who = validate.optional_uri(user, "--user") or self._client.owner().user_uri
        return self._client.collection("/user_availability_schedules", {"user": who})

    def get(self, uuid: str) -> Record:
        schedule = validate.uuid_of(uuid, "UUID", segment="user_availability_schedules")
        return self._client.resource(f"/user_availability_schedules/{schedule}")


class BusyTimes(Namespace):
    """ "List User Busy Times": a future window of at most 7 days."""

    def list(self, *, start_time: Any, end_time: Any, user: str | None = None) -> Rows:
        start, end = validate.window(
            start_time,
            end_time,
            max_days=validate.BUSY_TIMES_MAX_DAYS,
            names=("--start-time", "--end-time"),
        )
        who = validate.optional_uri(user, "--user") or self._client.owner().user_uri
        params = {"user": who, "start_time": start, "end_time": end}
        return self._client.collection("/user_busy_times", params)
