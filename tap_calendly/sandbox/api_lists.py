"""The paged GET list endpoints (FACTS.md section 2), declared in one table.

Each :class:`ListEndpoint` says what a listing accepts and enforces: its query parameters,
owner filters (``organization``, ``user``, ``form``, ``scope``) and which are required,
who may call it, the plan it needs, sort fields, filters and the largest ``count``.
:func:`serve` runs every listing through the same steps, so a rule (say, how an e-mail
filter matches or which error a bad ``count`` gets) holds on every endpoint alike:

1. filters from the page token, else the query (400 for a bad token); ``count`` (400);
2. the path's parent, e.g. the event of ``/scheduled_events/{uuid}/invitees`` (404)
   (``gate_first`` endpoints resolve the parent and check access before step 1);
3. owner filters in declared order (400 missing, 403 outside the organization), then
   the "one of" and "required when" rules (400);
4. the plan (403), then the access rule (403);
5. the sort (400), then each filter in declared order (400 for a bad value);
6. one keyset page of the endpoint's view, filtered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from tap_calendly.sandbox import data_records
from tap_calendly.sandbox.api_context import (
    MAX_COUNT,
    Api,
    ApiRequest,
    ApiResponse,
    parse_bool_param,
    parse_time_param,
    ts,
)
from tap_calendly.sandbox.api_errors import invalid_argument, not_found, permission_denied
from tap_calendly.sandbox.pagination import (
    IndexCache,
    Predicate,
    SortedView,
    SortSpec,
    field_value,
)
from tap_calendly.sandbox.store import Record, SandboxOrg

ACTIVITY_MAX_COUNT = 1000


@dataclass
class Query:
    """One list request as it is worked out: the effective filters, owner values, the
    parent record (for nested paths), the sort and the index range to read."""

    endpoint: ListEndpoint
    api: Api
    req: ApiRequest
    params: dict[str, str]
    token: dict[str, Any] | None
    owners: dict[str, str | None] = field(default_factory=dict)
    parent: Record | None = None
    spec: SortSpec = field(default_factory=lambda: SortSpec(()))
    first_range: tuple[Any, Any] = (None, None)

    @property
    def is_admin(self) -> bool:
        return self.req.principal.is_admin

    @property
    def caller(self) -> str:
        return self.req.principal.user_uri

    def values(self, name: str) -> list[str]:
        """A list parameter: ``name`` or ``name[]``, comma-separated, blanks dropped."""
        raw = self.params.get(name) or self.params.get(name + "[]") or ""
        return [v for v in (p.strip() for p in raw.split(",")) if v]


# -- owners and parents ----------------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    """An owner filter. ``kind``: ``organization`` (must be the caller's organization),
    ``user`` (must be a member), ``routing_form`` (must exist) or ``choice`` (one of
    ``choices``; ``message`` is the 400 text)."""

    param: str
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    message: str = ""

    def check(self, q: Query) -> str | None:
        value = q.params.get(self.param)
        if self.kind == "organization":
            return q.api.check_organization(value, required=self.required)
        if self.kind == "user":
            return q.api.check_user(value)
        if self.kind == "choice":
            if value not in self.choices:
                raise invalid_argument(self.param, self.message)
            return value
        if not value:  # routing_form
            raise invalid_argument(self.param, f"{self.param} is required")
        q.api.lookup("routing_forms", value)
        return value


@dataclass(frozen=True)
class Parent:
    """The resource a nested path lists under: ``/{segment}/{uuid}/...``."""

    segment: str
    collection: str | None  # None: the organization itself

    def uri(self, api: Api, req: ApiRequest) -> str:
        return api.org.uri(self.segment, req.path_args["uuid"])

    def resolve(self, api: Api, uri: str) -> Record:
        """The parent record, or 404."""
        if self.collection is not None:
            return api.lookup(self.collection, uri)
        if uri != api.org.organization["uri"]:
            raise not_found()
        return api.org.organization


# -- access rules ---------------------------------------------------------------------------


def _anyone(_: Query) -> None:
    return None


def _admins(q: Query) -> None:
    q.api.require_admin(q.req.principal)


def _self_unless_admin(q: Query) -> None:
    """A member may list only their own membership."""
    if q.owners.get("user") != q.caller and not q.is_admin:
        raise permission_denied()


def _events_access(q: Query) -> None:
    """Organization-wide events need an admin; a user's events without ``organization``
    are the caller's own only (Calendly's wording, for admins too)."""
    if q.owners.get("organization") is not None and not q.is_admin:
        raise permission_denied()
    if q.owners.get("organization") is None and q.owners.get("user") != q.caller:
        raise permission_denied(
            "Please also specify organization when requesting events for a user within your "
            "organization."
        )


def _event_members(q: Query) -> None:
    parent = q.parent or {}
    if not q.is_admin and not any(
        m.get("user") == q.caller for m in parent.get("event_memberships", ())
    ):
        raise permission_denied("You are not allowed to view this event")


def _webhooks_access(q: Query) -> None:
    """Organization-scope subscriptions need an admin; a member lists their own only."""
    if not q.is_admin and (
        q.owners.get("scope") == "organization" or q.owners.get("user") != q.caller
    ):
        raise permission_denied()


# -- filters -------------------------------------------------------------------------------


def _equal_to(path: str, value: Any) -> Predicate:
    def check(record: Record) -> bool:
        return bool(field_value(record, path) == value)

    return check


@dataclass(frozen=True)
class Equals:
    """Exact match of a parameter (or, ``only_if=(param, value)``, only when another
    parameter has that value)."""

    param: str
    path: str
    only_if: tuple[str, str] | None = None

    def apply(self, q: Query) -> Predicate | None:
        value = q.params.get(self.param)
        if not value or (self.only_if and q.params.get(self.only_if[0]) != self.only_if[1]):
            return None
        return _equal_to(self.path, value)


@dataclass(frozen=True)
class Choice:
    """Exact match of a parameter limited to ``choices`` (e.g. ``status``)."""

    param: str
    path: str
    choices: tuple[str, ...]

    def apply(self, q: Query) -> Predicate | None:
        value = q.params.get(self.param)
        if value is None:
            return None
        if value not in self.choices:
            raise invalid_argument(self.param, f"{self.param} must be {' or '.join(self.choices)}")
        return _equal_to(self.path, value)


@dataclass(frozen=True)
class Flag:
    """A true/false parameter matched against a boolean field."""

    param: str
    path: str

    def apply(self, q: Query) -> Predicate | None:
        value = parse_bool_param(q.params.get(self.param), self.param)
        return None if value is None else _equal_to(self.path, int(value))


@dataclass(frozen=True)
class Email:
    """Calendly matches e-mail filters case-insensitively."""

    param: str
    path: str

    def apply(self, q: Query) -> Predicate | None:
        value = q.params.get(self.param)
        if not value:
            return None
        wanted = value.lower()

        def check(record: Record) -> bool:
            return str(field_value(record, self.path) or "").lower() == wanted

        return check


@dataclass(frozen=True)
class InviteeEmail:
    """Events with an invitee of this e-mail (case-insensitive)."""

    param: str

    def apply(self, q: Query) -> Predicate | None:
        value = q.params.get(self.param)
        if not value:
            return None
        wanted, org = value.lower(), q.api.org

        def check(event: Record) -> bool:
            return any(
                str(i.get("email", "")).lower() == wanted
                for i in org.children_of("event_invitees", event["uri"])
            )

        return check


@dataclass(frozen=True)
class AnyOf:
    """A list parameter (``actor=a,b`` or ``actor[]=a``): the field is one of them."""

    param: str
    path: str

    def apply(self, q: Query) -> Predicate | None:
        wanted = set(q.values(self.param))
        if not wanted:
            return None

        def check(record: Record) -> bool:
            return field_value(record, self.path) in wanted

        return check


@dataclass(frozen=True)
class Search:
    """A case-insensitive substring search over a few fields (quotes and ``*`` ignored)."""

    param: str
    paths: tuple[str, ...]
    max_length: int = 300

    def apply(self, q: Query) -> Predicate | None:
        text = (q.params.get(self.param) or "").lower()
        if len(text) > self.max_length:
            raise invalid_argument(
                self.param, f"{self.param} must be at most {self.max_length} characters"
            )
        needle = text.strip('"*')
        if not text:
            return None

        def check(record: Record) -> bool:
            haystack = " ".join(str(_raw(record, p)) for p in self.paths).lower()
            return needle in haystack

        return check


def _raw(record: Record, path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


@dataclass(frozen=True)
class TimeRange:
    """``[min, max)`` on a timestamp field. When the sort starts with that field the
    range is an index range; otherwise it filters records."""

    min_param: str
    max_param: str
    path: str

    def apply(self, q: Query) -> Predicate | None:
        lo = ts(parse_time_param(q.params.get(self.min_param), self.min_param))
        hi = ts(parse_time_param(q.params.get(self.max_param), self.max_param))
        if lo is None and hi is None:
            return None
        # Match the stored precision (some orgs store milliseconds, 24 characters).
        sample = next(iter(q.api.org.collections[q.endpoint.collection].values()), None)
        if sample is not None and len(str(field_value(sample, self.path))) == 24:
            lo, hi = (None if b is None else b[:23] + "Z" for b in (lo, hi))
        if q.spec.fields and q.spec.fields[0][0] == self.path and not q.spec.mixed:
            q.first_range = (lo, hi)
            return None
        path = self.path

        def check(record: Record) -> bool:
            value = field_value(record, path)
            return not ((lo and value < lo) or (hi and value >= hi))

        return check


Filter = Equals | Choice | Flag | Email | InviteeEmail | AnyOf | Search | TimeRange


# -- views: which records a listing walks, as a sorted index ----------------------------------


def _whole(collection: str) -> Callable[[Query], SortedView]:
    def view(q: Query) -> SortedView:
        org = q.api.org
        return q.api.indexes.view(collection, ("all",), q.spec, lambda: org.records(collection))

    return view


def _member_users(event: Record) -> Iterable[str]:
    return {m["user"] for m in event.get("event_memberships", ()) if m.get("user")}


#: Events by start time: the default listing and every availability computation.
BY_START = SortSpec((("start_time", False),))


def warm_indexes(indexes: IndexCache, org: SandboxOrg) -> None:
    """Build the busiest indexes before the first request, as a real server has them.

    Otherwise the first request pays for them while holding the org lock (at ``medium``
    the per-member partition alone took 0.4 s, stalling every request in flight).
    """
    with org.lock:
        events = partial(org.records, "scheduled_events")
        indexes.view("scheduled_events", ("all",), BY_START, events)
        indexes.partitioned("scheduled_events", "member", BY_START, events, _member_users)
        entries = partial(org.records, "activity_log_entries")
        for newest_first in (True, False):  # the listing, and its totals
            spec = SortSpec((("occurred_at", newest_first),))
            indexes.view("activity_log_entries", ("all",), spec, entries)


def user_events_view(api: Api, user: str, spec: SortSpec) -> SortedView:
    """Events where ``user`` is in ``event_memberships``, sorted by ``spec``."""
    views = api.indexes.partitioned(
        "scheduled_events",
        "member",
        spec,
        lambda: api.org.records("scheduled_events"),
        _member_users,
    )
    return views.get(user) or SortedView(spec, ())


def _events_view(q: Query) -> SortedView:
    user = q.owners.get("user")
    if user is not None:
        return user_events_view(q.api, user, q.spec)
    return _whole("scheduled_events")(q)


def _hosted_by(api: Api, event_type: Record, user: str) -> bool:
    """A user's event types: the ones they own and the team ones they host."""
    profile = event_type.get("profile") or {}
    if profile.get("type") == "Team":
        return any(h["uri"] == user for h in data_records.team_hosts(api.org, event_type))
    return bool(profile.get("owner") == user)


def _event_types_view(q: Query) -> SortedView:
    user = q.owners.get("user")
    if not user:
        return _whole("event_types")(q)
    api = q.api

    def members() -> Iterable[Record]:
        return (r for r in api.org.records("event_types") if _hosted_by(api, r, user))

    return api.indexes.view("event_types", ("user", user), q.spec, members)


def _invitees_view(q: Query) -> SortedView:
    parent = q.parent or {}
    return SortedView(q.spec, q.api.org.children_of("event_invitees", parent.get("uri", "")))


def _submissions_view(q: Query) -> SortedView:
    form, org = q.owners.get("form") or "", q.api.org
    return q.api.indexes.view(
        "routing_form_submissions",
        ("form", form),
        q.spec,
        lambda: org.children_of("routing_form_submissions", form),
    )


def _activity_totals(q: Query, matches: Predicate) -> dict[str, Any]:
    """``total_count`` and ``last_event_time`` of the whole filtered log, cached per query
    until the log changes."""
    api = q.api
    by_time = SortSpec((("occurred_at", False),))
    lo_ts, hi_ts = q.first_range

    def count_matches() -> dict[str, Any]:
        timeline = api.indexes.view(
            "activity_log_entries",
            ("all",),
            by_time,
            lambda: api.org.records("activity_log_entries"),
        )
        lo, hi = timeline.bounds(lo_ts, hi_ts)
        table = api.org.collections["activity_log_entries"]
        total, last = 0, None
        for key in timeline.keys[lo:hi]:
            entry = table.get(key[-1])
            if entry is not None and matches(entry):
                total += 1
                last = entry["occurred_at"]
        return {"last_event_time": last, "total_count": total, "exceeds_max_total_count": False}

    result: dict[str, Any] = api.indexes.memo(
        "activity_log_entries", tuple(sorted(q.params.items())), count_matches
    )
    return result


# -- the table ------------------------------------------------------------------------------

_ORG = Owner("organization", "organization")
_ORG_REQUIRED = Owner("organization", "organization", required=True)
_USER = Owner("user", "user")


@dataclass(frozen=True)
class ListEndpoint:
    """One paged list endpoint (see the module docstring for the order of checks)."""

    path: str
    collection: str
    #: Page-token scope; ``{parent}`` is replaced by the parent's URI.
    key: str
    #: Query parameters read (in this order into tokens and ``next_page`` links).
    params: tuple[str, ...]
    view: Callable[[Query], SortedView]
    sort_fields: tuple[str, ...] = ("created_at",)
    default_sort: str = "created_at:asc"
    #: False: the order is fixed (no ``sort`` parameter); "array": ``sort`` or ``sort[]``.
    sort_param: bool | str = True
    owners: tuple[Owner, ...] = ()
    #: At least one of these owner filters must be given.
    one_of: tuple[str, ...] = ()
    #: (param, other, value): ``param`` is required when ``other`` is ``value``.
    required_when: tuple[tuple[str, str, str], ...] = ()
    parent: Parent | None = None
    #: Resolve the parent and check access before reading the query (invitations).
    gate_first: bool = False
    enterprise: bool = False
    access: Callable[[Query], None] = _anyone
    filters: tuple[Filter, ...] = ()
    max_count: int = MAX_COUNT
    totals: bool = False

    def __post_init__(self) -> None:
        named = {o.param for o in self.owners}
        for f in self.filters:
            named.update((f.min_param, f.max_param) if isinstance(f, TimeRange) else (f.param,))
        if self.sort_param:
            named.add("sort")
        missing = named - set(self.params)
        if missing:
            raise ValueError(f"{self.path}: parameters {sorted(missing)} are not declared")


ENDPOINTS: tuple[ListEndpoint, ...] = (
    ListEndpoint(
        path="/scheduled_events",
        collection="scheduled_events",
        key="scheduled_events",
        params=(
            "user",
            "organization",
            "invitee_email",
            "status",
            "sort",
            "min_start_time",
            "max_start_time",
        ),
        view=_events_view,
        sort_fields=("start_time",),
        default_sort="start_time:asc",
        owners=(_ORG, _USER),
        one_of=("organization", "user"),
        access=_events_access,
        filters=(
            TimeRange("min_start_time", "max_start_time", "start_time"),
            Choice("status", "status", ("active", "canceled")),
            InviteeEmail("invitee_email"),
        ),
    ),
    ListEndpoint(
        path="/scheduled_events/{uuid}/invitees",
        collection="event_invitees",
        key="invitees:{parent}",
        params=("status", "sort", "email"),
        view=_invitees_view,
        parent=Parent("scheduled_events", "scheduled_events"),
        access=_event_members,
        filters=(Choice("status", "status", ("active", "canceled")), Email("email", "email")),
    ),
    ListEndpoint(
        path="/event_types",
        collection="event_types",
        key="event_types",
        params=("organization", "user", "active", "admin_managed", "sort"),
        view=_event_types_view,
        sort_fields=("name",),
        default_sort="name:asc",
        owners=(_ORG, _USER),
        one_of=("organization", "user"),
        filters=(Flag("active", "active"), Flag("admin_managed", "admin_managed")),
    ),
    ListEndpoint(
        path="/organization_memberships",
        collection="organization_memberships",
        key="organization_memberships",
        params=("organization", "user", "email", "role"),
        view=_whole("organization_memberships"),
        sort_param=False,
        owners=(_ORG, _USER),
        one_of=("organization", "user"),
        access=_self_unless_admin,
        filters=(
            Equals("user", "user.uri"),
            Equals("role", "role"),
            Email("email", "user.email"),
        ),
    ),
    ListEndpoint(
        path="/organizations/{uuid}/invitations",
        collection="organization_invitations",
        key="organization_invitations",
        params=("sort", "email", "status"),
        view=_whole("organization_invitations"),
        parent=Parent("organizations", None),
        gate_first=True,
        access=_admins,
        filters=(
            Choice("status", "status", ("pending", "accepted", "declined")),
            Email("email", "email"),
        ),
    ),
    ListEndpoint(
        path="/routing_forms",
        collection="routing_forms",
        key="routing_forms",
        params=("organization", "sort"),
        view=_whole("routing_forms"),
        owners=(_ORG_REQUIRED,),
    ),
    ListEndpoint(
        path="/routing_form_submissions",
        collection="routing_form_submissions",
        key="routing_form_submissions",
        params=("form", "sort"),
        view=_submissions_view,
        owners=(Owner("form", "routing_form", required=True),),
    ),
    ListEndpoint(
        path="/webhook_subscriptions",
        collection="webhook_subscriptions",
        key="webhook_subscriptions",
        params=("organization", "scope", "user", "sort"),
        view=_whole("webhook_subscriptions"),
        owners=(
            _ORG_REQUIRED,
            Owner(
                "scope",
                "choice",
                required=True,
                choices=("organization", "user"),
                message="scope is required: organization or user",
            ),
            _USER,
        ),
        required_when=(("user", "scope", "user"),),
        access=_webhooks_access,
        filters=(Equals("scope", "scope"), Equals("user", "user", only_if=("scope", "user"))),
    ),
    ListEndpoint(
        path="/groups",
        collection="groups",
        key="groups",
        params=("organization", "sort"),
        view=_whole("groups"),
        sort_fields=("created_at", "name"),
        owners=(_ORG_REQUIRED,),
    ),
    ListEndpoint(
        path="/activity_log_entries",
        collection="activity_log_entries",
        key="activity_log_entries",
        params=(
            "organization",
            "search_term",
            "min_occurred_at",
            "max_occurred_at",
            "actor",
            "sort",
            "namespace",
            "action",
            "actor[]",
            "sort[]",
            "namespace[]",
            "action[]",
        ),
        view=_whole("activity_log_entries"),
        sort_fields=("occurred_at", "action", "namespace", "actor.uri", "actor.display_name"),
        default_sort="occurred_at:desc",
        sort_param="array",
        owners=(_ORG_REQUIRED,),
        enterprise=True,
        access=_admins,
        filters=(
            Search(
                "search_term",
                ("fully_qualified_name", "actor.display_name", "actor.alternative_identifier"),
            ),
            TimeRange("min_occurred_at", "max_occurred_at", "occurred_at"),
            AnyOf("actor", "actor.uri"),
            AnyOf("namespace", "namespace"),
            AnyOf("action", "action"),
        ),
        max_count=ACTIVITY_MAX_COUNT,
        totals=True,
    ),
)


# -- the one handler ------------------------------------------------------------------------


def _everything(_: Record) -> bool:
    return True


def _all_of(predicates: list[Predicate]) -> Predicate:
    if not predicates:
        return _everything
    if len(predicates) == 1:
        return predicates[0]

    def check(record: Record) -> bool:
        return all(p(record) for p in predicates)

    return check


def _sort(q: Query) -> SortSpec:
    endpoint = q.endpoint
    if not endpoint.sort_param:
        raw = ""
    elif q.token:
        raw = str(q.token["s"])
    elif endpoint.sort_param == "array":
        raw = ",".join(q.values("sort"))
    else:
        raw = q.params.get("sort", "")
    return SortSpec.parse(raw, endpoint.sort_fields, endpoint.default_sort, "sort")


def serve(endpoint: ListEndpoint, api: Api, req: ApiRequest) -> ApiResponse:
    """Answer one request to ``endpoint``, in the steps the module docstring lists."""
    parent_uri = endpoint.parent.uri(api, req) if endpoint.parent else ""
    key = endpoint.key.format(parent=parent_uri)
    q = Query(endpoint, api, req, {}, None)
    if endpoint.gate_first:
        q.parent = endpoint.parent.resolve(api, parent_uri) if endpoint.parent else None
        endpoint.access(q)
    q.params, q.token = api.effective_params(req, key, endpoint.params)
    count = api.parse_count(req, endpoint.max_count)
    if endpoint.parent is not None and not endpoint.gate_first:
        q.parent = endpoint.parent.resolve(api, parent_uri)
    for owner in endpoint.owners:
        q.owners[owner.param] = owner.check(q)
    if endpoint.one_of and all(q.owners.get(name) is None for name in endpoint.one_of):
        raise invalid_argument(
            endpoint.one_of[0], f"One of {' or '.join(endpoint.one_of)} is required"
        )
    for name, other, value in endpoint.required_when:
        if q.owners.get(other) == value and q.owners.get(name) is None:
            raise invalid_argument(name, f"{name} is required when {other} is {value}")
    if endpoint.enterprise:
        api.require_plan()
    if not endpoint.gate_first:
        endpoint.access(q)
    q.spec = _sort(q)
    predicate = _all_of([p for f in endpoint.filters if (p := f.apply(q)) is not None])

    def totals(_: list[Record]) -> dict[str, Any]:
        return _activity_totals(q, predicate)

    return api.page(
        req,
        endpoint=key,
        collection=endpoint.collection,
        params=q.params,
        token=q.token,
        spec=q.spec,
        view=lambda: endpoint.view(q),
        predicate=predicate,
        count=count,
        first_range=q.first_range,
        extra=totals if endpoint.totals else None,
    )


def handler(endpoint: ListEndpoint) -> Callable[[Api, ApiRequest], ApiResponse]:
    """The route handler for one declared endpoint."""

    def handle(api: Api, req: ApiRequest) -> ApiResponse:
        return serve(endpoint, api, req)

    return handle
