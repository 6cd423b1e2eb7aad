"""``python -m tap_calendly.demo``: the end-to-end demo behind ``make demo``.

Steps: fresh demo database -> sandbox up -> full sync through Meltano -> advance the
simulated clock -> incremental sync and ``dbt build`` (the ``calendly-to-duckdb`` job) ->
sandbox down (always) -> report from the dbt marts. Re-running is safe: the database is
recreated and the first sync runs with ``--full-refresh``, so Meltano state left by an
earlier run is ignored (and replaced).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from tap_calendly.demo.meltano_runner import pipeline_env, run_meltano
from tap_calendly.demo.report import SyncStats, render
from tap_calendly.demo.sandbox_process import DemoError, SandboxProcess

JOB = "calendly-to-duckdb"  # tap-calendly target-calendly-duckdb, then dbt-duckdb:build
FULL_SYNC = ["tap-calendly", "target-calendly-duckdb"]
STATE_ID = "dev:tap-calendly-to-target-calendly-duckdb"
#: The demo's sandbox allows more than Calendly's 500 requests/minute so that the full
#: two-year history (about 2,100 requests, one per event for its invitees) syncs in
#: seconds rather than four-plus minutes; the tap paces itself from the same
#: X-RateLimit headers either way.
DEMO_RATE_LIMIT = 6000


def _say(line: str = "") -> None:
    print(line, flush=True)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    root = Path.cwd()
    parser = argparse.ArgumentParser(
        prog="python -m tap_calendly.demo",
        description="Sync a synthetic Calendly org from the local sandbox into DuckDB "
        "through Meltano (full, then incremental) and print a report.",
    )
    parser.add_argument("--project-dir", type=Path, default=root, help="holds meltano.yml")
    parser.add_argument(
        "--meltano",
        type=Path,
        default=None,
        help="meltano executable (default: <project>/.venv-meltano/bin/meltano)",
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=None,
        help="DuckDB file, deleted and recreated on each run (default calendly_dev.duckdb)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", default="small")
    parser.add_argument("--advance-days", type=int, default=1)
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=int(os.environ.get("DEMO_RATE_LIMIT", str(DEMO_RATE_LIMIT))),
        help=f"sandbox requests/minute per token (default {DEMO_RATE_LIMIT}; Calendly's is 500)",
    )
    parser.add_argument(
        "--start-date",
        default=os.environ.get("DEMO_START_DATE") or None,
        help="tap start_date (default: the tap's own)",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="logs (default output/demo)")
    return parser.parse_args(argv)


def _stopwatch() -> Callable[[], float]:
    started = time.monotonic()
    return lambda: time.monotonic() - started


def run(args: argparse.Namespace) -> str:
    project = args.project_dir.resolve()
    if not (project / "meltano.yml").is_file():
        raise DemoError(f"no meltano.yml in {project}; run the demo from the repository root")
    meltano = (args.meltano or project / ".venv-meltano" / "bin" / "meltano").resolve()
    if not meltano.is_file():
        raise DemoError(f"Meltano not found at {meltano}; run `make demo` (it installs it)")
    database = (args.database or project / "calendly_dev.duckdb").resolve()
    if database.stem.lower() == "calendly":
        raise DemoError(
            f"{database.name}: DuckDB would name the database like the schema 'calendly' "
            "and could not resolve calendly.<table>; choose another file name"
        )
    workdir = (args.workdir or project / "output" / "demo").resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    for stale in (database, database.with_name(database.name + ".wal")):
        stale.unlink(missing_ok=True)

    elapsed = _stopwatch()
    syncs: list[SyncStats] = []
    sandbox = SandboxProcess(
        ready_file=workdir / "sandbox.json",
        seed=args.seed,
        scale=args.scale,
        rate_limit=args.rate_limit,
        log_file=workdir / "sandbox.log",
    )
    with sandbox:
        info = sandbox.control_info()
        _say(
            f"sandbox: {sandbox.url}  (seed {args.seed}, scale {args.scale}, "
            f"simulated now {info.get('now', '?')})"
        )
        extra = {"TAP_CALENDLY_START_DATE": args.start_date} if args.start_date else None
        env = pipeline_env(
            os.environ,
            api_url=sandbox.url,
            token=sandbox.admin_token,
            database=database,
            extra=extra,
        )

        seen = {"total": -1, "said_at": 0.0}

        def heartbeat() -> str | None:
            """A line for quiet stretches: requests so far, or that the tap is waiting."""
            try:
                total = sum(sandbox.stats().values())
            except DemoError:
                return None
            now = time.monotonic()
            if total != seen["total"]:
                seen.update(total=total, said_at=now)
                return f"    ... {total:,} API requests so far"
            if now - seen["said_at"] < 20:
                return None
            seen["said_at"] = now
            return f"    ... still {total:,} requests: the tap is pacing itself (rate limit)"

        # The full sync loads only; the incremental one runs the whole job, so dbt builds
        # the marts once, with "now" set to the sandbox's simulated clock.
        for label, run_args in (("full", ["--full-refresh", *FULL_SYNC]), ("incremental", [JOB])):
            if label == "incremental":
                changes = sandbox.advance(days=args.advance_days)
                summary = ", ".join(
                    f"{k.replace('_', ' ')} {v}" for k, v in sorted(changes.items()) if v
                )
                _say(f"advanced the sandbox clock {args.advance_days} day(s): {summary or '-'}")
                env["CALENDLY_AS_OF"] = str(sandbox.control_info().get("now", ""))
            sandbox.reset_stats()
            _say(f"[{elapsed():5.1f}s] {label} sync: meltano run {' '.join(run_args)}")
            result = run_meltano(
                meltano,
                ["--environment", "dev", "run", *run_args],
                project_dir=project,
                env=env,
                log_file=workdir / f"meltano-{label}.log",
                emit=_say,
                heartbeat=heartbeat,
            )
            syncs.append(SyncStats(label, result.seconds, sandbox.stats(), result.records))
            what = "sync and dbt build" if label == "incremental" else "sync"
            _say(
                f"[{elapsed():5.1f}s] {label} {what} done in {result.seconds:.1f}s: "
                f"{syncs[-1].total_requests:,} requests, {sum(result.records.values()):,} records"
            )
        as_of = _sandbox_now(sandbox.control_info().get("now"))
    _say(f"[{elapsed():5.1f}s] sandbox stopped; Meltano state id: {STATE_ID}")

    try:
        with duckdb.connect(str(database), read_only=True) as con:
            report = render(con, as_of=as_of, syncs=syncs)
    except (duckdb.Error, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DemoError(f"reading {database.name} failed: {first}") from None
    _say(f"[{elapsed():5.1f}s] done; database: {database}")
    return report


def _sandbox_now(value: object) -> datetime:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            pass
    return datetime.now(UTC)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        report = run(args)
    except DemoError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("demo interrupted; the sandbox was stopped", file=sys.stderr)
        return 130
    _say()
    _say(report)
    return 0
