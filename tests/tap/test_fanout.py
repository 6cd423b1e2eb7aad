"""Per-member children go through the shared pool, and each distinct user once.

A canned API (a requests adapter on the client's own session, so the real transport,
limiter and pool run) serves one page of memberships in which one user appears twice.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
from collections import Counter
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from tap_calendly.streams.context import SyncContext
from tap_calendly.streams.fanout import FanOut
from tap_calendly.tap import TapCalendly
from tests.support.tap_run import select_streams

BASE = "https://api.example.test"
ORG = f"{BASE}/organizations/ORG1"
ME = f"{BASE}/users/ME"
OTHER = f"{BASE}/users/U2"
NOW = "2026-07-01T12:00:00+00:00"


class CannedAPI(BaseAdapter):
    """Answers the few endpoints the member family needs; counts and gates requests.

    Requests whose path is in ``gate_paths`` wait at a barrier until ``parties`` of
    them are in flight together: run one at a time, they time out instead.
    """

    def __init__(self, gate_paths: set[str], parties: int) -> None:
        super().__init__()
        self.counts: Counter[str] = Counter()
        self.gate_paths = gate_paths
        self.barrier = threading.Barrier(parties, timeout=10)
        self.gate_broken = False
        self._lock = threading.Lock()

    def body(self, path: str, query: dict[str, str]) -> dict[str, Any]:
        if path == "/users/me":
            return {"resource": {"uri": ME, "current_organization": ORG, "name": "Me"}}
        if path == "/organization_memberships":
            rows = [
                {"uri": f"{BASE}/organization_memberships/{n}", "role": "user", "user": user}
                for n, user in enumerate(
                    [{"uri": ME, "name": "Me"}, {"uri": OTHER, "name": "Two"}, {"uri": ME}]
                )
            ]
            return {"collection": rows, "pagination": {"next_page_token": None}}
        if path == "/user_busy_times":
            block = {"type": "calendly", "start_time": query["start_time"], "end_time": "x"}
            return {"collection": [block], "pagination": {}}
        if path == "/user_availability_schedules":
            user = query["user"]
            return {"collection": [{"uri": f"{user}/schedule", "user": user}], "pagination": {}}
        raise AssertionError(f"unexpected request {path}")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        with self._lock:
            self.counts[parts.path] += 1
        if parts.path in self.gate_paths:
            try:
                self.barrier.wait()
            except threading.BrokenBarrierError:
                self.gate_broken = True
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        response = requests.Response()
        response.status_code = 200
        response._content = orjson.dumps(self.body(parts.path, query))
        response.headers = CaseInsensitiveDict(
            {
                "Content-Type": "application/json",
                "Date": format_datetime(_now(), usegmt=True),
            }
        )
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        return None


def _now() -> Any:
    from datetime import datetime

    return datetime.fromisoformat(NOW)


def run_member_family(api: CannedAPI) -> dict[str, list[dict[str, Any]]]:
    catalog = select_streams(
        "organization_memberships", "users", "user_busy_times", "user_availability_schedules"
    )
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        tap = TapCalendly(
            config={"personal_access_token": "pat", "api_url": BASE, "max_concurrency": 8},
            catalog=catalog,
        )
        tap.sync_context.client.transport.session.mount(BASE, api)
        try:
            tap.sync_all()
        finally:
            tap.sync_context.close()
    records: dict[str, list[dict[str, Any]]] = {}
    for line in out.getvalue().splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            records.setdefault(message["stream"], []).append(message["record"])
    return records


def test_a_user_in_two_memberships_has_children_fetched_and_emitted_once():
    api = CannedAPI(gate_paths=set(), parties=1)
    records = run_member_family(api)
    # 2 distinct users: 2 busy-time windows each (14-day horizon), 1 schedule list each.
    assert api.counts["/user_busy_times"] == 4
    assert api.counts["/user_availability_schedules"] == 2
    assert len(records["organization_memberships"]) == 3
    assert [u["uri"] for u in records["users"]] == [ME, OTHER]
    assert sorted(s["user"] for s in records["user_availability_schedules"]) == [ME, OTHER]
    busy = records["user_busy_times"]
    assert len(busy) == len({b["busy_time_id"] for b in busy}) == 4


def test_every_window_of_every_member_is_fetched_concurrently():
    # All four busy-time requests (2 users x 2 windows) and both schedule lists must be
    # in flight at the same time to pass the gate; one at a time, it times out.
    api = CannedAPI(gate_paths={"/user_busy_times", "/user_availability_schedules"}, parties=6)
    records = run_member_family(api)
    assert not api.gate_broken
    assert len(records["user_busy_times"]) == 4


def test_member_list_is_listed_once_when_memberships_were_not_synced():
    api = CannedAPI(gate_paths=set(), parties=1)
    tap = TapCalendly(config={"personal_access_token": "pat", "api_url": BASE})
    context: SyncContext = tap.sync_context
    context.client.transport.session.mount(BASE, api)
    assert context.member_user_uris() == [ME, OTHER]
    assert context.member_user_uris() == [ME, OTHER]
    assert api.counts["/organization_memberships"] == 1
    context.close()


def test_a_parents_next_page_jumps_the_queue_and_cancelled_jobs_never_run():
    pool = FanOut(1)
    release = threading.Event()
    order: list[str] = []
    blocker = pool.run(release.wait)  # occupies the only worker
    queued = {name: pool.run(lambda name=name: order.append(name)) for name in "AB"}
    first = pool.run_first(lambda: order.append("next page"))
    queued["A"].cancel()
    release.set()
    for future in (blocker, first, queued["B"]):
        future.result(timeout=10)
    pool.shutdown()
    assert order == ["next page", "B"]
    assert queued["A"].cancelled()
