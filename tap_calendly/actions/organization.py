"""Users, memberships, invitations, groups and the activity log of an organization."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from tap_calendly.actions import validate
from tap_calendly.actions.base import (
    STREAM,
    Namespace,
    Record,
    error_text,
    object_uri,
    planned,
    query,
    removal,
)
from tap_calendly.api.errors import APIError

ACTIVITY_SORT_FIELDS = ("action", "actor.display_name", "actor.uri", "namespace", "occurred_at")
#: The activity log pages up to 1000 rows (FACTS.md 2.9); other lists up to 100.
ACTIVITY_PAGE_SIZE = 1000


def _already_invited(error: APIError) -> bool:
    """A repeated invitation meets 400 "Already Invited"."""
    return error.status in (400, 409) and "already invited" in error_text(error)


class Users(Namespace):
    """ "Get Current User", "Get User"."""

    def me(self) -> Record:
        return self._client.resource("/users/me")

    def get(self, uuid: str) -> Record:
        user = "me" if uuid == "me" else validate.uuid_of(uuid, "UUID", segment="users")
        return self._client.resource(f"/users/{user}")


class Memberships(Namespace):
    """ "List Organization Memberships", "Get Organization Membership",
    "Remove User from Organization"."""

    def list(
        self,
        *,
        organization: str | None = None,
        user: str | None = None,
        email: str | None = None,
        role: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Record]:
        params = query(
            {
                "organization": validate.optional_uri(organization, "--organization"),
                "user": validate.optional_uri(user, "--user"),
                "email": None if email is None else validate.email(email, "--email"),
                "role": validate.choice(role, ("owner", "admin", "user"), "--role"),
            }
        )
        validate.limit(limit)
        if not organization and not user:
            params["organization"] = self._client.owner().organization_uri
        return self._client.paginate(
            "/organization_memberships", params, limit=limit, stream=STREAM
        )

    def get(self, uuid: str) -> Record:
        membership = validate.uuid_of(uuid, "UUID", segment="organization_memberships")
        return self._client.resource(f"/organization_memberships/{membership}")

    def remove(self, uuid: str) -> Record:
        """Remove the member (admin only; never the owner). A retried removal answered
        404 is success."""
        membership = validate.uuid_of(uuid, "UUID", segment="organization_memberships")
        path = f"/organization_memberships/{membership}"
        uri = object_uri(self._client, uuid, path)
        return removal(uri, "removed", self._client.write("DELETE", path))


class Invitations(Namespace):
    """ "List Organization Invitations", "Get Organization Invitation",
    "Invite User to Organization", "Revoke User's Organization Invitation"."""

    def _path(self, uuid: str, organization: str | None) -> str:
        """``/organizations/ORG/invitations/UUID`` from an invitation URI or a UUID."""
        if "://" in uuid:
            parts = [p for p in urlsplit(uuid).path.split("/") if p]
            if len(parts) < 4 or parts[-2] != "invitations" or parts[-4] != "organizations":
                raise validate.fail(f"UUID: {uuid!r} is not an invitation URI")
            org, invitation = parts[-3], parts[-1]
        else:
            org = self._client.organization_uuid(organization)
            invitation = validate.uuid_of(uuid, "UUID", segment="invitations")
        return f"/organizations/{org}/invitations/{invitation}"

    def list(
        self,
        *,
        organization: str | None = None,
        email: str | None = None,
        status: str | None = None,
        sort: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Record]:
        params = query(
            {
                "email": None if email is None else validate.email(email, "--email"),
                "status": validate.choice(status, ("pending", "accepted", "declined"), "--status"),
                "sort": validate.choice(sort, ("created_at:asc", "created_at:desc"), "--sort"),
            }
        )
        validate.limit(limit)
        org = self._client.organization_uuid(organization)
        return self._client.paginate(
            f"/organizations/{org}/invitations", params, limit=limit, stream=STREAM
        )

    def get(self, uuid: str, *, organization: str | None = None) -> Record:
        return self._client.resource(self._path(uuid, organization))

    def create(self, email: str, *, organization: str | None = None) -> Record:
        """Invite ``email``; a retried invitation answered "Already Invited" is success
        and returns the pending invitation."""
        address = validate.email(email, "--email")
        org = self._client.organization_uuid(organization)
        outcome = self._client.write(
            "POST",
            f"/organizations/{org}/invitations",
            {"email": address},
            already_done=_already_invited,
        )
        if outcome.planned is not None:
            return planned(outcome)
        if outcome.already_done:
            found = self.list(
                organization=self._client.url(f"/organizations/{org}"),
                email=address,
                status="pending",
                limit=1,
            )
            return next(iter(found), {})
        return outcome.resource

    def revoke(self, uuid: str, *, organization: str | None = None) -> Record:
        """Revoke a pending invitation; a retried revoke answered 404 is success."""
        path = self._path(uuid, organization)
        uri = object_uri(self._client, uuid, path)
        return removal(uri, "revoked", self._client.write("DELETE", path))


class Groups(Namespace):
    """ "List Groups", "Get Group"."""

    def list(
        self, *, organization: str | None = None, limit: int | None = None
    ) -> Iterator[Record]:
        validate.limit(limit)
        org = validate.optional_uri(organization, "--organization")
        params = {"organization": org or self._client.owner().organization_uri}
        return self._client.paginate("/groups", params, limit=limit, stream=STREAM)

    def get(self, uuid: str) -> Record:
        group = validate.uuid_of(uuid, "UUID", segment="groups")
        return self._client.resource(f"/groups/{group}")


class ActivityLog(Namespace):
    """ "List Activity Log Entries" (Enterprise plans)."""

    def list(
        self,
        *,
        organization: str | None = None,
        search_term: str | None = None,
        actor: Sequence[str] = (),
        namespace: Sequence[str] = (),
        action: Sequence[str] = (),
        sort: Sequence[str] = (),
        min_occurred_at: Any = None,
        max_occurred_at: Any = None,
        limit: int | None = None,
    ) -> Iterator[Record]:
        if search_term is not None and len(search_term) > validate.MAX_SEARCH_TERM:
            raise validate.fail(
                f"--search-term can be at most {validate.MAX_SEARCH_TERM} characters"
            )
        for item in sort:
            field, _, direction = item.partition(":")
            if field not in ACTIVITY_SORT_FIELDS or direction not in ("asc", "desc"):
                raise validate.fail(
                    f"--sort {item!r}: use FIELD:asc or FIELD:desc with FIELD one of "
                    f"{', '.join(ACTIVITY_SORT_FIELDS)}"
                )
        validate.limit(limit)
        org = validate.optional_uri(organization, "--organization")
        params = query(
            {
                "organization": org or self._client.owner().organization_uri,
                "search_term": search_term,
                "actor": [validate.uri(a, "--actor") for a in actor],
                "namespace": list(namespace),
                "action": list(action),
                "sort": list(sort),
                "min_occurred_at": validate.optional_time(min_occurred_at, "--min-occurred-at"),
                "max_occurred_at": validate.optional_time(max_occurred_at, "--max-occurred-at"),
            }
        )
        return self._client.paginate(
            "/activity_log_entries",
            params,
            page_size=ACTIVITY_PAGE_SIZE,
            limit=limit,
            stream=STREAM,
        )
