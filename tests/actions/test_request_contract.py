"""Every request body the write commands send validates against the official spec's
request schema (made strict by the contract harness: no property the spec does not name),
and every write operation of the spec is exercised."""

from __future__ import annotations

import copy
import re
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker

from tests.contract.test_openapi_contract import strict

from . import ids
from .conftest import invoke, write_config

WRITES = ("post", "delete")


def template_for(spec: dict[str, Any], method: str, path: str) -> str | None:
    for template, operations in spec["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if method.lower() in operations and re.match(pattern, path):
            return str(template)
    return None


def request_schema(spec: dict[str, Any], template: str) -> dict[str, Any]:
    body = spec["paths"][template]["post"]["requestBody"]
    raw = body["content"]["application/json"]["schema"]
    return dict(strict(copy.deepcopy(raw), spec["components"]["schemas"]))


COMMANDS: list[list[str]] = [
    ["events", "cancel", ids.FUTURE_EVENT, "--reason", "contract", "--yes"],
    ["events", "cancel", "074b93d3-4f13-433e-8a19-7a91f36e8f0c", "--yes"],
    ["shares", "create", "--event-type", ids.EVENT_TYPE],
    [
        "shares", "create", "--event-type", ids.EVENT_TYPE, "--name", "Intro", "--duration", "30",
        "--period-type", "fixed", "--start-date", "2030-02-01", "--end-date", "2030-02-03",
        "--hide-location", "--location-configurations",
        '[{"kind": "physical", "location": "1 Main St", "additional_info": "Door B",'
        ' "position": 0}, {"kind": "inbound_call", "phone_number": "+1 555 0100"}]',
        "--availability-rule",
        '{"timezone": "UTC", "rules": [{"type": "wday", "wday": "friday", "intervals":'
        ' [{"from": "09:00", "to": "10:00"}]}, {"type": "date", "date": "2030-02-02",'
        ' "intervals": []}]}',
    ],
    ["shares", "create", "--event-type", ids.EVENT_TYPE, "--period-type", "moving",
     "--max-booking-time", "14"],
    ["scheduling-links", "create", "--owner", ids.EVENT_TYPE],
    ["webhooks", "create", "--url", "https://contract.example.org/a", "--event",
     "invitee.created", "--event", "routing_form_submission.created", "--scope", "organization"],
    ["webhooks", "create", "--url", "https://contract.example.org/b", "--event",
     "invitee.canceled", "--scope", "user", "--signing-key", "contract-key"],
    ["webhooks", "delete", ids.ORG_WEBHOOK, "--yes"],
    ["webhooks", "delete-instanced", "--url", "https://contract.example.org/", "--yes"],
    ["invitations", "create", "--email", "contract.person@example.com"],
    ["invitations", "revoke", ids.PENDING_INVITATION, "--yes"],
    ["memberships", "remove", ids.MEMBERSHIP, "--yes"],
    ["no-shows", "mark", ids.PAST_INVITEE],
    ["no-shows", "unmark", ids.NO_SHOW, "--yes"],
    ["data-compliance", "delete-invitees", "a@example.com", "B@example.com", "--yes"],
    ["data-compliance", "delete-events", "--start-time", "2029-01-01T00:00:00Z",
     "--end-time", "2029-02-01T00:00:00Z", "--yes"],
]  # fmt: skip


def test_write_bodies_validate_against_the_spec(spec, fresh_sandbox, recorder, tmp_path):
    config = write_config(tmp_path / "c.json", fresh_sandbox)
    for args in COMMANDS:
        result = invoke(["--config", str(config), *args])
        assert result.code == 0, (args, result.err)
    covered: set[tuple[str, str]] = set()
    errors: list[str] = []
    for method, path, decoded, raw in recorder.requests:
        if method.lower() not in WRITES:
            continue
        template = template_for(spec, method, path)
        assert template is not None, f"{method} {path} is not an operation of the spec"
        covered.add((method.lower(), template))
        if method == "DELETE":
            assert not raw, f"DELETE {path} sent a body"
            continue
        assert decoded is not None, f"POST {path}: no JSON body"
        validator = OAS30Validator(
            request_schema(spec, template), format_checker=oas30_format_checker
        )
        errors += [f"POST {template}: {e.message}" for e in validator.iter_errors(decoded)]
    assert not errors, "\n".join(errors)
    every_write = {
        (method, template)
        for template, operations in spec["paths"].items()
        for method in operations
        if method in WRITES
    }
    assert covered == every_write


def test_the_strict_schema_catches_an_invented_field(spec):
    schema = request_schema(spec, "/scheduling_links")
    validator = OAS30Validator(schema, format_checker=oas30_format_checker)
    good = {"max_event_count": 1, "owner": ids.EVENT_TYPE, "owner_type": "EventType"}
    assert not list(validator.iter_errors(good))
    assert list(validator.iter_errors({**good, "max_uses": 1}))
    assert list(validator.iter_errors({**good, "max_event_count": 2}))
