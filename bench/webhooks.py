"""Webhook receiver and apply: throughput, acknowledge latency, delivery-to-visible.

Starts ``python -m tap_calendly.webhooks serve`` as a child process (one process, as
deployed) and drives it over loopback with a small asyncio HTTP/1.1 client sending
realistic invitee deliveries (payloads from the sandbox generator, about 4 KB, signed):

1. sustained verified deliveries/s into the journal: ``--deliveries`` distinct deliveries
   on ``--connections`` keep-alive connections, as fast as the receiver acknowledges
   (every one checked in the journal afterwards);
2. acknowledge latency at a fixed rate (``--rate``/s for ``--seconds``), measured from
   each delivery's scheduled send time, so queueing counts;
3. apply: the backlog merged into DuckDB tables made by the loader from the tap's
   schemas; then delivery-to-visible latency: POST one delivery, run apply, SELECT the
   row; in-process and through the ``apply`` command (a new process each time).

Prints one figure per line and a summary line. Goals: >= 1,000 deliveries/s,
p99 < 50 ms at 200/s, visible < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson

from tap_calendly.loader.cli import run as run_loader
from tap_calendly.sandbox.generator import generate_org
from tap_calendly.sandbox.store import format_ts
from tap_calendly.tap import TapCalendly
from tap_calendly.webhooks.apply import apply_journal
from tap_calendly.webhooks.journal import Journal
from tap_calendly.webhooks.signature import HEADER, sign

KEY = "bench-signing-key"
TABLES = ("scheduled_events", "event_invitees", "routing_form_submissions")


# -- payloads -------------------------------------------------------------------------


class Payloads:
    """Distinct invitee deliveries built from real-looking sandbox records."""

    def __init__(self) -> None:
        org = generate_org(7, "small", "https://api.calendly.com", datetime.now(UTC))
        self.events = org.collections["scheduled_events"]
        self.invitees = list(org.collections["event_invitees"].values())[:200]
        self.counter = 0
        self.base = datetime.now(UTC)

    def body(self) -> tuple[str, bytes]:
        self.counter += 1
        template = self.invitees[self.counter % len(self.invitees)]
        uri = f"{template['event']}/invitees/BENCH{self.counter:09d}"
        stamp = format_ts(self.base + timedelta(microseconds=self.counter))
        payload = {
            **template,
            "uri": uri,
            "updated_at": stamp,
            "scheduled_event": self.events[template["event"]],
        }
        envelope = {
            "event": "invitee.created",
            "created_at": stamp,
            "created_by": "https://api.calendly.com/users/BENCH",
            "payload": payload,
        }
        return uri, orjson.dumps(envelope)


def request(body: bytes) -> bytes:
    signature = sign(KEY, int(time.time()), body)
    head = (
        "POST /calendly HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{HEADER}: {signature}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


# -- a minimal keep-alive HTTP client --------------------------------------------------


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, data: bytes) -> int:
        self.writer.write(data)
        status = int((await self.reader.readline())[9:12])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


async def flood(port: int, requests: list[bytes], connections: int) -> tuple[float, list[int]]:
    """Send everything as fast as acknowledged; (seconds, statuses)."""
    pool = [await Connection.open(port) for _ in range(connections)]
    queue = list(reversed(requests))
    statuses: list[int] = []

    async def worker(conn: Connection) -> None:
        while queue:
            statuses.append(await conn.send(queue.pop()))

    start = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in pool))
    elapsed = time.perf_counter() - start
    for conn in pool:
        conn.close()
    return elapsed, statuses


async def paced(port: int, requests: list[bytes], rate: float) -> list[float]:
    """Open-loop sending at ``rate``/s; latency from each scheduled send time (ms)."""
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(32):
        idle.put_nowait(await Connection.open(port))
    latencies: list[float] = []
    start = time.perf_counter()

    async def one(index: int, data: bytes) -> None:
        due = start + index / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        conn = await idle.get()
        status = await conn.send(data)
        latencies.append((time.perf_counter() - due) * 1000)
        idle.put_nowait(conn)
        if status != 200:
            raise RuntimeError(f"delivery answered {status}")

    await asyncio.gather(*(one(i, d) for i, d in enumerate(requests)))
    while not idle.empty():
        idle.get_nowait().close()
    return latencies


# -- receiver and database -------------------------------------------------------------


class Receiver:
    def __init__(self, journal: Path) -> None:
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "tap_calendly.webhooks", "serve", "--port", "0"),
                *("--journal", str(journal), "--log-level", "warning"),
            ],
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "TAP_CALENDLY_WEBHOOK_SIGNING_KEY": KEY},
        )
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if found:
                self.port = int(found.group(1))
                return
        raise SystemExit("the receiver did not start: " + self.proc.stderr.read())

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=10) as r:
            return dict(json.loads(r.read()))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.communicate(timeout=30)


def loader_tables(database: Path, work: Path) -> None:
    """Empty tables exactly as the loader creates them from the tap's SCHEMA messages."""
    tap = TapCalendly(config={}, validate_config=False, setup_mapper=False)
    lines = []
    for name in TABLES:
        stream = tap.streams[name]
        lines.append(
            {"type": "SCHEMA", "stream": name, "schema": stream.schema, "key_properties": ["uri"]}
        )
    source = work / "schemas.singer"
    source.write_text("".join(json.dumps(m) + "\n" for m in lines))
    config = work / "target.json"
    config.write_text(json.dumps({"database": str(database)}))
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = run_loader(["--config", str(config), "--input", str(source)])
    if code:
        raise SystemExit("the loader could not create the tables")


def visible(database: Path, uri: str) -> bool:
    with duckdb.connect(str(database), read_only=True) as con:
        row = con.execute(
            "SELECT count(*) FROM calendly.event_invitees WHERE uri = ?", [uri]
        ).fetchone()
    return bool(row and row[0])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- main --------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--visible-samples", type=int, default=20)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    try:
        payloads = Payloads()
        journal = work / "journal"
        receiver = Receiver(journal)
        try:
            bodies = [payloads.body() for _ in range(args.deliveries)]
            size = statistics.mean(len(b) for _, b in bodies)
            reqs = [request(b) for _, b in bodies]
            elapsed, statuses = asyncio.run(flood(receiver.port, reqs, args.connections))
            bad = len([s for s in statuses if s != 200])
            with Journal(journal) as opened:
                stored = opened.counts()[0]
            throughput = args.deliveries / elapsed
            print(f"payload: invitee.created with its scheduled_event, {size:,.0f} bytes average")
            print(
                f"throughput: {args.deliveries:,} deliveries on {args.connections} connections "
                f"in {elapsed:.2f} s = {throughput:,.0f} verified deliveries/s into the journal "
                f"({stored:,} stored, {bad} not acknowledged; goal >= 1,000/s)"
            )
            count = int(args.rate * args.seconds)
            paced_reqs = [request(payloads.body()[1]) for _ in range(count)]
            latencies = asyncio.run(paced(receiver.port, paced_reqs, args.rate))
            p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
            print(
                f"ack latency at {args.rate:g}/s for {args.seconds:g} s ({count:,} deliveries): "
                f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(latencies):.1f} ms "
                "(goal p99 < 50 ms)"
            )
            commits = receiver.health()["journal_commits"]
            print(
                f"journal commits during it (fsync included, last {commits['commits']:,}): "
                f"p50 {commits['p50_ms']:.1f} ms, p99 {commits['p99_ms']:.1f} ms, "
                f"max {commits['max_ms']:.1f} ms"
            )
            print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

            database = work / "bench.duckdb"
            loader_tables(database, work)
            with Journal(journal) as opened:
                backlog = opened.counts()[1]
            start = time.perf_counter()
            report = apply_journal(journal, database)
            took = time.perf_counter() - start
            print(
                f"apply backlog: {report.merged:,} of {backlog:,} deliveries merged in "
                f"{took:.2f} s ({report.merged / took:,.0f}/s)"
            )
            inline: list[float] = []
            for _ in range(args.visible_samples):
                uri, body = payloads.body()
                start = time.perf_counter()
                asyncio.run(flood(receiver.port, [request(body)], 1))
                apply_journal(journal, database)
                assert visible(database, uri)
                inline.append(time.perf_counter() - start)
            print(
                f"delivery to visible in DuckDB (POST, apply, SELECT; {len(inline)} samples): "
                f"p50 {statistics.median(inline) * 1000:.0f} ms, max {max(inline) * 1000:.0f} ms "
                "(goal < 2 s)"
            )
            uri, body = payloads.body()
            start = time.perf_counter()
            asyncio.run(flood(receiver.port, [request(body)], 1))
            subprocess.run(
                [
                    *(sys.executable, "-m", "tap_calendly.webhooks", "apply"),
                    *("--database", str(database), "--journal", str(journal)),
                    *("--log-level", "warning"),
                ],
                check=True,
                capture_output=True,
            )
            command = time.perf_counter() - start
            assert visible(database, uri)
            print(f"delivery to visible via the apply command (a new process): {command:.2f} s")
        finally:
            receiver.stop()
        ok = throughput >= 1000 and p99 < 50 and max(inline) < 2 and command < 2
        print(
            f"summary: {throughput:,.0f} deliveries/s (goal 1,000), p99 ack {p99:.1f} ms at "
            f"{args.rate:g}/s (goal 50), visible after apply {max(inline):.2f} s in-process / "
            f"{command:.2f} s by command (goal 2): {'all goals met' if ok else 'GOAL MISSED'}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
