"""Hostile and mistaken input to the control endpoints, the OAuth endpoints and a few
write endpoints: every case answers a 4xx with a JSON error naming the problem, never a
500, never a traceback in the log, and changes nothing."""

from __future__ import annotations

import base64
import logging
import socket
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tap_calendly.sandbox.server import MAX_BODY_BYTES

JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Case:
    """One request. ``body`` is sent raw; ``auth`` picks the OAuth client credentials
    (``basic``, ``form``, ``id-only``, ``wrong``, ``garbled`` or None); ``bearer`` sends
    the owner's token; ``mentions`` must appear in the error body."""

    id: str
    method: str
    path: str
    status: int
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    auth: str | None = None
    bearer: bool = False
    mentions: str = ""


def _json(text: str) -> bytes:
    return text.encode()


CONTROL = [
    Case("advance-not-json", "POST", "/_sandbox/advance", 400, b"days=1", JSON, mentions="JSON"),
    Case("advance-array", "POST", "/_sandbox/advance", 400, b"[1, 2]", JSON, mentions="object"),
    Case(
        "advance-string",
        "POST",
        "/_sandbox/advance",
        400,
        _json('{"days": "1"}'),
        JSON,
        mentions="days",
    ),
    Case(
        "advance-bool",
        "POST",
        "/_sandbox/advance",
        400,
        _json('{"days": true}'),
        JSON,
        mentions="days",
    ),
    Case(
        "advance-1e12-days",
        "POST",
        "/_sandbox/advance",
        400,
        _json('{"days": 1e12}'),
        JSON,
        mentions="days",
    ),
    Case(
        "advance-negative",
        "POST",
        "/_sandbox/advance",
        400,
        _json('{"hours": -3}'),
        JSON,
        mentions="hours",
    ),
    Case(
        "advance-nan",
        "POST",
        "/_sandbox/advance",
        400,
        _json('{"days": NaN}'),
        JSON,
        mentions="JSON",
    ),
    Case("advance-nothing", "POST", "/_sandbox/advance", 400, b"", JSON, mentions="positive"),
    Case(
        "advance-unknown-unit",
        "POST",
        "/_sandbox/advance",
        400,
        _json('{"weeks": 1}'),
        JSON,
        mentions="weeks",
    ),
    Case(
        "advance-too-far",
        "POST",
        "/_sandbox/advance",
        400,
        _json('{"days": 200, "hours": 5000}'),
        JSON,
        mentions="366",
    ),
    Case("config-array", "POST", "/_sandbox/config", 400, b"[]", JSON, mentions="object"),
    Case(
        "config-unknown",
        "POST",
        "/_sandbox/config",
        400,
        _json('{"turbo": 1}'),
        JSON,
        mentions="turbo",
    ),
    Case(
        "config-rate-string",
        "POST",
        "/_sandbox/config",
        400,
        _json('{"rate_limit_per_minute": "fast"}'),
        JSON,
        mentions="rate_limit_per_minute",
    ),
    Case(
        "config-rate-zero",
        "POST",
        "/_sandbox/config",
        400,
        _json('{"rate_limit_per_minute": 0}'),
        JSON,
        mentions="rate_limit_per_minute",
    ),
    Case(
        "config-rate-fraction",
        "POST",
        "/_sandbox/config",
        400,
        _json('{"rate_limit_per_minute": 2.5}'),
        JSON,
        mentions="whole",
    ),
    Case(
        "config-latency-huge",
        "POST",
        "/_sandbox/config",
        400,
        _json('{"latency_ms": 1e12}'),
        JSON,
        mentions="latency_ms",
    ),
    Case(
        "config-jitter-negative",
        "POST",
        "/_sandbox/config",
        400,
        _json('{"jitter_ms": -1}'),
        JSON,
        mentions="jitter_ms",
    ),
    Case(
        "config-ttl-negative",
        "POST",
        "/_sandbox/config",
        400,
        _json('{"access_token_ttl_seconds": -5}'),
        JSON,
        mentions="access_token_ttl_seconds",
    ),
    Case(
        "config-plan-list",
        "POST",
        "/_sandbox/config",
        400,
        _json('{"plan": ["enterprise"]}'),
        JSON,
        mentions="plan",
    ),
    Case(
        "config-extra-fields-text",
        "POST",
        "/_sandbox/config",
        400,
        _json('{"extra_fields": "yes"}'),
        JSON,
        mentions="extra_fields",
    ),
    Case(
        "config-faults-text",
        "POST",
        "/_sandbox/config",
        400,
        _json('{"faults": "everything"}'),
        JSON,
        mentions="faults",
    ),
    Case(
        "config-fault-kind",
        "POST",
        "/_sandbox/config",
        400,
        _json('{"faults": {"rates": {"explode": 0.5}}}'),
        JSON,
        mentions="unknown kind",
    ),
    Case(
        "config-fault-probability",
        "POST",
        "/_sandbox/config",
        400,
        _json('{"faults": {"rates": {"500": 2}}}'),
        JSON,
        mentions="faults.rates.500",
    ),
    Case(
        "config-fault-schedule-no-nth",
        "POST",
        "/_sandbox/config",
        400,
        _json('{"faults": {"schedule": [{"kind": "500"}]}}'),
        JSON,
        mentions="nth",
    ),
    Case(
        "config-stall-forever",
        "POST",
        "/_sandbox/config",
        400,
        _json('{"faults": {"stall_seconds": 1e9}}'),
        JSON,
        mentions="stall_seconds",
    ),
    Case(
        "config-huge-body",
        "POST",
        "/_sandbox/config",
        413,
        b"{" + b" " * (MAX_BODY_BYTES + 1) + b"}",
        JSON,
        mentions="bytes",
    ),
    Case("control-wrong-method", "GET", "/_sandbox/advance", 405, mentions="POST"),
    Case("control-unknown-path", "POST", "/_sandbox/explode", 404),
    Case(
        "control-chunked-body",
        "POST",
        "/_sandbox/config",
        411,
        b'{"latency_ms": 1}',
        {"Transfer-Encoding": "chunked"},
        mentions="Content-Length",
    ),
]

OAUTH = [
    Case(
        "token-no-client",
        "POST",
        "/oauth/token",
        401,
        b"grant_type=refresh_token&refresh_token=x",
        mentions="invalid_client",
    ),
    Case(
        "token-client-id-only",
        "POST",
        "/oauth/token",
        401,
        b"grant_type=refresh_token&refresh_token=x",
        auth="id-only",
        mentions="invalid_client",
    ),
    Case(
        "token-wrong-secret",
        "POST",
        "/oauth/token",
        401,
        b"grant_type=refresh_token&refresh_token=x",
        auth="wrong",
        mentions="invalid_client",
    ),
    Case(
        "token-garbled-basic",
        "POST",
        "/oauth/token",
        401,
        b"grant_type=refresh_token",
        auth="garbled",
        mentions="invalid_client",
    ),
    Case(
        "token-not-utf8",
        "POST",
        "/oauth/token",
        400,
        b"grant_type=\xff\xfe",
        auth="basic",
        mentions="invalid_request",
    ),
    Case(
        "token-unknown-grant",
        "POST",
        "/oauth/token",
        400,
        b"grant_type=password&username=a",
        auth="basic",
        mentions="unsupported_grant_type",
    ),
    Case(
        "token-no-refresh-token",
        "POST",
        "/oauth/token",
        400,
        b"grant_type=refresh_token",
        auth="form",
        mentions="invalid_grant",
    ),
    Case(
        "token-json-body",
        "POST",
        "/oauth/token",
        401,
        b'{"grant_type": "refresh_token"}',
        JSON,
        mentions="invalid_client",
    ),
    Case(
        "token-huge-body",
        "POST",
        "/oauth/token",
        413,
        b"a" * (MAX_BODY_BYTES + 1),
        auth="basic",
        mentions="invalid_request",
    ),
    Case(
        "revoke-client-id-only",
        "POST",
        "/oauth/revoke",
        401,
        b"token=x",
        auth="id-only",
        mentions="invalid_client",
    ),
    Case(
        "authorize-header-injection",
        "GET",
        "/oauth/authorize",
        400,
        params={"redirect_uri": "http://127.0.0.1/cb\r\nSet-Cookie: a=b"},
        auth="query",
        mentions="redirect_uri",
    ),
    Case(
        "authorize-javascript",
        "GET",
        "/oauth/authorize",
        400,
        params={"redirect_uri": "javascript:alert(1)"},
        auth="query",
        mentions="redirect_uri",
    ),
    Case(
        "authorize-unknown-client",
        "GET",
        "/oauth/authorize",
        400,
        params={"client_id": "intruder", "redirect_uri": "http://127.0.0.1/cb"},
        mentions="invalid_client",
    ),
]

API = [
    Case(
        "webhook-numeric-signing-key",
        "POST",
        "/webhook_subscriptions",
        400,
        b"",
        JSON,
        bearer=True,
        mentions="signing_key",
    ),
    Case(
        "deletion-numeric-times",
        "POST",
        "/data_compliance/deletion/events",
        400,
        _json('{"start_time": 5, "end_time": []}'),
        JSON,
        bearer=True,
        mentions="start_time",
    ),
    Case(
        "cancellation-broken-json",
        "POST",
        "/scheduled_events/nope/cancellation",
        400,
        b'{"reason": ',
        JSON,
        bearer=True,
        mentions="JSON",
    ),
]


def _request(sandbox, case: Case) -> requests.Response:
    headers = dict(case.headers)
    params = dict(case.params)
    body = case.body
    client_id, secret = sandbox.oauth_client_id, sandbox.oauth_client_secret
    if case.auth == "basic":
        token = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    elif case.auth == "wrong":
        token = base64.b64encode(f"{client_id}:{secret}x".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    elif case.auth == "garbled":
        headers["Authorization"] = "Basic %%%not-base64"
    elif case.auth in ("form", "id-only"):
        extra = f"&client_id={client_id}" + (
            f"&client_secret={secret}" if case.auth == "form" else ""
        )
        body = (body or b"") + extra.encode()
    elif case.auth == "query":
        params["client_id"] = client_id
    if case.bearer:
        headers["Authorization"] = f"Bearer {sandbox.admin_token}"
        if case.path == "/webhook_subscriptions":
            body = requests.models.complexjson.dumps(
                {
                    "url": "http://127.0.0.1:9/hook",
                    "events": ["invitee.created"],
                    "organization": sandbox.org.organization["uri"],
                    "scope": "organization",
                    "signing_key": 12345,
                }
            ).encode()
    return requests.request(
        case.method,
        sandbox.url + case.path,
        data=body,
        headers=headers,
        params=params,
        timeout=10,
        allow_redirects=False,
    )


@pytest.fixture
def quiet(caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG, logger="tap_calendly.sandbox")
    return caplog


@pytest.mark.parametrize("case", CONTROL + OAUTH + API, ids=lambda c: c.id)
def test_hostile_input_is_a_clear_4xx(sandbox, quiet, capfd, case: Case) -> None:
    before = (sandbox.config(), sandbox.org.now_ts())
    response = _request(sandbox, case)
    assert response.status_code == case.status, response.text
    body: dict[str, Any] = response.json()
    if case.path.startswith("/oauth/"):
        assert set(body) == {"error", "error_description"}
        text = f"{body['error']} {body['error_description']}"
    else:
        assert isinstance(body["title"], str)
        assert isinstance(body["message"], str)
        text = str(body)
    assert case.mentions in text
    assert "Traceback" not in text
    assert "Set-Cookie" not in response.headers
    assert "Location" not in response.headers
    assert (sandbox.config(), sandbox.org.now_ts()) == before
    problems = [r for r in quiet.records if r.levelno >= logging.ERROR or r.exc_info]
    assert problems == []
    assert "Traceback" not in capfd.readouterr().err


def _raw(sandbox, data: bytes) -> bytes:
    host, port = sandbox.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(data)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    "content_length", ["abc", "-5", "1e3", "99999999999999999999"], ids=lambda v: f"length-{v}"
)
def test_malformed_content_length_is_a_json_4xx(sandbox, quiet, capfd, content_length) -> None:
    answer = _raw(
        sandbox,
        b"POST /_sandbox/config HTTP/1.1\r\nHost: x\r\nContent-Length: "
        + content_length.encode()
        + b"\r\n\r\n{}",
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    assert status in (400, 413)
    assert b'"title"' in body
    assert [r for r in quiet.records if r.levelno >= logging.ERROR] == []
    assert "Traceback" not in capfd.readouterr().err


def test_garbage_request_line_gets_json(sandbox) -> None:
    head, _, body = _raw(sandbox, b"BREW /pot HTTP/9.9\r\n\r\n").partition(b"\r\n\r\n")
    assert head.split()[1].startswith(b"50") or head.split()[1].startswith(b"4")
    assert body.startswith(b"{")


def test_good_requests_still_work_after_hostile_ones(sandbox) -> None:
    """The refusals above are not side effects of a broken endpoint."""
    changed = requests.post(
        f"{sandbox.url}/_sandbox/config", json={"latency_ms": 0, "extra_fields": False}, timeout=5
    )
    assert changed.status_code == 200
    moved = requests.post(f"{sandbox.url}/_sandbox/advance", json={"minutes": 1}, timeout=30)
    assert moved.status_code == 200
    assert moved.json()["now"] == sandbox.org.now_ts()
    auth = (sandbox.oauth_client_id, sandbox.oauth_client_secret)
    refresh = sandbox.issue_refresh_token()
    granted = requests.post(
        sandbox.token_url,
        data={"grant_type": "refresh_token", "refresh_token": refresh},
        auth=auth,
        timeout=5,
    )
    assert granted.status_code == 200
    assert granted.json()["refresh_token"] != refresh


def test_revoke_needs_the_client_secret(sandbox) -> None:
    refresh = sandbox.issue_refresh_token()
    denied = requests.post(
        sandbox.url + "/oauth/revoke",
        data={"token": refresh, "client_id": sandbox.oauth_client_id},
        timeout=5,
    )
    assert denied.status_code == 401
    still = requests.post(
        sandbox.token_url,
        data={"grant_type": "refresh_token", "refresh_token": refresh},
        auth=(sandbox.oauth_client_id, sandbox.oauth_client_secret),
        timeout=5,
    )
    assert still.status_code == 200
