"""Bounded concurrent prefetch of per-parent child requests.

singer-sdk syncs a child stream one parent at a time on the main thread. To overlap
requests, a parent stream schedules its children's fetches (the invitees of all 100
events of a page, the busy-time windows and availability schedules of 100 members) on
one shared pool as soon as the page arrives, and the child's ``get_records(context)``
then *takes* the finished result for its parent. Records are still emitted in parent
order, so the output is deterministic for a given server state. All requests go
through the one rate limiter, so the pool only overlaps latency, never exceeds the
budget.

Two priorities: the next page of a parent list jumps ahead of queued child requests
(:meth:`FanOut.run_first`), so the chain of parent pages never waits behind the
children of the page before, and the next page's children are queued while the
current page's are still running: the pool does not idle at page boundaries.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_local = threading.local()

#: Job priorities (lower runs first; FIFO within one).
_FIRST, _NORMAL = 0, 1


def in_worker() -> bool:
    """True on a pool thread (which must never wait on other pool tasks)."""
    return bool(getattr(_local, "worker", False))


def _mark_worker() -> None:
    _local.worker = True


class FanOut:
    """A thread pool with two priorities, plus a keyed table of pending results.

    Each submitted job also submits one token to the executor; a token runs the most
    urgent job queued when a worker picks it up (or nothing, if cancellations emptied
    the queue), so the executor's own FIFO never decides the order.
    """

    def __init__(self, max_workers: int) -> None:
        self.max_workers = max(1, max_workers)
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], list[Future[Any]]] = {}
        self._jobs: list[tuple[int, int, Callable[[], Any], Future[Any]]] = []
        self._order = itertools.count()

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.max_workers,
                    thread_name_prefix="calendly-fetch",
                    initializer=_mark_worker,
                )
            return self._pool

    def _submit(self, priority: int, fn: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        executor = self._executor()
        with self._lock:
            heapq.heappush(self._jobs, (priority, next(self._order), fn, future))
        executor.submit(self._run_next)
        return future

    def _run_next(self) -> None:
        while True:
            with self._lock:
                if not self._jobs:
                    return
                _, _, fn, future = heapq.heappop(self._jobs)
            if not future.set_running_or_notify_cancel():
                continue  # cancelled while queued: run the next one instead
            try:
                result = fn()
            except BaseException as exc:  # handed to whoever waits on the future
                future.set_exception(exc)
            else:
                future.set_result(result)
            return

    def run(self, fn: Callable[[], T]) -> Future[T]:
        """Run ``fn`` on the pool after the jobs already queued."""
        return self._submit(_NORMAL, fn)

    def run_first(self, fn: Callable[[], T]) -> Future[T]:
        """Run ``fn`` before every queued :meth:`run` job (a parent's next page)."""
        return self._submit(_FIRST, fn)

    def schedule(self, stream: str, key: str, parts: Sequence[Callable[[], Any]]) -> None:
        """Start every part of (stream, key) on the pool unless it is already pending.

        Parts are independent requests (e.g. one per availability window), so a
        parent with several becomes several pool jobs, not one long one.
        """
        with self._lock:
            if (stream, key) in self._pending:
                return
        futures = [self.run(part) for part in parts]
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
        """Cancel everything queued and stop the threads."""
        self.discard()
        with self._lock:
            pool, self._pool = self._pool, None
            jobs, self._jobs = self._jobs, []
        for *_, future in jobs:
            future.cancel()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
