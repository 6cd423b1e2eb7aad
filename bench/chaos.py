"""Chaos benchmark: the reliability suite's end-to-end checks at full size.

For each seed: a sandbox org, a full sync and incremental days (the clock advanced a
day each) with about 10% of responses faulted (429 bursts with reset headers,
500/502/503, resets, stalls past the timeout, truncated bodies); after every sync,
DuckDB is compared with the sandbox's ground truth. Then kill -9 of the tap and of the
loader (alternately) at random points of a sync, each resumed from the loader's last
STATE and compared with a clean sync.

Prints one line per sync and per kill, then seeds run, faults injected, kills, rows
compared and a last line ``mismatches: N`` (0 when everything held). Exit status 1 if
N > 0.

    python bench/chaos.py                        # 5 seeds, 20 kill points
    python bench/chaos.py --seeds 2 --kills 3    # what `make test` runs, roughly
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the harness lives with the tests
    sys.path.insert(0, str(ROOT))

from tap_calendly.sandbox.runner import Sandbox, SandboxSettings  # noqa: E402
from tests.reliability.e2e import (  # noqa: E402
    chaos_run,
    clean_sync,
    compare_with_truth,
    kill_and_resume,
    kill_points,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="chaos seeds (default 5)")
    parser.add_argument("--first-seed", type=int, default=1, help="first seed (default 1)")
    parser.add_argument("--kills", type=int, default=20, help="kill points (default 20)")
    parser.add_argument("--scale", default="small", help="sandbox scale (default small)")
    parser.add_argument(
        "--days-back", type=float, default=60, help="history synced, days (default 60)"
    )
    parser.add_argument("--days", type=int, default=3, help="incremental days (default 3)")
    parser.add_argument(
        "--fault-rate", type=float, default=0.10, help="share of faulted requests (default 0.10)"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    faults: Counter[str] = Counter()
    rows = 0
    mismatches = 0
    syncs = 0
    with tempfile.TemporaryDirectory(prefix="chaos-") as scratch:
        work = Path(scratch)
        seeds = list(range(args.first_seed, args.first_seed + args.seeds))
        for seed in seeds:
            folder = work / f"seed-{seed}"
            folder.mkdir()
            for done in chaos_run(
                seed,
                folder,
                scale=args.scale,
                days_back=args.days_back,
                incremental_rounds=args.days,
                fault_rate=args.fault_rate,
            ):
                syncs += 1
                faults.update(done.injected)
                rows += done.comparison.rows_compared
                bad = done.comparison.mismatches + (done.loader_code != 0)
                mismatches += bad
                print(
                    f"seed {seed} {done.name:>5}: {done.requests} requests, "
                    f"{sum(done.injected.values())} faults, {done.throttled} 429s waited out, "
                    f"{done.records} records, {done.comparison.rows_compared} rows compared, "
                    f"{bad} mismatches",
                    flush=True,
                )
                for example in done.comparison.examples:
                    print(f"    {example}")
        kills = 0
        if args.kills:
            settings = SandboxSettings(
                seed=seeds[0], scale=args.scale, rate_limit_per_minute=10**6, webhooks=False
            )
            folder = work / "kills"
            folder.mkdir()
            with Sandbox(settings) as sandbox:
                clean = clean_sync(sandbox, folder, days_back=min(args.days_back, 10))
                truth = sandbox.ground_truth()
                check = compare_with_truth(
                    clean.database, truth, since=clean.since, window=clean.since
                )
                rows += check.rows_compared
                mismatches += check.mismatches
                for number, after in enumerate(kill_points(clean.lines, args.kills, seeds[0])):
                    victim = "tap" if number % 2 == 0 else "loader"
                    result = kill_and_resume(clean, victim, after, folder)
                    kills += 1
                    mismatches += 0 if result.ok else 1
                    print(
                        f"kill -9 {victim:>6} after line {after:>6} of {clean.lines}: resumed "
                        f"from {'a' if result.killed.last_state else 'no'} STATE, "
                        f"{'equal to' if result.ok else 'DIFFERENT from'} a clean sync"
                        + (f" {result.differences}" if result.differences else ""),
                        flush=True,
                    )
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(faults.items()))
    print(f"seeds run: {len(seeds)} ({', '.join(map(str, seeds))}); syncs: {syncs}")
    print(f"faults injected: {sum(faults.values())} ({kinds})")
    print(f"kills: {kills}")
    print(f"rows compared: {rows}")
    print(f"seconds: {time.monotonic() - started:.0f}")
    print(f"mismatches: {mismatches}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
