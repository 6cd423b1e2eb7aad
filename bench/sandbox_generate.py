"""Benchmark: generate a sandbox organization, then advance its clock.

Prints one figure per line (seconds, records per collection, peak RSS) and a final
summary line. Usage: ``python bench/sandbox_generate.py [scale] [seed] [days]``
(defaults: medium 7 1). Never asserts; the budget for ``medium`` is < 60 s, < 2 GB.
"""

from __future__ import annotations

import resource
import sys
import time
from datetime import UTC, datetime, timedelta

from tap_calendly.sandbox.generator import generate_org
from tap_calendly.sandbox.mutations import advance
from tap_calendly.sandbox.store import COLLECTIONS


def peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> None:
    scale = argv[1] if len(argv) > 1 else "medium"
    seed = int(argv[2]) if len(argv) > 2 else 7
    days = int(argv[3]) if len(argv) > 3 else 1
    now = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

    started = time.perf_counter()
    org = generate_org(seed, scale, "http://127.0.0.1:8080", now)
    generate_s = time.perf_counter() - started
    print(f"generate_seconds {generate_s:.2f}")
    total = 0
    for name in COLLECTIONS:
        count = len(org.collections[name])
        total += count
        print(f"records_{name} {count}")
    busy = sum(len(blocks) for blocks in org.external_busy.values())
    print(f"records_external_busy {busy}")
    print(f"generate_records_per_second {total / generate_s:.0f}")
    print(f"peak_rss_mb_after_generate {peak_rss_mb():.0f}")

    started = time.perf_counter()
    changes = advance(org, timedelta(days=days))
    advance_s = time.perf_counter() - started
    print(f"advance_{days}d_seconds {advance_s:.2f}")
    for kind, count in changes.items():
        print(f"advance_{kind} {count}")
    rss = peak_rss_mb()
    print(f"peak_rss_mb {rss:.0f}")
    print(
        f"summary scale={scale} seed={seed} records={total} generate={generate_s:.2f}s "
        f"advance_{days}d={advance_s:.2f}s changes={sum(changes.values())} peak_rss={rss:.0f}MB"
    )


if __name__ == "__main__":
    main(sys.argv)
