"""What every resource namespace shares: the client, query building, result shapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tap_calendly.api.errors import APIError, describe_details

if TYPE_CHECKING:
    from tap_calendly.actions.client import Calendly, WriteOutcome

Record = dict[str, Any]
Rows = list[Record]
#: The request counter key of every action request (``transport.requests_by_stream``).
STREAM = "actions"


class Namespace:
    """One Calendly object's operations, e.g. ``client.events``."""

    def __init__(self, client: Calendly) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._client!r})"


def query(params: Mapping[str, Any]) -> Record:
    """Query parameters without the unset ones; booleans as Calendly spells them."""
    out: Record = {}
    for key, value in params.items():
        if value is None or value == [] or value == ():
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, list | tuple):
            out[key] = ",".join(str(v) for v in value)  # style: form, explode: false
        else:
            out[key] = value
    return out


def planned(outcome: WriteOutcome) -> Record:
    """The dry-run result of one write."""
    return {"dry_run": True, "request": outcome.planned}


def object_uri(client: Calendly, given: str, path: str) -> str:
    """The URI to report for ``path``: the one the caller gave, else ``api_url + path``."""
    return given.strip() if "://" in given else client.url(path)


def removal(uri: str, verb: str, outcome: WriteOutcome) -> Record:
    """The result of a DELETE (Calendly answers 204 with no body)."""
    if outcome.planned is not None:
        return planned(outcome)
    return {"uri": uri, "result": verb, "already_done": outcome.already_done}


def error_text(error: APIError) -> str:
    """Title, message and details in lower case, for "already done" checks."""
    return f"{error.title} {error.api_message} {describe_details(error.details)}".lower()
