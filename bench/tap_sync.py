"""Benchmark: full and incremental sync of a sandbox org through the real tap CLI.

The sandbox runs in this process (background threads) with a simulated network
latency and a per-minute rate limit; the tap runs as a subprocess writing Singer
messages to a file, so its CPU time and peak RSS are measured on their own.

Printed per sync: requests made, the minimum possible (from the ground truth, full
sync only), wall seconds, the floor ``max(requests / rate, requests * latency /
max_concurrency)``, the ratio to the floor, tap CPU seconds per 10,000 records and
peak RSS. Then the incremental/full request ratio and a summary line.

    python bench/tap_sync.py                 # medium: ~25,000 requests, ~9 minutes
    python bench/tap_sync.py --scale small   # quick run
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from tap_calendly.sandbox.runner import Sandbox, SandboxSettings

TAP = Path(sys.executable).parent / "tap-calendly"


@dataclass
class SyncFigures:
    requests: int
    records: int
    wall: float
    cpu: float
    peak_rss_mb: float
    state: dict[str, Any]


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
    """The fewest requests a complete full sync can make (see tests/tap/test_tap_requests.py)."""
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
    started = time.monotonic()
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
    if os.waitstatus_to_exitcode(status) != 0:
        tail = err_path.read_text(errors="replace").splitlines()[-5:]
        raise SystemExit(f"tap failed ({name}):\n" + "\n".join(tail))
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
        cpu=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=peak_kb / 1024,
        state=last_state,
    )


def report(name: str, figures: SyncFigures, rate: float, latency_ms: float,
           concurrency: int) -> float:  # fmt: skip
    floor = max(figures.requests / (rate / 60), figures.requests * latency_ms / 1000 / concurrency)
    ratio = figures.wall / floor if floor else float("nan")
    cpu_per_10k = figures.cpu / max(figures.records, 1) * 10_000
    print(f"{name}.requests {figures.requests}")
    print(f"{name}.records {figures.records}")
    print(f"{name}.wall_seconds {figures.wall:.1f}")
    print(f"{name}.floor_seconds {floor:.1f}")
    print(f"{name}.wall_to_floor {ratio:.3f}")
    print(f"{name}.tap_cpu_seconds {figures.cpu:.1f}")
    print(f"{name}.cpu_seconds_per_10k_records {cpu_per_10k:.2f}")
    print(f"{name}.peak_rss_mb {figures.peak_rss_mb:.0f}")
    sys.stdout.flush()
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--rate", type=int, default=3000, help="sandbox requests per minute")
    parser.add_argument("--max-concurrency", type=int, default=8)
    parser.add_argument("--lookback-days", type=float, default=30)
    parser.add_argument("--workdir", type=Path, default=None)
    opts = parser.parse_args()

    settings = SandboxSettings(
        seed=opts.seed,
        scale=opts.scale,
        rate_limit_per_minute=opts.rate,
        latency_ms=opts.latency_ms,
        webhooks=False,
    )
    workdir = opts.workdir or Path(tempfile.mkdtemp(prefix="tap-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    with Sandbox(settings).start() as sandbox:
        truth = sandbox.ground_truth()
        minimum = minimum_requests(truth)
        config = {
            "personal_access_token": sandbox.admin_token,
            "api_url": sandbox.url,
            "max_concurrency": opts.max_concurrency,
            "lookback_days": opts.lookback_days,
        }
        print(f"scale {opts.scale}")
        print(f"minimum_requests {minimum}")
        full = run_tap(sandbox, workdir, "full", config, None)
        full_ratio = report("full", full, opts.rate, opts.latency_ms, opts.max_concurrency)
        print(f"full.requests_over_minimum {full.requests / minimum - 1:+.2%}")
        sandbox.advance(timedelta(days=1))
        incremental = run_tap(sandbox, workdir, "incremental", config, full.state)
        inc_ratio = report(
            "incremental", incremental, opts.rate, opts.latency_ms, opts.max_concurrency
        )
        share = incremental.requests / full.requests
        print(f"incremental.share_of_full_requests {share:.1%}")
        print(f"state_bytes {len(json.dumps(incremental.state))}")
    print(
        f"summary scale={opts.scale} full={full.requests} req ({full.requests / minimum - 1:+.1%} "
        f"vs min) {full.wall:.0f}s x{full_ratio:.2f} floor; incremental={incremental.requests} "
        f"req ({share:.0%} of full) {incremental.wall:.0f}s x{inc_ratio:.2f} floor; "
        f"peak RSS {max(full.peak_rss_mb, incremental.peak_rss_mb):.0f} MB; "
        f"CPU {full.cpu / max(full.records, 1) * 10_000:.2f}s/10k records"
    )


if __name__ == "__main__":
    main()
