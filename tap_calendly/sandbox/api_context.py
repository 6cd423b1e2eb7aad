"""Shared request context and helpers for the sandbox's API handlers.

Handlers get an :class:`ApiRequest` (parsed query, body, caller) and return an
:class:`ApiResponse` whose body is already serialised: records are serialised while
``org.lock`` is held, so a concurrent mutation cannot tear a page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import orjson

from tap_calendly.sandbox.api_errors import (
    invalid_argument,
    not_found,
    permission_denied,
)
from tap_calendly.sandbox.auth_tokens import Principal
from tap_calendly.sandbox.future_fields import with_future_fields
from tap_calendly.sandbox.pagination import (
    IndexCache,
    Predicate,
    SortedView,
    SortSpec,
    decode_token,
    encode_token,
    read_page,
)
from tap_calendly.sandbox.store import Record, SandboxOrg, format_ts, parse_ts

DEFAULT_COUNT = 20
MAX_COUNT = 100


@dataclass
class ApiRequest:
    method: str
    path: str
    params: dict[str, list[str]]
    body: bytes
    principal: Principal
    path_args: dict[str, str] = field(default_factory=dict)

    def param(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[0] if values else None

    def json(self) -> dict[str, Any]:
        """The JSON object body (empty body -> ``{}``) or a 400."""
        if not self.body.strip():
            return {}
        try:
            data = orjson.loads(self.body)
        except orjson.JSONDecodeError as exc:
            raise invalid_argument("body", "The request body is not valid JSON.") from exc
        if not isinstance(data, dict):
            raise invalid_argument("body", "The request body must be a JSON object.")
        return data


@dataclass
class ApiResponse:
    status: int
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


def respond(status: int, payload: Any) -> ApiResponse:
    return ApiResponse(status, orjson.dumps(payload))


def parse_time_param(value: Any, name: str, *, required: bool = False) -> datetime | None:
    """A date-time query/body value or a 400 naming it."""
    if value is None or value == "":
        if required:
            raise invalid_argument(name, f"{name} is required")
        return None
    if not isinstance(value, str):
        raise invalid_argument(name, f"{name} must be an ISO-8601 date-time string")
    try:
        return parse_ts(value)
    except (ValueError, OverflowError) as exc:
        raise invalid_argument(name, f"{name} must be an ISO-8601 date-time") from exc


def parse_bool_param(value: str | None, name: str) -> bool | None:
    if value is None or value == "":
        return None
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise invalid_argument(name, f"{name} must be true or false")


class Api:
    """The handlers' view of the sandbox: org, indexes and the paging machinery."""

    def __init__(self, org: SandboxOrg, indexes: IndexCache) -> None:
        self.org = org
        self.indexes = indexes
        #: Serve fields Calendly might add tomorrow (see :mod:`future_fields`).
        self.extra_fields = False

    def served(self, collection: str, record: Record) -> Record:
        """A record as the API answers it (with future fields when switched on)."""
        return with_future_fields(collection, record) if self.extra_fields else record

    # -- owners and permissions -------------------------------------------------------
    def check_organization(self, value: str | None, *, required: bool) -> str | None:
        if not value:
            if required:
                raise invalid_argument("organization", "organization is required")
            return None
        if value != self.org.organization["uri"]:
            raise permission_denied("You do not have permission")
        return value

    def check_user(self, value: str | None, name: str = "user") -> str | None:
        if not value:
            return None
        if value not in self.org.collections["users"]:
            raise permission_denied("This user is not in your organization")
        return value

    @staticmethod
    def require_admin(principal: Principal) -> None:
        if not principal.is_admin:
            raise permission_denied()

    def require_plan(self) -> None:
        from tap_calendly.sandbox.api_errors import plan_required

        if self.org.plan != "enterprise":
            raise plan_required()

    def lookup(self, collection: str, uri: str) -> Record:
        record = self.org.get(collection, uri)
        if record is None:
            raise not_found()
        return record

    # -- paging -----------------------------------------------------------------------
    def effective_params(
        self, req: ApiRequest, endpoint: str, names: Iterable[str]
    ) -> tuple[dict[str, str], dict[str, Any] | None]:
        """Filters for this request: from the page token if one is given, else the query.

        A token carries the filters it was issued for, so following ``next_page_token``
        alone continues the same listing.
        """
        raw = req.param("page_token")
        if raw:
            token = decode_token(raw)
            if token.get("e") != endpoint:
                raise invalid_argument("page_token", "page_token belongs to another listing")
            return {str(k): str(v) for k, v in dict(token.get("f", {})).items()}, token
        params: dict[str, str] = {}
        for name in names:
            values = req.params.get(name)
            if values:
                params[name] = ",".join(values)
        return params, None

    @staticmethod
    def parse_count(req: ApiRequest, maximum: int = MAX_COUNT) -> int:
        raw = req.param("count")
        if raw is None or raw == "":
            return DEFAULT_COUNT
        try:
            count = int(float(raw))
        except ValueError as exc:
            raise invalid_argument("count", "count must be an integer") from exc
        if count < 1:
            raise invalid_argument("count", "count must be greater than or equal to 1")
        if count > maximum:
            raise invalid_argument("count", f"count must be less than or equal to {maximum}")
        return count

    def page(
        self,
        req: ApiRequest,
        *,
        endpoint: str,
        collection: str,
        params: dict[str, str],
        token: dict[str, Any] | None,
        spec: SortSpec,
        view: Callable[[], SortedView],
        predicate: Predicate,
        count: int,
        first_range: tuple[Any, Any] = (None, None),
        extra: Callable[[list[Record]], dict[str, Any]] | None = None,
    ) -> ApiResponse:
        """Serve one keyset page as ``{collection, pagination}`` (plus ``extra`` fields)."""
        table = self.org.collections[collection]
        with self.org.lock:
            for _ in range(2):
                current = view()
                lo, hi = current.bounds(*first_range)
                result = read_page(
                    current,
                    table,
                    count=count,
                    cursor=token["k"] if token else None,
                    backwards=bool(token and token.get("d") == "p"),
                    predicate=predicate,
                    lo=lo,
                    hi=hi,
                )
                if self.indexes.check(current, result.records, collection):
                    break
            records = result.records
            if self.extra_fields:
                records = [self.served(collection, r) for r in records]
            body: dict[str, Any] = {
                "collection": records,
                "pagination": {
                    "count": len(result.records),
                    "next_page": None,
                    "previous_page": None,
                    "next_page_token": None,
                    "previous_page_token": None,
                },
            }
            for cursor, direction, name in (
                (result.next_cursor, "n", "next"),
                (result.prev_cursor, "p", "previous"),
            ):
                if cursor is None:
                    continue
                page_token = encode_token(
                    {"e": endpoint, "s": spec.text(), "f": params, "k": cursor, "d": direction}
                )
                query = {**params, "count": str(count), "page_token": page_token}
                body["pagination"][f"{name}_page"] = (
                    f"{self.org.base_url}{req.path}?{urlencode(query)}"
                )
                body["pagination"][f"{name}_page_token"] = page_token
            if extra is not None:
                body.update(extra(result.records))
            return ApiResponse(200, orjson.dumps(body))


def ts(value: datetime | None) -> str | None:
    return format_ts(value) if value is not None else None
