"""Base stream classes: URL, query parameters, cursor paging, errors, fan-out.

``CalendlyStream`` drives its own page loop (the SDK's request building via
``get_http_request`` / ``get_url_params`` / ``get_new_paginator`` is kept) so that:
- every request goes through the shared ``Transport`` (limiter, retries, refresh);
- the next page is fetched on the pool while the current one is being emitted;
- as soon as a page of parents arrives, the children's requests are scheduled;
- a 403 on a gated stream / a 404 on a vanished parent skips with one warning.

``ChildStream`` is a per-parent stream whose state is one bookmark for the whole
stream (``state_partitioning_keys = ()``): state stays O(streams), never O(parents).
Its requests for a parent (one per availability window, for example) are separate
tasks on the shared pool; with ``distinct_parents`` a parent key met twice in a run
(one user in two memberships) is fetched and emitted once.

Streams get the run's :class:`SyncContext` (client, pool, owner, members, progress),
never the tap, and read settings from its typed ``Settings``.

Full-table streams send ONE ``ACTIVATE_VERSION`` per run, after all of their records
(see :meth:`CalendlyStream.activate_versions`), so a target retires rows the API no
longer returns without the table ever being briefly empty.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, ClassVar

import requests
from singer_sdk import metrics
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.pagination import BaseAPIPaginator, SinglePagePaginator
from singer_sdk.singerlib.catalog import REPLICATION_FULL_TABLE
from singer_sdk.singerlib.messages import RecordMessage
from singer_sdk.streams.rest import PageContext, RESTStream

from tap_calendly.api.errors import AccessDenied, NotFound
from tap_calendly.api.paging import PageCursor, collection
from tap_calendly.api.transport import payload
from tap_calendly.streams.context import FamilyProgress, SyncContext
from tap_calendly.streams.fanout import in_worker

if TYPE_CHECKING:
    from concurrent.futures import Future

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

Record = dict[str, Any]

#: Seconds between progress lines of a long-running stream.
PROGRESS_INTERVAL = 30.0


class CursorPaginator(BaseAPIPaginator[str | None]):
    """Follows ``pagination.next_page_token`` until it is null (loops are errors)."""

    def __init__(self, where: str = "GET") -> None:
        super().__init__(None)
        self._cursor = PageCursor(where)

    def get_next(self, response: requests.Response) -> str | None:
        body = payload(response)
        return self._cursor.next_token(body, len(collection(body, self._cursor.where)))


class _QuietCounter(metrics.Counter):
    """Record counter shared by all parent contexts of a child stream.

    The SDK opens a counter per parent (per event!) and logs it on exit, tagged with
    the whole context; for 20,000 events that is 20,000 lines. This one logs at most
    every ``log_interval`` seconds and once at the end of the parent stream.
    """

    def __enter__(self) -> _QuietCounter:
        return self

    def with_context(self, value: Context | None) -> None:
        return None

    def exit(self) -> None:
        if self._ready_to_log():
            self._pop()

    def flush(self) -> None:
        if self.value:
            self._pop()


class _QuietTimer(metrics.Timer):
    """Per-parent sync timer that does not log (see :class:`_QuietCounter`)."""

    def __exit__(self, *args: object) -> None:
        return None


class CalendlyStream(RESTStream[str | None]):
    """A Calendly list endpoint: ``{collection, pagination}`` pages of ``count`` rows."""

    primary_keys: ClassVar[tuple[str, ...]] = ("uri",)
    #: Records are JSON from orjson already (no Decimal/datetime objects) and schemas
    #: allow additional properties: conformance would only cost CPU.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    _LOG_REQUEST_METRICS = False

    #: Rows per page (``count``); the activity log allows 1000.
    page_size: ClassVar[int] = 100
    #: False for the unpaginated endpoints (availability).
    paginated: ClassVar[bool] = True
    #: Fetch page N+1 on the pool while page N is emitted.
    prefetch_pages: ClassVar[bool] = True
    #: 403 means "not on this plan / not this role": skip the stream with a warning.
    gated: ClassVar[bool] = False
    #: 404 means "not available here" (or the parent vanished): skip with a warning.
    skip_on_404: ClassVar[bool] = False

    def __init__(self, tap: Tap, sync_context: SyncContext) -> None:
        self.sync_context = sync_context
        super().__init__(tap=tap)
        self._warn_lock = threading.Lock()
        self._warned = False
        self._emitted = 0
        #: When this stream's sync began: monotonic and main-thread CPU seconds.
        self._started_at: tuple[float, float] | None = None
        #: A 403 (or a top-level 404) skipped all or part of this stream this run.
        self._incomplete = False

    # -- settings (requests themselves go through ``sync.client``) ---------------------

    @property
    def url_base(self) -> str:
        return self.sync_context.settings.base_url

    @cached_property
    def user_agent(self) -> str:
        return self.sync_context.settings.user_agent

    def get_url(self, context: Context | None) -> str:
        return f"{self.url_base}{self.path}"

    def get_replication_key_signpost(self, context: Context | None = None) -> None:
        """No cap on bookmarks: they come from the server's clock, not ours."""
        return

    # -- request building ------------------------------------------------------------

    def get_new_paginator(self) -> BaseAPIPaginator[Any]:
        return CursorPaginator(f"GET {self.path}") if self.paginated else SinglePagePaginator()

    def query(self, context: Context | None) -> dict[str, Any]:
        """Endpoint-specific query parameters (owner filter, sort, window)."""
        return {}

    def get_url_params(
        self, context: Context | None, next_page_token: str | None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if self.paginated:
            params["count"] = self.page_size
        params.update(self.query(context))
        if next_page_token:
            params["page_token"] = next_page_token
        return params

    def prepared_request(
        self, context: Context | None, next_page_token: str | None
    ) -> requests.PreparedRequest:
        """The exact request for one page (tests assert on it, no HTTP needed)."""
        http = self.get_http_request(
            page=PageContext(stream_context=context, next_page_token=next_page_token)
        )
        request = requests.Request(
            method=http.method,
            url=http.url,
            params=http.encode_params(),
            headers={**http.headers, "User-Agent": self.user_agent},
        )
        return request.prepare()

    def fetch_page(self, context: Context | None, next_page_token: str | None) -> requests.Response:
        return self.sync_context.client.transport.send(
            self.prepared_request(context, next_page_token), stream=self.name
        )

    def parse_response(self, response: requests.Response) -> Iterable[Record]:
        return collection(payload(response), f"GET {self.path}")

    def stop_paging(self, page: list[Record], context: Context | None) -> bool:
        """True to stop before the next page (early cut-off of a desc-sorted list)."""
        return False

    # -- paging loop -----------------------------------------------------------------

    def load_page(
        self,
        context: Context | None,
        token: str | None,
        on_page: Callable[[list[Record]], None] | None = None,
    ) -> tuple[requests.Response, list[Record]]:
        """Fetch and parse one page, then hand it to ``on_page`` (on the same thread)."""
        response = self.fetch_page(context, token)
        page = list(self.parse_response(response))
        if on_page is not None:
            on_page(page)
        return response, page

    def iter_pages(
        self,
        context: Context | None,
        on_page: Callable[[list[Record]], None] | None = None,
    ) -> Iterator[list[Record]]:
        """Yield each page's records; the next page is already in flight meanwhile.

        ``on_page`` runs as soon as a page arrives, on the pool for a prefetched page.
        The next page's request jumps the pool's queue, so the children of page N+1
        are queued while page N's are still running and the pool never idles at a
        page boundary. At most one page runs ahead of the page being emitted.
        """
        paginator = self.get_new_paginator()
        prefetch = self.prefetch_pages and self.paginated and not in_worker()
        response, page = self.load_page(context, paginator.current_value, on_page)
        pending: Future[tuple[requests.Response, list[Record]]] | None = None
        try:
            while True:
                stop = self.stop_paging(page, context)
                paginator.advance(response)
                more = not paginator.finished and not stop
                if more and prefetch:
                    pending = self.sync_context.fanout.run_first(
                        partial(self.load_page, context, paginator.current_value, on_page)
                    )
                yield page
                if not more:
                    return
                if pending is not None:
                    (response, page), pending = pending.result(), None
                else:
                    response, page = self.load_page(context, paginator.current_value, on_page)
        finally:
            if pending is not None:
                pending.cancel()

    def request_records(self, context: Context | None) -> Iterable[Record]:
        last_progress = time.monotonic()
        try:
            for page in self.iter_pages(context, partial(self.schedule_children, context=context)):
                yield from page
                if (
                    not self.parent_stream_type
                    and time.monotonic() - last_progress > PROGRESS_INTERVAL
                ):
                    last_progress = time.monotonic()
                    self.log_progress()
        except AccessDenied as exc:
            if not self.gated:
                raise
            self._incomplete = True
            self.warn_once(f"skipped: access denied ({exc.title or 403}: {exc.api_message})")
        except NotFound as exc:
            if not self.skip_on_404:
                raise
            if not self.parent_stream_type:  # a child's 404 is a vanished parent: complete
                self._incomplete = True
            self.warn_once(f"skipped: not found ({exc.where})")

    def get_records(self, context: Context | None) -> Iterable[Record]:
        self.mark_started()
        self.sync_context.parents_syncing += 1
        try:
            yield from self.request_records(context)
        finally:
            self.sync_context.parents_syncing -= 1
            for child in self.child_streams:
                self.sync_context.fanout.discard(child.name)
        if not self.parent_stream_type:
            self.finish()

    def finish(self) -> None:
        """After a top-level stream's last record: counters, table versions, a log line."""
        for child in self.child_streams:
            if isinstance(child, ChildStream):
                child.flush_counter()
        self.activate_versions()
        self.log_progress(final=True)

    # -- progress --------------------------------------------------------------------

    def mark_started(self) -> None:
        if self._started_at is None:
            self._started_at = (time.monotonic(), time.thread_time())

    def family(self) -> list[CalendlyStream]:
        """This stream and all its descendants."""
        streams: list[CalendlyStream] = [self]
        for stream in streams:
            streams.extend(c for c in stream.child_streams if isinstance(c, CalendlyStream))
        return streams

    def log_progress(self, *, final: bool = False) -> None:
        started, cpu = self._started_at or (time.monotonic(), time.thread_time())
        self.sync_context.log_progress(
            [FamilyProgress(s.name, s.emitted) for s in self.family()],
            elapsed=time.monotonic() - started,
            cpu=time.thread_time() - cpu,
            final=final,
        )

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        self._emitted += 1
        return row

    @cached_property
    def deselects_properties(self) -> bool:
        """Whether the catalog deselects any property of this stream.

        A breadcrumb missing from the mask inherits its parent's value, so when every
        entry is selected no property of any record (extra API fields included) is.
        """
        return not all(self.mask.values())

    def _generate_record_messages(self, record: Record) -> Generator[RecordMessage, None, None]:
        """The SDK's messages, minus its per-record walk for deselected properties
        when there are none (measured: 5-17 us a record, a quarter of the main
        thread's cost per record; conformance is off, see ``TYPE_CONFORMANCE_LEVEL``)."""
        if self.deselects_properties:
            yield from super()._generate_record_messages(record)
            return
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped,
                    version=self._stream_version,
                    time_extracted=datetime.now(UTC),
                )

    # -- table versions (ACTIVATE_VERSION) ---------------------------------------------

    @property
    def emit_activate_version_messages(self) -> bool:
        """On unless the setting is false: deletions reach the target by default."""
        return self.sync_context.settings.emit_activate_version_messages

    @property
    def table_version(self) -> int:
        """The run's start in epoch milliseconds (the SDK's seconds would give two runs
        in the same second one version, and the second could not retire anything)."""
        return self.sync_context.run_version

    @property
    def versioned(self) -> bool:
        """Whether this run sends an ACTIVATE_VERSION for this stream."""
        return (
            self.selected
            and self.replication_method == REPLICATION_FULL_TABLE
            and self.emit_activate_version_messages
        )

    def _write_activate_version_message(self, full_table_version: int) -> None:
        """Deferred: the SDK calls this at the start of every ``sync`` call, i.e. once
        per parent for a child stream. Only the version its records carry is set here;
        :meth:`activate_versions` sends the one message after the last record."""
        self._stream_version = self.table_version

    def activate_versions(self) -> None:
        """One ACTIVATE_VERSION for this stream and each descendant, after all records.

        Skipped for a stream a 403 (or a top-level 404) cut short: rows that could not
        be re-read must not be retired. SCHEMA goes first (the writer drops it if
        already sent) because a child whose parents were all gone never sent one.
        """
        for stream in self.family():
            if not stream.versioned:
                continue
            if stream._incomplete:
                stream.logger.warning(
                    "%s: not sending ACTIVATE_VERSION (part of the stream was skipped); "
                    "rows it no longer returns stay in the target until a complete run",
                    stream.name,
                )
                continue
            stream._stream_version = stream.table_version
            stream._write_schema_message()
            super(CalendlyStream, stream)._write_activate_version_message(stream.table_version)

    @property
    def emitted(self) -> int:
        return self._emitted

    def warn_once(self, message: str) -> None:
        with self._warn_lock:
            if self._warned:
                return
            self._warned = True
        self.logger.warning("%s: %s", self.name, message)

    # -- fan-out to children ---------------------------------------------------------

    def schedule_children(self, page: list[Record], context: Context | None) -> None:
        """Start the children's requests for a whole page of parents at once."""
        children = [
            child
            for child in self.child_streams
            if isinstance(child, ChildStream) and (child.selected or child.has_selected_descendents)
        ]
        if not children:
            return
        for record in page:
            child_context = self.get_child_context(record, context)
            if child_context is None:
                continue
            for child in children:
                child.schedule(child_context, record)


class ChildStream(CalendlyStream):
    """A stream listed once per parent record, fetched ahead on the shared pool.

    A parent's records come from one or more independent *parts* (requests that do
    not depend on each other, e.g. one per availability window); each part is its own
    task on the pool, and :meth:`combine` joins them in order.
    """

    state_partitioning_keys: ClassVar[tuple[str, ...]] = ()
    skip_on_404 = True
    #: Context key naming the parent (prefetch results are keyed by it).
    parent_key: ClassVar[str] = "parent_uri"
    #: Fetch and emit each parent key once per run even if the parent repeats (a user
    #: in two memberships). Off for per-event children: it keeps a set of keys.
    distinct_parents: ClassVar[bool] = False

    def __init__(self, tap: Tap, sync_context: SyncContext) -> None:
        super().__init__(tap, sync_context)
        self._counter: _QuietCounter | None = None
        self._seen_parents: set[str] = set()
        self._seen_lock = threading.Lock()
        # The SDK logs a bookmark line per parent context (per event); keep this
        # stream's logger to warnings. Its progress is logged by the parent.
        self.logger.setLevel(logging.WARNING)

    def log(self, message: str, *args: Any, level: int = logging.INFO, **kwargs: Any) -> None:
        """Per-parent SDK chatter ("Beginning sync ...") goes to DEBUG."""
        super().log(
            message, *args, level=logging.DEBUG if level == logging.INFO else level, **kwargs
        )

    def get_record_counter(
        self, *, endpoint: str | None = None, log_interval: float = metrics.DEFAULT_LOG_INTERVAL
    ) -> metrics.Counter:
        if self._counter is None:
            self._counter = _QuietCounter(
                metrics.Metric.RECORD_COUNT, {metrics.Tag.STREAM: self.name}, log_interval
            )
        return self._counter

    def get_sync_timer(self) -> metrics.Timer:
        return _QuietTimer(metrics.Metric.SYNC_DURATION, {metrics.Tag.STREAM: self.name})

    def _write_state_message(self) -> None:
        """No STATE per parent while the parent syncs (one per event otherwise).

        The child's bookmark lives in the shared tap state, so the parent's own STATE
        messages carry it; at finalization (no parent syncing) it is written as usual.
        """
        if self.sync_context.parents_syncing:
            return
        super()._write_state_message()

    def flush_counter(self) -> None:
        if self._counter is not None:
            self._counter.flush()

    # -- one parent's records ----------------------------------------------------------

    def prefetch_key(self, context: Mapping[str, Any]) -> str:
        return str(context[self.parent_key])

    def parts(self, context: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The independent request contexts for one parent (default: just one)."""
        return [dict(context)]

    def fetch_part(self, part: Mapping[str, Any]) -> list[Record]:
        """One part's records (its pages, if any, are followed in order)."""
        return list(self.request_records(dict(part)))

    def combine(self, results: list[list[Record]]) -> list[Record]:
        """Join the parts' records, in part order."""
        return results[0] if len(results) == 1 else [row for part in results for row in part]

    def fetch_all(self, context: Mapping[str, Any]) -> list[Record]:
        """All of one parent's records, fetched here and now (no pool)."""
        return self.combine([self.fetch_part(part) for part in self.parts(context)])

    def first_time(self, key: str) -> bool:
        """False when ``distinct_parents`` and this key was met before in this run."""
        if not self.distinct_parents:
            return True
        with self._seen_lock:
            if key in self._seen_parents:
                return False
            self._seen_parents.add(key)
            return True

    def schedule(self, context: Mapping[str, Any], parent: Record) -> None:
        """Start fetching this parent's parts on the pool (once per key and run)."""
        key = self.prefetch_key(context)
        if not self.first_time(key):
            return
        self.sync_context.fanout.schedule(
            self.name, key, [partial(self.fetch_part, part) for part in self.parts(context)]
        )

    def get_records(self, context: Context | None) -> Iterable[Record]:
        assert context is not None
        key = self.prefetch_key(context)
        futures = self.sync_context.fanout.take(self.name, key)
        if futures is not None:
            yield from self.combine([future.result() for future in futures])
        elif self.first_time(key):  # not scheduled ahead (a direct sync): fetch now
            yield from self.fetch_all(context)

    def warn_once(self, message: str) -> None:
        # A vanished parent is reported each time (rare); gating only once.
        if message.startswith("skipped: not found"):
            self.logger.warning("%s: parent vanished mid-sync, %s", self.name, message)
            return
        super().warn_once(message)
