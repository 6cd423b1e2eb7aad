"""Routing forms and their submissions."""

from __future__ import annotations

from collections.abc import Iterator

from tap_calendly.actions import validate
from tap_calendly.actions.base import STREAM, Namespace, Record, query

SORTS = ("created_at:asc", "created_at:desc")


class RoutingForms(Namespace):
    """ "List Routing Forms", "Get Routing Form"."""

    def list(
        self,
        *,
        organization: str | None = None,
        sort: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Record]:
        org = validate.optional_uri(organization, "--organization")
        params = query({"sort": validate.choice(sort, SORTS, "--sort")})
        validate.limit(limit)
        params["organization"] = org or self._client.owner().organization_uri
        return self._client.paginate("/routing_forms", params, limit=limit, stream=STREAM)

    def get(self, uuid: str) -> Record:
        form = validate.uuid_of(uuid, "UUID", segment="routing_forms")
        return self._client.resource(f"/routing_forms/{form}")


class RoutingFormSubmissions(Namespace):
    """ "List Routing Form Submissions", "Get Routing Form Submission"."""

    def list(
        self, form: str, *, sort: str | None = None, limit: int | None = None
    ) -> Iterator[Record]:
        params = query(
            {"form": validate.uri(form, "--form"), "sort": validate.choice(sort, SORTS, "--sort")}
        )
        validate.limit(limit)
        return self._client.paginate(
            "/routing_form_submissions", params, limit=limit, stream=STREAM
        )

    def get(self, uuid: str) -> Record:
        submission = validate.uuid_of(uuid, "UUID", segment="routing_form_submissions")
        return self._client.resource(f"/routing_form_submissions/{submission}")
