"""Group commit: many concurrent deliveries share one durable journal transaction.

With ``synchronous=FULL`` each commit costs an fsync (about 2 ms here), which alone
would cap the receiver near 450 deliveries/s. One writer thread takes everything that
queued up while the previous commit was syncing and commits it together, so the fsync
cost is shared and throughput grows with concurrency while each delivery still waits
for its own durable commit before it is acknowledged. The waiters of one commit are
woken with one call into their event loop, not one per delivery.

SQLite's automatic checkpoint would run inside a commit every few thousand deliveries
and stall everyone waiting on it; a second thread checkpoints (PASSIVE, which never
blocks the writer) once a second instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from tap_calendly.webhooks.envelope import Delivery
from tap_calendly.webhooks.journal import Journal

log = logging.getLogger("calendly.webhooks")

#: Upper bound on deliveries per transaction (bounds one commit's latency).
MAX_GROUP = 512
#: Seconds between background checkpoints.
CHECKPOINT_EVERY = 1.0
#: Recent commits kept for :meth:`GroupWriter.commit_stats`.
STATS_WINDOW = 1024

_Item = tuple[Delivery, "asyncio.Future[bool]"]
_Outcome = tuple["asyncio.Future[bool]", bool | None, BaseException | None]


class GroupWriter:
    """A thread owning the journal connection; :meth:`store` resolves to True (stored)
    or False (duplicate) once the commit holding the delivery is durable."""

    def __init__(self, directory: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.journal = Journal(directory, autocheckpoint=False)
        self.clock = clock
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="journal-writer", daemon=True)
        self._closed = False
        self._stop = threading.Event()
        self._commit_ms: deque[float] = deque(maxlen=STATS_WINDOW)
        self._checkpointer = threading.Thread(
            target=self._checkpoints, args=(directory,), name="journal-checkpoint", daemon=True
        )
        self._thread.start()
        self._checkpointer.start()

    async def store(self, delivery: Delivery) -> bool:
        if self._closed:
            raise RuntimeError("journal writer is closed")
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.put((delivery, future))
        return await future

    def close(self) -> None:
        """Commit what is queued, then stop the thread and close the journal."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join()
        self._stop.set()
        self._checkpointer.join()
        with contextlib.suppress(Exception):
            self.journal.checkpoint()
        self.journal.close()

    def _checkpoints(self, directory: Path) -> None:
        with Journal(directory) as journal:
            while not self._stop.wait(CHECKPOINT_EVERY):
                try:
                    journal.checkpoint()
                except Exception as exc:  # the next round retries; commits go on
                    log.warning("journal checkpoint failed: %s", exc)

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                group.append(item)
            self._commit(group)

    def commit_stats(self) -> dict[str, float]:
        """Durations of the recent commits in ms (fsync included): a slow disk shows here
        first, as every delivery waits for one commit."""
        recent = sorted(self._commit_ms)
        if not recent:
            return {}
        return {
            "commits": len(recent),
            "p50_ms": round(statistics.median(recent), 2),
            "p99_ms": round(recent[min(len(recent) - 1, int(0.99 * len(recent)))], 2),
            "max_ms": round(recent[-1], 2),
        }

    def _commit(self, group: list[_Item]) -> None:
        outcomes: list[_Outcome]
        started = time.perf_counter()
        try:
            fresh = self.journal.append([d for d, _ in group], self.clock())
        except Exception as exc:  # every waiter learns; the receiver answers 503
            log.error("journal write failed for %d deliveries: %s", len(group), exc)
            outcomes = [(future, None, exc) for _, future in group]
        else:
            outcomes = [(f, new, None) for (_, f), new in zip(group, fresh, strict=True)]
        self._commit_ms.append((time.perf_counter() - started) * 1000)
        by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
        for outcome in outcomes:
            by_loop.setdefault(outcome[0].get_loop(), []).append(outcome)
        for loop, items in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_resolve, items)


def _resolve(items: list[_Outcome]) -> None:
    for future, new, error in items:
        if future.cancelled():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(bool(new))
