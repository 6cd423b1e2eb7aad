"""Bounded concurrent prefetch of per-parent child requests.

singer-sdk syncs a child stream one parent at a time on the main thread. To overlap
requests, a parent stream schedules its children's fetches (the invitees of all 100
events of a page, the busy-time windows and availability schedules of 100 members) on
one shared pool as soon as the page arrives; the next parent page is submitted before
them, so the parent chain never waits behind its children. The child's
``get_records(context)`` then *takes* the finished result for its parent. Records are
still emitted in parent order, so the output is deterministic for a given server
state. All requests go through the one rate limiter, so the pool only overlaps
latency, never exceeds the budget.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_local = threading.local()


def in_worker() -> bool:
    """True on a pool thread (which must never wait on other pool tasks)."""
    return bool(getattr(_local, "worker", False))


def _mark_worker() -> None:
    _local.worker = True


class FanOut:
    """A thread pool plus a keyed table of pending results."""

    def __init__(self, max_workers: int) -> None:
        self.max_workers = max(1, max_workers)
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], list[Future[Any]]] = {}

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.max_workers,
                    thread_name_prefix="calendly-fetch",
                    initializer=_mark_worker,
                )
            return self._pool

    def run(self, fn: Callable[[], T]) -> Future[T]:
        """Run ``fn`` on the pool (FIFO: earlier submissions start first)."""
        return self._executor().submit(fn)

    def schedule(self, stream: str, key: str, parts: Sequence[Callable[[], Any]]) -> None:
        """Start every part of (stream, key) on the pool unless it is already pending.

        Parts are independent requests (e.g. one per availability window), so a
        parent with several becomes several pool tasks, not one long one.
        """
        with self._lock:
            if (stream, key) in self._pending:
                return
        executor = self._executor()
        futures = [executor.submit(part) for part in parts]
        with self._lock:
            self._pending[(stream, key)] = futures

    def put(self, stream: str, key: str, value: Any) -> None:
        """Store an already-known result (children derived without a request)."""
        future: Future[Any] = Future()
        future.set_result(value)
        with self._lock:
            self._pending[(stream, key)] = [future]

    def take(self, stream: str, key: str) -> list[Future[Any]] | None:
        """Remove and return the pending parts for (stream, key), if any."""
        with self._lock:
            return self._pending.pop((stream, key), None)

    def discard(self, stream: str | None = None) -> None:
        """Drop pending results (all, or one stream's), cancelling unstarted work."""
        with self._lock:
            keys = [k for k in self._pending if stream is None or k[0] == stream]
            futures = [f for k in keys for f in self._pending.pop(k)]
        for future in futures:
            future.cancel()

    def pending_count(self) -> int:
        with self._lock:
            return len(self._pending)

    def shutdown(self) -> None:
        self.discard()
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
