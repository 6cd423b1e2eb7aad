"""Keyset pagination over sorted indexes.

A page token encodes the sort key and URI of the last (or first) record served plus the
query's filters, never an offset: records inserted or changed between two requests cannot
shift the window, so a client walking pages while the sandbox clock mutates data neither
skips nor repeats a record that existed throughout. Indexes are sorted lists of
``(*sort values, uri)`` tuples, so a page costs a bisect plus the page, not a scan.
"""

from __future__ import annotations

import base64
import binascii
import threading
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson

from tap_calendly.sandbox.api_errors import invalid_argument
from tap_calendly.sandbox.store import Record, SandboxOrg

Predicate = Callable[[Record], bool]


class Desc:
    """Reverses the order of one component inside a mixed-direction sort tuple."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: Desc) -> bool:
        return bool(other.value < self.value)

    def __gt__(self, other: Desc) -> bool:
        return bool(other.value > self.value)

    def __le__(self, other: Desc) -> bool:
        return bool(other.value <= self.value)

    def __ge__(self, other: Desc) -> bool:
        return bool(other.value >= self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Desc) and bool(self.value == other.value)

    def __hash__(self) -> int:
        return hash(self.value)


def field_value(record: Record, path: str) -> Any:
    """Value at a dotted path (``actor.display_name``); missing or null sorts as ``""``."""
    value: Any
    if "." not in path:
        value = record.get(path)
        if type(value) is str:
            return value
    else:
        value = record
        for part in path.split("."):
            if not isinstance(value, dict):
                return ""
            value = value.get(part)
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    return value


@dataclass(frozen=True)
class SortSpec:
    """Sort fields as ``(path, descending)``; the record URI always breaks ties."""

    fields: tuple[tuple[str, bool], ...]

    @classmethod
    def parse(
        cls, raw: str, allowed: Iterable[str], default: str, parameter: str = "sort"
    ) -> SortSpec:
        """Parse ``field:dir[,field:dir]`` (direction defaults to asc) or raise a 400."""
        allowed_set = set(allowed)
        text = raw.strip() or default
        fields: list[tuple[str, bool]] = []
        for part in text.split(","):
            name, _, direction = part.strip().partition(":")
            direction = direction or "asc"
            if name not in allowed_set or direction not in ("asc", "desc"):
                raise invalid_argument(
                    parameter,
                    f"{part.strip()!r} is not a supported sort; use one of "
                    + ", ".join(sorted(f"{f}:asc|desc" for f in allowed_set)),
                )
            fields.append((name, direction == "desc"))
        return cls(tuple(fields))

    def text(self) -> str:
        return ",".join(f"{name}:{'desc' if desc else 'asc'}" for name, desc in self.fields)

    @cached_property  # asked once per record when an index is built or checked
    def mixed(self) -> bool:
        return len({desc for _, desc in self.fields}) > 1

    @cached_property
    def all_desc(self) -> bool:
        return all(desc for _, desc in self.fields)

    def raw_key(self, record: Record) -> tuple[Any, ...]:
        if len(self.fields) == 1:
            return (field_value(record, self.fields[0][0]), record["uri"])
        return (*(field_value(record, name) for name, _ in self.fields), record["uri"])

    def physical(self, raw: tuple[Any, ...] | list[Any]) -> tuple[Any, ...]:
        """Turn raw sort values into the index's ordering tuple."""
        if not self.mixed:
            return raw if type(raw) is tuple else tuple(raw)
        values = [
            Desc(value) if desc else value
            for value, (_, desc) in zip(raw[:-1], self.fields, strict=True)
        ]
        return (*values, raw[-1])


class SortedView:
    """One scope of one collection, sorted by one :class:`SortSpec`."""

    def __init__(self, spec: SortSpec, records: Iterable[Record]) -> None:
        self.spec = spec
        self.reverse = spec.all_desc
        self.keys: list[tuple[Any, ...]] = sorted(spec.physical(spec.raw_key(r)) for r in records)
        self.uris: set[str] = {key[-1] for key in self.keys}

    def add(self, records: Iterable[Record]) -> None:
        """Insert records the view does not hold yet (a few: insort; many: re-sort)."""
        fresh = [
            self.spec.physical(self.spec.raw_key(r)) for r in records if r["uri"] not in self.uris
        ]
        if not fresh:
            return
        if len(fresh) * 20 > len(self.keys):
            self.keys.extend(fresh)
            self.keys.sort()
        else:
            for key in fresh:
                insort(self.keys, key)
        self.uris.update(key[-1] for key in fresh)

    def bounds(self, first_min: Any = None, first_max: Any = None) -> tuple[int, int]:
        """Physical index range whose first sort value is in [first_min, first_max)."""
        lo, hi = 0, len(self.keys)
        if self.spec.mixed:
            return lo, hi
        if first_min is not None:
            lo = bisect_left(self.keys, (first_min,))
        if first_max is not None:
            hi = bisect_left(self.keys, (first_max,))
        return lo, max(lo, hi)


@dataclass
class Page:
    records: list[Record]
    next_cursor: list[Any] | None
    prev_cursor: list[Any] | None


def _walk(
    view: SortedView,
    start: int,
    step: int,
    lo: int,
    hi: int,
    table: dict[str, Record],
    predicate: Predicate,
    limit: int,
) -> list[Record]:
    out: list[Record] = []
    keys = view.keys
    i = start
    while lo <= i < hi and len(out) < limit:
        record = table.get(keys[i][-1])
        if record is not None and predicate(record):
            out.append(record)
        i += step
    return out


def read_page(
    view: SortedView,
    table: dict[str, Record],
    *,
    count: int,
    cursor: list[Any] | None,
    backwards: bool,
    predicate: Predicate,
    lo: int,
    hi: int,
) -> Page:
    """Read ``count`` matching records after (or, ``backwards``, before) ``cursor``."""
    keys = view.keys
    forward_step = -1 if view.reverse else 1
    if cursor is None:
        start = (hi - 1) if view.reverse else lo
        after_cursor = start
        before_cursor = start - forward_step
    else:
        key = view.spec.physical(cursor)
        if view.reverse:
            after_cursor = bisect_left(keys, key) - 1
            before_cursor = bisect_right(keys, key)
        else:
            after_cursor = bisect_right(keys, key)
            before_cursor = bisect_left(keys, key) - 1
    if not backwards:
        rows = _walk(view, after_cursor, forward_step, lo, hi, table, predicate, count + 1)
        has_next = len(rows) > count
        rows = rows[:count]
        if cursor is None:
            has_prev = False
        else:
            has_prev = bool(_walk(view, before_cursor, -forward_step, lo, hi, table, predicate, 1))
    else:
        rows = _walk(view, before_cursor, -forward_step, lo, hi, table, predicate, count + 1)
        has_prev = len(rows) > count
        rows = rows[:count]
        rows.reverse()
        has_next = bool(_walk(view, after_cursor, forward_step, lo, hi, table, predicate, 1))
    next_cursor = list(view.spec.raw_key(rows[-1])) if rows and has_next else None
    prev_cursor = list(view.spec.raw_key(rows[0])) if rows and has_prev else None
    if not rows and cursor is not None:
        # An empty page reached from a cursor: let the client step back past it.
        prev_cursor = list(cursor) if has_prev else None
    return Page(rows, next_cursor, prev_cursor)


class IndexCache:
    """Sorted views per (collection, scope, sort), kept in step with their collection.

    A collection counts as changed when the sandbox says so (:meth:`invalidate`, called after
    every write endpoint, clock advance and webhook-worthy change) or when its size changes
    (writes made directly through ``ops``). A changed collection's views take in the records
    they lack (a set difference and a few inserts, not a re-sort of 250k events); records
    that vanished are skipped when read. A record whose sort key moved in place is caught by
    :meth:`check` on each served page, which forces a full rebuild.
    """

    def __init__(self, org: SandboxOrg) -> None:
        self.org = org
        self._lock = threading.Lock()
        self._generation: dict[str, int] = {}
        self._epoch: dict[str, int] = {}
        self._views: dict[tuple[Any, ...], tuple[tuple[int, int], int, SortedView]] = {}
        self._memos: dict[tuple[Any, ...], tuple[tuple[int, int], Any]] = {}
        self._partitions: dict[
            tuple[Any, ...], tuple[tuple[int, int], int, dict[str, SortedView], set[str]]
        ] = {}

    def invalidate(self, collection: str | None = None) -> None:
        with self._lock:
            names = [collection] if collection else list(self.org.collections)
            for name in names:
                self._generation[name] = self._generation.get(name, 0) + 1

    def fingerprint(self, collection: str) -> tuple[int, int]:
        """Changes whenever the collection is known or seen to have changed."""
        return (self._generation.get(collection, 0), len(self.org.collections[collection]))

    def memo(self, collection: str, key: Any, compute: Callable[[], Any]) -> Any:
        """A value derived from ``collection`` (e.g. a filtered total), cached until the
        collection changes."""
        full_key = ("memo", collection, key)
        fingerprint = self.fingerprint(collection)
        with self._lock:
            hit = self._memos.get(full_key)
        if hit is not None and hit[0] == fingerprint:
            return hit[1]
        value = compute()
        with self._lock:
            self._memos[full_key] = (fingerprint, value)
        return value

    def view(
        self,
        collection: str,
        scope: tuple[Any, ...],
        spec: SortSpec,
        members: Callable[[], Iterable[Record]],
    ) -> SortedView:
        """The view for this scope, built from ``members()`` or brought up to date.

        Callers hold ``org.lock`` so the build sees one consistent state.
        """
        fingerprint = self.fingerprint(collection)
        epoch = self._epoch.get(collection, 0)
        cache_key = (collection, scope, spec)
        with self._lock:
            hit = self._views.get(cache_key)
        if hit is not None and hit[0] == fingerprint and hit[1] == epoch:
            return hit[2]
        if hit is not None and hit[1] == epoch:
            view = hit[2]
            view.add(members())
        else:
            view = SortedView(spec, members())
        with self._lock:
            self._views[cache_key] = (fingerprint, epoch, view)
        return view

    def partitioned(
        self,
        collection: str,
        name: str,
        spec: SortSpec,
        records: Callable[[], Iterable[Record]],
        keys_of: Callable[[Record], Iterable[str]],
    ) -> dict[str, SortedView]:
        """Views of one collection split by a key (e.g. per member user), built in one pass.

        Serving per-user listings for every user then costs one scan of the collection,
        not one per user. Callers hold ``org.lock``.
        """
        fingerprint = self.fingerprint(collection)
        epoch = self._epoch.get(collection, 0)
        cache_key = (collection, ("partition", name), spec)
        with self._lock:
            hit = self._partitions.get(cache_key)
        if hit is not None and hit[0] == fingerprint and hit[1] == epoch:
            return hit[2]
        if hit is not None and hit[1] == epoch:
            views, seen = hit[2], hit[3]
        else:
            views, seen = {}, set()
        groups: dict[str, list[Record]] = {}
        for record in records():
            if record["uri"] in seen:
                continue
            seen.add(record["uri"])
            for key in keys_of(record):
                groups.setdefault(key, []).append(record)
        for key, members in groups.items():
            if key in views:
                views[key].add(members)
            else:
                views[key] = SortedView(spec, members)
        with self._lock:
            self._partitions[cache_key] = (fingerprint, epoch, views, seen)
        return views

    def check(self, view: SortedView, records: list[Record], collection: str) -> bool:
        """True if every record still sorts where the index put it; else force a rebuild."""
        spec = view.spec
        keys = view.keys
        for record in records:
            key = spec.physical(spec.raw_key(record))
            i = bisect_left(keys, key)
            if i >= len(keys) or keys[i] != key:
                with self._lock:
                    self._epoch[collection] = self._epoch.get(collection, 0) + 1
                return False
        return True


def encode_token(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any]:
    """Decode a page token or raise Calendly's 400 for ``page_token``."""
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise invalid_argument("page_token", "page_token is invalid") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("k"), list):
        raise invalid_argument("page_token", "page_token is invalid")
    return payload
