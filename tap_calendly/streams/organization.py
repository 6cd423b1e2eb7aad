"""Organization domain: memberships, the users behind them, invitations, groups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from tap_calendly.streams.base import CalendlyStream, ChildStream, Record
from tap_calendly.streams.schema import (
    array,
    datetime_,
    integer,
    key_string,
    obj,
    record,
    string,
    user_fields,
)

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


class OrganizationMembershipsStream(CalendlyStream):
    """``/organization_memberships``: the org's members (or only mine in user scope).

    Parent of ``users`` (derived from the embedded user, no request) and of the
    per-user availability streams.
    """

    name = "organization_memberships"
    path = "/organization_memberships"
    schema: ClassVar[dict[str, Any]] = record(
        uri=key_string(),
        role=string(),
        user=obj(**user_fields()),
        organization=string(),
        created_at=datetime_(),
        updated_at=datetime_(),
    )

    def query(self, context: Context | None) -> dict[str, Any]:
        return self.sync_context.owner_filter()

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        user = row.get("user") or {}
        if user.get("uri"):
            self.sync_context.remember_member(str(user["uri"]))
        return super().post_process(row, context)

    def get_child_context(self, record: Record, context: Context | None) -> Context | None:
        user = record.get("user") or {}
        if not user.get("uri"):
            return None
        return {"user_uri": user["uri"]}


class UsersStream(ChildStream):
    """Users: ``/users/me`` (the full record) plus each member's embedded user.

    Member users are derived from the membership page already fetched, with
    ``current_organization`` set from the membership: no request per user, and
    memberships are never listed twice. A user in two memberships is emitted once.
    """

    name = "users"
    path = "/users/me"
    parent_stream_type = OrganizationMembershipsStream
    parent_key = "user_uri"
    distinct_parents = True
    paginated = False
    schema: ClassVar[dict[str, Any]] = record(**user_fields())

    def derive(self, membership: Record) -> Record:
        me = self.sync_context.owner()
        user = dict(membership.get("user") or {})
        if user.get("uri") == me.user_uri and me.me:
            return dict(me.me)
        user.setdefault("current_organization", membership.get("organization"))
        return user

    def schedule(self, context: Mapping[str, Any], parent: Record) -> None:
        key = self.prefetch_key(context)
        if self.first_time(key):
            self.sync_context.fanout.put(self.name, key, [self.derive(parent)])

    def fetch_all(self, context: Mapping[str, Any]) -> list[Record]:
        me = self.sync_context.owner()
        if context.get("user_uri") == me.user_uri and me.me:
            return [dict(me.me)]
        return []


class OrganizationInvitationsStream(CalendlyStream):
    """``/organizations/{uuid}/invitations`` (admins only: 403 skips)."""

    name = "organization_invitations"
    path = "/organizations/{organization_uuid}/invitations"
    gated = True
    skip_on_404 = True
    schema: ClassVar[dict[str, Any]] = record(
        uri=key_string(),
        organization=string(),
        email=string(),
        status=string(),
        user=string(),
        created_at=datetime_(),
        updated_at=datetime_(),
        last_sent_at=datetime_(),
    )

    def get_url(self, context: Context | None) -> str:
        org_uuid = self.sync_context.owner().organization_uri.rstrip("/").rsplit("/", 1)[-1]
        return f"{self.url_base}/organizations/{org_uuid}/invitations"


class GroupsStream(CalendlyStream):
    """``/groups?organization=``: only some accounts have groups (403/404 skip)."""

    name = "groups"
    path = "/groups"
    gated = True
    skip_on_404 = True
    schema: ClassVar[dict[str, Any]] = record(
        uri=key_string(),
        name=string(),
        organization=string(),
        member_count=integer(),
        admins=array(string()),
        created_at=datetime_(),
        updated_at=datetime_(),
    )

    def query(self, context: Context | None) -> dict[str, Any]:
        return {"organization": self.sync_context.owner().organization_uri}
