"""Sandbox throughput: 100-event pages per second served to a separate client process.

The sandbox runs in this process; a client process opens N keep-alive connections (one
thread each) and walks ``GET /scheduled_events?organization=...&count=100`` page by page,
starting over at the end, for a fixed duration. Latency 0 and a rate limit high enough
never to trigger, so the figure is the server's (and client's) own cost.

Usage: python bench/sandbox_throughput.py [--scale small|medium] [--seconds 10] [--connections 3]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import threading
import time
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson

from tap_calendly.sandbox.runner import Sandbox, SandboxSettings


def _walk(url: str, token: str, org: str, deadline: float, out: list[tuple[int, int]]) -> None:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    first = "/scheduled_events?" + urlencode({"organization": org, "count": 100})
    path = first
    pages = records = 0
    while time.monotonic() < deadline:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = orjson.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"unexpected status {response.status}: {body}")
        pages += 1
        records += len(body["collection"])
        next_page = body["pagination"]["next_page"]
        if next_page:
            split = urlsplit(next_page)
            path = f"{split.path}?{split.query}"
        else:
            path = first
    conn.close()
    out.append((pages, records))


def client(
    url: str, token: str, org: str, seconds: float, connections: int, pipe: Connection
) -> None:
    deadline = time.monotonic() + seconds
    results: list[tuple[int, int]] = []
    threads = [
        threading.Thread(target=_walk, args=(url, token, org, deadline, results))
        for _ in range(connections)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    pipe.send(
        {
            "pages": sum(p for p, _ in results),
            "records": sum(r for _, r in results),
            "elapsed": elapsed,
        }
    )
    pipe.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "medium"), default="small")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=3)
    args = parser.parse_args()

    settings = SandboxSettings(scale=args.scale, rate_limit_per_minute=10_000_000, webhooks=False)
    with Sandbox(settings) as sandbox:
        org = sandbox.org.organization["uri"]
        events = len(sandbox.org.collections["scheduled_events"])
        receiver, sender = multiprocessing.Pipe(duplex=False)
        process = multiprocessing.get_context("spawn").Process(
            target=client,
            args=(sandbox.url, sandbox.admin_token, org, args.seconds, args.connections, sender),
        )
        process.start()
        result: dict[str, Any] = receiver.recv()
        process.join()
        counted = sandbox.request_counts().get("GET /scheduled_events", 0)
    pages_per_s = result["pages"] / result["elapsed"]
    print(f"scale: {args.scale} ({events} events)")
    print(f"connections: {args.connections}")
    print(f"seconds: {result['elapsed']:.2f}")
    print(f"pages: {result['pages']} (server counted {counted})")
    print(f"records: {result['records']}")
    print(f"records_per_s: {result['records'] / result['elapsed']:.0f}")
    print(f"pages_per_s: {pages_per_s:.1f}")
    print(
        f"summary: {pages_per_s:.1f} pages/s of 100 events ({args.scale}, "
        f"{args.connections} keep-alive connections, separate client process; goal >= 300)"
    )


if __name__ == "__main__":
    main()
