"""``Calendly``: the shared client plus one namespace per Calendly object.

It is a :class:`CalendlyClient` (same auth, OAuth rotation, rate limit and retry rule as
the tap), so ``client.get``/``client.paginate`` keep working, and it adds
``client.events.cancel(...)``, ``client.webhooks.create(...)``, ``client.raw(...)`` and
the rest (docs/actions.md). Methods return the API's objects as dicts and raise the
typed errors of :mod:`tap_calendly.api.errors`.

Writes go through :meth:`Calendly.write`. With ``dry_run`` nothing is written: the
method returns the request it would have sent, secrets redacted (reads still run, to
resolve defaults such as the token's organization). A write whose repetition is
harmless is retried after ambiguous failures, and an "already done" answer to such a
retry (409, "already canceled", 404 after a delete) is reported as success.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tap_calendly.actions import validate
from tap_calendly.actions.availability import AvailabilitySchedules, BusyTimes
from tap_calendly.actions.base import STREAM
from tap_calendly.actions.compliance import DataCompliance
from tap_calendly.actions.describe import describe_request
from tap_calendly.actions.forms import RoutingForms, RoutingFormSubmissions
from tap_calendly.actions.organization import (
    ActivityLog,
    Groups,
    Invitations,
    Memberships,
    Users,
)
from tap_calendly.actions.raw import RawResponse, send_raw
from tap_calendly.actions.scheduling import (
    Events,
    EventTypes,
    Invitees,
    NoShows,
    SchedulingLinks,
    Shares,
)
from tap_calendly.actions.webhooks import Webhooks
from tap_calendly.api.client import CalendlyClient
from tap_calendly.api.errors import APIError, CalendlyError
from tap_calendly.api.ratelimit import RateLimiter
from tap_calendly.api.settings import Settings

Record = dict[str, Any]
#: Recognises the answer a repeated write gets when its first attempt was applied.
AlreadyDone = Callable[[APIError], bool]


@dataclass
class WriteOutcome:
    """What a write did: the decoded body, whether an earlier attempt had applied it,
    or (dry run) the request that would have been sent."""

    body: Any = None
    already_done: bool = False
    planned: Record | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def resource(self) -> Record:
        """The ``resource`` object of a 2xx body (``{}`` when there is none)."""
        if isinstance(self.body, dict) and isinstance(self.body.get("resource"), dict):
            return dict(self.body["resource"])
        return {}


def gone(error: APIError) -> bool:
    return error.status == 404


class Calendly(CalendlyClient):
    """:class:`CalendlyClient` with resource namespaces; build with :meth:`connect`."""

    def __init__(self, settings: Settings, transport: Any) -> None:
        super().__init__(settings, transport)
        #: When True, writes are described instead of sent (reads still run).
        self.dry_run = False
        self.users = Users(self)
        self.events = Events(self)
        self.invitees = Invitees(self)
        self.event_types = EventTypes(self)
        self.shares = Shares(self)
        self.scheduling_links = SchedulingLinks(self)
        self.no_shows = NoShows(self)
        self.memberships = Memberships(self)
        self.invitations = Invitations(self)
        self.groups = Groups(self)
        self.routing_forms = RoutingForms(self)
        self.routing_form_submissions = RoutingFormSubmissions(self)
        self.availability_schedules = AvailabilitySchedules(self)
        self.busy_times = BusyTimes(self)
        self.activity_log = ActivityLog(self)
        self.webhooks = Webhooks(self)
        self.data_compliance = DataCompliance(self)

    @classmethod
    def connect(
        cls,
        settings: Settings | Mapping[str, Any],
        *,
        dry_run: bool = False,
        limiter: RateLimiter | None = None,
    ) -> Calendly:
        """Validate ``settings`` (a mapping or :class:`Settings`) and build the client."""
        client = cls.from_settings(settings, limiter=limiter)
        assert isinstance(client, cls)
        client.dry_run = dry_run
        return client

    # -- building blocks for the namespaces ------------------------------------------

    def resource(self, path: str, params: Mapping[str, Any] | None = None) -> Record:
        """GET ``path`` and return its ``resource`` object."""
        body = self.get(path, params, stream=STREAM)
        if not isinstance(body, dict) or not isinstance(body.get("resource"), dict):
            raise CalendlyError(f"GET {path}: the answer is not a Calendly object")
        return dict(body["resource"])

    def collection(self, path: str, params: Mapping[str, Any] | None = None) -> list[Record]:
        """GET an unpaged list (busy times, available times, schedules)."""
        body = self.get(path, params, stream=STREAM)
        if not isinstance(body, dict) or not isinstance(body.get("collection"), list):
            raise CalendlyError(f"GET {path}: the answer is not a Calendly list")
        return [row for row in body["collection"] if isinstance(row, dict)]

    def owner_filter(self, *, user: str | None = None, organization: str | None = None) -> Record:
        """The given owner filters, or the settings' scope applied to the token's owner."""
        given = {"user": user, "organization": organization}
        if any(given.values()):
            return {k: v for k, v in given.items() if v}
        owner = self.owner()
        if self.settings.scope == "user":
            return {"user": owner.user_uri}
        return {"organization": owner.organization_uri}

    def organization_uuid(self, organization: str | None = None) -> str:
        """The organization UUID from a URI, else the settings' or the token's."""
        uri = organization or self.owner().organization_uri
        return validate.uuid_of(uri, "--organization", segment="organizations")

    def describe(self, method: str, path: str, **parts: Any) -> Record:
        """The request as it would go on the wire, secrets redacted."""
        return describe_request(
            method,
            self.url(path),
            user_agent=self.settings.user_agent,
            secrets=self.settings.secrets(),
            **parts,
        )

    def write(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        already_done: AlreadyDone | None = None,
    ) -> WriteOutcome:
        """POST or DELETE through the client core's retry rule (see module docstring).

        ``already_done`` marks the write as harmless to repeat and recognises the answer
        a repeat gets; without it a POST is never repeated after a failure that may have
        been applied. DELETE always counts a 404 after such a retry as done.
        """
        if self.dry_run:
            return WriteOutcome(planned=self.describe(method, path, json=body))
        hits: list[APIError] = []
        rule = already_done if method != "DELETE" else already_done or gone

        def check(error: APIError) -> bool:
            if rule is not None and rule(error):
                hits.append(error)
                return True
            return False

        if method == "POST":
            answer = self.post(
                path, body, already_done=check if rule is not None else None, stream=STREAM
            )
        elif method == "DELETE":
            answer = self.delete(path, already_done=check, stream=STREAM)
        else:
            raise CalendlyError(f"write: unsupported method {method}")
        return WriteOutcome(body=answer, already_done=bool(hits))

    # -- raw ---------------------------------------------------------------------------

    def raw(self, method: str, path: str, **options: Any) -> Any:
        """ "API Request": any method and path on the API host; returns the body (decoded
        JSON by default, ``str`` or ``bytes`` with ``response_type``), or on a dry run
        the request that would be sent. Options: see :func:`send_raw`."""
        answer = self.raw_response(method, path, **options)
        return {"dry_run": True, "request": answer.planned} if answer.planned else answer.body

    def raw_response(self, method: str, path: str, **options: Any) -> RawResponse:
        """Like :meth:`raw`, with the status and headers (options: :func:`send_raw`)."""
        return send_raw(self, method, path, **options)
