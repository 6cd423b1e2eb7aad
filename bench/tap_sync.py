"""Benchmark: full and incremental sync of a sandbox org through the real tap CLI.

The sandbox runs in this process (background threads) with a simulated network
latency and a fixed-window rate limit; the tap runs as a subprocess writing Singer
messages to a file, so its CPU time and peak RSS are measured on their own.

Printed per sync: requests made (and the minimum possible, full sync), wall seconds,
the floor (defined below and printed with the results), the ratio, tap CPU seconds
per 10,000 records, the sandbox's own CPU seconds and peak RSS; then per stream family
(a parent stream and its children, which the tap syncs as one unit) its requests,
wall, floor, ratio and the tap's main-thread CPU (it writes every record, so a family
whose main-thread CPU nears its wall is bound by record output, not requests); then
the incremental/full request ratio, the state size and a summary line.

The floor counts the rate-limit budget actually left. Calendly (and the sandbox)
count requests per token in fixed 60 s windows. A sync that starts in a window an
earlier run (or family) partly used has only what is left of it, while one that
starts in a fresh window may burst above the average rate. The floor is the largest
of three lower bounds, and the printed label says which one it is:

- concurrency: ``requests x latency / max_concurrency`` (no window runs out);
- budget: the earliest the requests can all be answered when each window admits at
  most its budget (what was left of the current window at the start, then the full
  limit per window), still at most ``max_concurrency`` in flight at one latency each;
- latency: the chain of requests that must follow each other (``/users/me`` in the
  run's first family, a parent's pages, then the deepest child: the pages of one
  event's invitees or one form's submissions) times the latency.

Each floor is computed twice: at the configured latency (the sandbox's added sleep)
and at the sandbox's measured mean response time (that sleep plus the sandbox's own
work, e.g. serialising a 1,000-row activity-log page or computing open slots). The
goal, wall <= 1.25 x floor for the run and for every family, is judged against the
second: no client can have an answer before the server has written it, so a floor
at the configured latency alone is one no client could reach, and its ratio grows
with the sandbox's CPU time rather than the tap's.

Window usage comes from the sandbox's own count of admitted requests (recorded by
this script); family start and wall times from the tap's "Finished <stream> in <s> s"
log lines.

    python bench/tap_sync.py                          # medium: ~25,000 requests, ~9 minutes
    python bench/tap_sync.py --scale small            # quick run
    python bench/tap_sync.py --scale wide             # 1,000 members at 100 ms latency
    python bench/tap_sync.py --scale wide --rate 100000   # latency-bound: no rate limit hit
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tap_calendly.sandbox.rate_limit import WINDOW_SECONDS, RateDecision
from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tap_calendly.sandbox.server import SandboxRequestHandler
from tap_calendly.windows import format_api_time, incremental_window_start, parse_datetime

TAP = Path(sys.executable).parent / "tap-calendly"

#: Default latency per scale: the wide org is the per-member fan-out case at 100 ms.
DEFAULT_LATENCY_MS = {"wide": 100.0}

#: Families whose parent lists are independent of each other (each webhook scope is
#: its own list), so their chain is one request, not the sum of the parent's pages.
INDEPENDENT_PARENT_LISTS = {"webhook_subscriptions"}
#: Child streams whose requests for one parent follow each other (the pages of one
#: list). Other children's requests for a parent (availability windows, one list) are
#: independent. ``users`` makes no request per parent (its one request is /users/me,
#: which precedes everything: it is in the chain of the run's first family).
PAGED_CHILDREN = {"event_invitees", "routing_form_submissions"}
NO_REQUEST_CHILDREN = {"users"}

FLOOR_DEFINITION = (
    "floor = the largest of: concurrency = latency x (lead + ceil((requests - lead) / "
    "max_concurrency)), lead = /users/me (first family) + the parent's first page; "
    "budget = earliest completion when each fixed 60 s window admits at most what is "
    "left of its budget (current window at the start, then the full limit), at most "
    "max_concurrency in flight; latency = dependent chain x latency, the chain being "
    "/users/me (first family), the parent's pages, then the deepest child (a form's "
    "submission pages from the ground truth; ceil(requests / parents) for invitees; "
    "else 1). Printed twice: at the "
    "configured latency, and at the sandbox's measured mean response time (latency + "
    "its processing); the goal (wall <= 1.25 x floor) is judged at the measured response"
)

#: The goal for the run and for every family (at the measured response).
GOAL_RATIO = 1.25

_FINISHED = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \| INFO .*?\| "
    r"Finished (?P<name>\S+) in (?P<elapsed>[\d.]+) s \(main thread CPU (?P<cpu>[\d.]+) s\): "
    r"(?P<parts>.*?); rate-limit waits"
)
_PART = re.compile(r"(?P<stream>\w+): (?P<records>\d+) records, (?P<requests>\d+) requests")


@dataclass
class Family:
    """One parent stream and its children, as the tap reported them."""

    name: str
    started: float  # epoch seconds
    wall: float
    requests_by_stream: dict[str, int]
    records_by_stream: dict[str, int]
    main_cpu: float  # the tap's main thread (it writes every record)


@dataclass
class SyncFigures:
    requests: int
    records: int
    wall: float
    started: float  # epoch seconds
    cpu: float
    sandbox_cpu: float  # this process: the sandbox serving the tap
    peak_rss_mb: float
    state: dict[str, Any]
    families: list[Family] = field(default_factory=list)


class ServerLog:
    """What the sandbox saw: each admitted request's time and each request's service time.

    Wraps the sandbox limiter's ``hit`` (to know how much of the current window was
    used when a sync or a family starts) and the request handler (to know how long the
    sandbox took to answer: the configured latency plus its own processing, which on a
    loaded machine can be much more than the latency).
    """

    def __init__(self, sandbox: Sandbox, token: str) -> None:
        self.limit = sandbox.app.limiter.limit
        self.admitted: list[float] = []
        self.spans: list[tuple[float, float]] = []
        self._lock = threading.Lock()
        limiter = sandbox.app.limiter
        hit = limiter.hit

        def recording_hit(key: str) -> RateDecision:
            decision = hit(key)
            if key == token and decision.allowed:
                with self._lock:
                    self.admitted.append(time.time())
            return decision

        limiter.hit = recording_hit  # type: ignore[method-assign]
        handle = SandboxRequestHandler._api

        def timed(
            handler: SandboxRequestHandler, method: str, path: str, query: str, body: bytes
        ) -> None:
            started = time.time()
            try:
                handle(handler, method, path, query, body)
            finally:
                with self._lock:
                    self.spans.append((started, time.time()))

        SandboxRequestHandler._api = timed  # type: ignore[method-assign,assignment]

    def budget_at(self, moment: float) -> tuple[int, float]:
        """(requests left, seconds left) in the window open at ``moment``."""
        with self._lock:
            times = [t for t in self.admitted if t < moment]
        window_start: float | None = None
        used = 0
        for t in times:  # the sandbox's rule: a window starts at its first request
            if window_start is None or t - window_start >= WINDOW_SECONDS:
                window_start, used = t, 0
            used += 1
        if window_start is None or moment - window_start >= WINDOW_SECONDS:
            return self.limit, WINDOW_SECONDS
        return self.limit - used, window_start + WINDOW_SECONDS - moment

    def admitted_between(self, start: float, end: float) -> int:
        with self._lock:
            return sum(1 for t in self.admitted if start <= t <= end)

    def mean_response(self, start: float, end: float) -> float | None:
        """Mean seconds the sandbox took per request begun in [start, end]."""
        with self._lock:
            spans = [b - a for a, b in self.spans if start <= a <= end]
        return sum(spans) / len(spans) if spans else None


@dataclass(frozen=True)
class Work:
    """A sync's or a family's requests, as the floor sees them."""

    requests: int
    #: Requests that must be answered before any other can be sent (/users/me, the
    #: first page of the parent list).
    lead: int
    #: The longest run of requests that must follow each other.
    chain: int
    started: float  # epoch seconds


def budget_bound(requests: int, budget: int, window_left: float, limit: int, speed: float) -> float:
    """Earliest completion of ``requests`` at ``speed`` req/s under fixed windows."""
    elapsed, left, span = 0.0, float(requests), window_left
    while True:
        can = min(budget, speed * span)
        if left <= can:
            return elapsed + left / speed
        left -= can
        elapsed += span
        budget, span = limit, WINDOW_SECONDS


def floor_seconds(
    work: Work, server: ServerLog, latency: float, concurrency: int
) -> tuple[float, str]:
    """The floor for ``work`` at ``latency`` seconds per request, and its binding bound."""
    budget, window_left = server.budget_at(work.started)
    rest = max(work.requests - work.lead, 0)
    bounds = {
        "concurrency": latency * (work.lead + math.ceil(rest / concurrency)),
        "budget": budget_bound(
            work.requests, budget, window_left, server.limit, concurrency / max(latency, 1e-6)
        ),
        "latency": latency * work.chain,
    }
    name = max(bounds, key=lambda key: bounds[key])
    return bounds[name], name


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pages(n: int, size: int = 100) -> int:
    return max(1, math.ceil(n / size))


def minimum_requests(truth: dict[str, list[dict[str, Any]]], horizon_days: int = 14) -> int:
    """The fewest requests a complete full sync can make (see tests/tap/test_requests.py)."""
    users = len(truth["organization_memberships"])
    invitees = Counter(i["event"] for i in truth["event_invitees"])
    submissions = Counter(s["routing_form"] for s in truth["routing_form_submissions"])
    hooks = truth["webhook_subscriptions"]
    user_hooks = Counter(h["user"] for h in hooks if h["scope"] == "user")
    member_uris = [m["user"]["uri"] for m in truth["organization_memberships"]]
    return (
        1
        + pages(users)
        + pages(len(truth["organization_invitations"]))
        + pages(len(truth["groups"]))
        + pages(len(truth["event_types"]))
        + sum(1 for t in truth["event_types"] if t["active"]) * math.ceil(horizon_days / 31)
        + pages(len(truth["scheduled_events"]))
        + sum(pages(invitees[e["uri"]]) for e in truth["scheduled_events"])
        + pages(len(truth["routing_forms"]))
        + sum(pages(submissions[f["uri"]]) for f in truth["routing_forms"])
        + pages(len(truth["activity_log_entries"]), 1000)
        + users * math.ceil(horizon_days / 7)
        + users
        + pages(sum(1 for h in hooks if h["scope"] == "organization"))
        + sum(pages(user_hooks[u]) for u in member_uris)
    )


def families_from_log(log: str) -> list[Family]:
    """The tap's per-family "Finished" lines (start = log time - elapsed)."""
    found = []
    for line in log.splitlines():
        match = _FINISHED.match(line)
        if not match:
            continue
        logged = datetime.strptime(match["at"], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        elapsed = float(match["elapsed"])
        parts = list(_PART.finditer(match["parts"]))
        found.append(
            Family(
                match["name"],
                logged - elapsed,
                elapsed,
                {p["stream"]: int(p["requests"]) for p in parts},
                {p["stream"]: int(p["records"]) for p in parts},
                float(match["cpu"]),
            )
        )
    return found


def run_tap(sandbox: Sandbox, workdir: Path, name: str, config: dict[str, Any],
            state: dict[str, Any] | None) -> SyncFigures:  # fmt: skip
    config_file = workdir / f"{name}-config.json"
    config_file.write_text(json.dumps(config))
    args = [str(TAP), "--config", str(config_file)]
    if state:
        state_file = workdir / f"{name}-state.json"
        state_file.write_text(json.dumps(state))
        args += ["--state", str(state_file)]
    out_path = workdir / f"{name}.jsonl"
    err_path = workdir / f"{name}.log"
    sandbox.reset_counts()
    started_epoch = time.time()
    started = time.monotonic()
    sandbox_cpu = time.process_time()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        pid = os.posix_spawn(args[0], args, dict(os.environ), file_actions=[
            (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
            (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
        ])  # fmt: skip
        # ru_maxrss of a spawned child includes the parent's image before exec (and
        # this process holds the whole sandbox), so peak RSS is read from the tap's
        # own /proc status (VmHWM, the post-exec high-water mark) while it runs.
        peak_kb = 0
        while True:
            peak_kb = max(peak_kb, _vm_hwm_kb(pid))
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.2)
    wall = time.monotonic() - started
    sandbox_cpu = time.process_time() - sandbox_cpu
    log = err_path.read_text(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"tap failed ({name}):\n" + "\n".join(log.splitlines()[-5:]))
    records = 0
    last_state: dict[str, Any] = {}
    with out_path.open("rb") as handle:
        for line in handle:
            if line.startswith(b'{"type":"RECORD"'):
                records += 1
            elif line.startswith(b'{"type":"STATE"'):
                last_state = json.loads(line)["value"]
    return SyncFigures(
        requests=sum(sandbox.request_counts().values()),
        records=records,
        wall=wall,
        started=started_epoch,
        cpu=usage.ru_utime + usage.ru_stime,
        sandbox_cpu=sandbox_cpu,
        peak_rss_mb=peak_kb / 1024,
        state=last_state,
        families=families_from_log(log),
    )


def submission_chain(truth: dict[str, list[dict[str, Any]]], bookmark: str | None,
                     lookback_days: float) -> int:  # fmt: skip
    """Pages the form with the most submissions to read needs, one after another.

    Submissions are read newest first and, on an incremental run, up to the first page
    that reaches the re-read window (the tap's rule, from the ground truth).
    """
    window = incremental_window_start(
        start_date=None, bookmark=bookmark, lookback_days=lookback_days
    )
    cut = format_api_time(window) if window else None
    by_form: dict[str, list[str]] = defaultdict(list)
    for row in truth["routing_form_submissions"]:
        by_form[row["routing_form"]].append(format_api_time(parse_datetime(row["created_at"])))
    deepest = 0
    for form in truth["routing_forms"]:
        created = sorted(by_form[form["uri"]], reverse=True)
        needed = pages(len(created))
        if cut is not None:
            for page in range(needed):
                if created and created[min((page + 1) * 100, len(created)) - 1] < cut:
                    needed = page + 1
                    break
        deepest = max(deepest, needed)
    return deepest


def family_work(
    family: Family, server: ServerLog, child_chains: dict[str, int], *, first: bool
) -> Work:
    """The family's requests, lead and chain (see ``FLOOR_DEFINITION``).

    ``child_chains`` gives a child stream's longest run of requests for one parent
    where it is known from the ground truth; otherwise it is estimated from below.
    """
    parent = family.requests_by_stream.get(family.name, 0)
    independent = family.name in INDEPENDENT_PARENT_LISTS
    serial = min(parent, 1) if independent else parent
    parents = max(family.records_by_stream.get(family.name, 0), 1)
    depth = 0
    for stream, requests in family.requests_by_stream.items():
        if stream == family.name or stream in NO_REQUEST_CHILDREN or not requests:
            continue
        estimate = math.ceil(requests / parents) if stream in PAGED_CHILDREN else 1
        depth = max(depth, child_chains.get(stream, estimate))
    owner = 1 if first else 0
    return Work(
        requests=server.admitted_between(family.started, family.started + family.wall),
        lead=owner + (0 if independent else min(parent, 1)),
        chain=owner + serial + depth,
        started=family.started,
    )


@dataclass(frozen=True)
class Ratio:
    """Wall against the floor at the configured latency and at the measured response."""

    configured: float
    measured: float
    text: str


def judge(work: Work, wall: float, end: float, server: ServerLog, latency: float,
          concurrency: int) -> Ratio:  # fmt: skip
    floor, bound = floor_seconds(work, server, latency, concurrency)
    response = server.mean_response(work.started, end) or latency
    measured_floor, measured_bound = floor_seconds(work, server, response, concurrency)
    configured = wall / floor if floor else math.nan
    measured = wall / measured_floor if measured_floor else math.nan
    verdict = "met" if measured <= GOAL_RATIO else "NOT met"
    return Ratio(
        configured,
        measured,
        f"floor {floor:.2f} s ({bound}) x{configured:.3f} | at the measured response "
        f"{response * 1000:.0f} ms: floor {measured_floor:.2f} s ({measured_bound}) "
        f"x{measured:.3f}, goal x{GOAL_RATIO} {verdict}",
    )


def report(name: str, figures: SyncFigures, server: ServerLog, latency: float,
           concurrency: int, child_chains: dict[str, int]) -> str:  # fmt: skip
    """Print the run's and each family's figures; return them in short for the summary."""
    works = [
        family_work(family, server, child_chains, first=index == 0)
        for index, family in enumerate(figures.families)
    ]
    run = Work(
        requests=figures.requests,
        lead=1,
        chain=max((w.chain for w in works), default=1),
        started=figures.started,
    )
    overall = judge(run, figures.wall, figures.started + figures.wall, server, latency, concurrency)
    budget, window_left = server.budget_at(figures.started)
    cpu_per_10k = figures.cpu / max(figures.records, 1) * 10_000
    print(f"{name}.requests {figures.requests}")
    print(f"{name}.records {figures.records}")
    print(f"{name}.budget_left_at_start {budget} requests, {window_left:.1f} s of the window")
    print(f"{name}.wall_seconds {figures.wall:.1f}")
    print(f"{name}.wall_to_floor {overall.text}")
    print(f"{name}.tap_cpu_seconds {figures.cpu:.1f}")
    print(f"{name}.sandbox_cpu_seconds {figures.sandbox_cpu:.1f}")
    print(f"{name}.cpu_seconds_per_10k_records {cpu_per_10k:.2f}")
    print(f"{name}.peak_rss_mb {figures.peak_rss_mb:.0f}")
    worst: tuple[str, Ratio] | None = None
    missed = [] if overall.measured <= GOAL_RATIO else ["whole run"]
    for family, work in zip(figures.families, works, strict=True):
        end = family.started + family.wall
        ratio = judge(work, family.wall, end, server, latency, concurrency)
        if worst is None or ratio.measured > worst[1].measured:
            worst = (family.name, ratio)
        if ratio.measured > GOAL_RATIO:
            missed.append(family.name)
        print(
            f"{name}.family.{family.name} requests {work.requests} wall {family.wall:.2f} s "
            f"| {ratio.text} | main-thread CPU {family.main_cpu:.2f} s"
        )
    sys.stdout.flush()
    short = (
        f"{figures.requests} req, {figures.wall:.0f}s, x{overall.measured:.2f} floor "
        f"(x{overall.configured:.2f} at the configured latency)"
    )
    if worst is not None:
        worst_name, ratio = worst
        short += (
            f", worst family {worst_name} x{ratio.measured:.2f} "
            f"(x{ratio.configured:.2f} at the configured latency)"
        )
    short += f", goal x{GOAL_RATIO} " + (f"NOT met: {', '.join(missed)}" if missed else "met")
    return short


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--latency-ms", type=float, default=None, help="default 100 for wide, else 50"
    )
    parser.add_argument("--rate", type=int, default=3000, help="sandbox requests per minute")
    parser.add_argument("--max-concurrency", type=int, default=8)
    parser.add_argument("--lookback-days", type=float, default=30)
    parser.add_argument("--workdir", type=Path, default=None)
    opts = parser.parse_args()
    latency_ms = opts.latency_ms
    if latency_ms is None:
        latency_ms = DEFAULT_LATENCY_MS.get(opts.scale, 50.0)

    settings = SandboxSettings(
        seed=opts.seed,
        scale=opts.scale,
        rate_limit_per_minute=opts.rate,
        latency_ms=latency_ms,
        webhooks=False,
    )
    workdir = opts.workdir or Path(tempfile.mkdtemp(prefix="tap-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    with Sandbox(settings).start() as sandbox:
        server = ServerLog(sandbox, sandbox.admin_token)
        truth = sandbox.ground_truth()
        minimum = minimum_requests(truth)
        config = {
            "personal_access_token": sandbox.admin_token,
            "api_url": sandbox.url,
            "max_concurrency": opts.max_concurrency,
            "lookback_days": opts.lookback_days,
        }
        print(f"scale {opts.scale}")
        print(f"latency_ms {latency_ms:g}")
        print(f"rate_per_minute {opts.rate}")
        print(f"max_concurrency {opts.max_concurrency}")
        print(f"floor_definition {FLOOR_DEFINITION}")
        print(f"minimum_requests {minimum}")
        full = run_tap(sandbox, workdir, "full", config, None)
        chains = {"routing_form_submissions": submission_chain(truth, None, opts.lookback_days)}
        full_worst = report("full", full, server, latency_ms / 1000, opts.max_concurrency, chains)
        print(f"full.requests_over_minimum {full.requests / minimum - 1:+.2%}")
        sandbox.advance(timedelta(days=1))
        bookmark = full.state.get("bookmarks", {}).get("routing_form_submissions", {})
        chains = {
            "routing_form_submissions": submission_chain(
                sandbox.ground_truth(), bookmark.get("replication_key_value"), opts.lookback_days
            )
        }
        incremental = run_tap(sandbox, workdir, "incremental", config, full.state)
        inc_worst = report(
            "incremental", incremental, server, latency_ms / 1000, opts.max_concurrency, chains
        )
        share = incremental.requests / full.requests
        print(f"incremental.share_of_full_requests {share:.1%}")
        print(f"state_bytes {len(json.dumps(incremental.state))}")
    print(
        f"summary scale={opts.scale} latency={latency_ms:g}ms rate={opts.rate}/min "
        f"full: {full_worst} ({full.requests / minimum - 1:+.1%} vs min); "
        f"incremental: {inc_worst} ({share:.0%} of full); "
        f"peak RSS {max(full.peak_rss_mb, incremental.peak_rss_mb):.0f} MB; "
        f"CPU {full.cpu / max(full.records, 1) * 10_000:.2f}s/10k records"
    )


if __name__ == "__main__":
    main()
