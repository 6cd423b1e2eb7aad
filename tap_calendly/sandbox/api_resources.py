"""Single-resource GET endpoints (FACTS.md section 3): ``{resource: ...}`` by UUID."""

from __future__ import annotations

from tap_calendly.sandbox.api_context import Api, ApiRequest, ApiResponse, respond
from tap_calendly.sandbox.api_errors import not_found, permission_denied


def _get(api: Api, collection: str, uri: str) -> ApiResponse:
    with api.org.lock:
        return respond(200, {"resource": api.served(collection, api.lookup(collection, uri))})


def get_user(api: Api, req: ApiRequest) -> ApiResponse:
    uuid = req.path_args.get("uuid", "me")
    uri = req.principal.user_uri if uuid == "me" else api.org.uri("users", uuid)
    return _get(api, "users", uri)


def get_event(api: Api, req: ApiRequest) -> ApiResponse:
    uri = api.org.uri("scheduled_events", req.path_args["uuid"])
    with api.org.lock:
        event = api.lookup("scheduled_events", uri)
        if not req.principal.is_admin and not any(
            m.get("user") == req.principal.user_uri for m in event.get("event_memberships", ())
        ):
            raise permission_denied("You do not have permission")
        return respond(200, {"resource": api.served("scheduled_events", event)})


def get_invitee(api: Api, req: ApiRequest) -> ApiResponse:
    uri = api.org.uri(
        "scheduled_events", req.path_args["uuid"], "invitees", req.path_args["invitee_uuid"]
    )
    return _get(api, "event_invitees", uri)


def get_invitation(api: Api, req: ApiRequest) -> ApiResponse:
    uri = api.org.uri(
        "organizations", req.path_args["uuid"], "invitations", req.path_args["invitation_uuid"]
    )
    return _get(api, "organization_invitations", uri)


def get_organization(api: Api, req: ApiRequest) -> ApiResponse:
    if api.org.uri("organizations", req.path_args["uuid"]) != api.org.organization["uri"]:
        raise not_found()
    with api.org.lock:
        return respond(200, {"resource": api.org.organization})


def simple_getter(collection: str, segment: str) -> object:
    """Handler for ``/{segment}/{uuid}`` backed by ``collection``."""

    def handler(api: Api, req: ApiRequest) -> ApiResponse:
        return _get(api, collection, api.org.uri(segment, req.path_args["uuid"]))

    return handler
