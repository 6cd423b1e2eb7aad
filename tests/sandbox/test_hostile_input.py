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


ADVANCE, CONFIG, TOKEN = "/_sandbox/advance", "/_sandbox/config", "/oauth/token"
REFRESH = "grant_type=refresh_token&refresh_token=x"


def post(
    case_id: str, path: str, body: str | bytes, mentions: str, status: int = 400, **kw: Any
) -> Case:
    raw = body.encode() if isinstance(body, str) else body
    headers = kw.pop("headers", JSON if path.startswith("/_sandbox") else {})
    return Case(case_id, "POST", path, status, raw, headers, mentions=mentions, **kw)


def authorize(
    case_id: str, params: dict[str, str], mentions: str, auth: str | None = "query"
) -> Case:
    return Case(
        case_id, "GET", "/oauth/authorize", 400, params=params, auth=auth, mentions=mentions
    )


CONTROL = [
    post("advance-not-json", ADVANCE, "days=1", "JSON"),
    post("advance-array", ADVANCE, "[1, 2]", "object"),
    post("advance-string", ADVANCE, '{"days": "1"}', "days"),
    post("advance-bool", ADVANCE, '{"days": true}', "days"),
    post("advance-1e12-days", ADVANCE, '{"days": 1e12}', "days"),
    post("advance-negative", ADVANCE, '{"hours": -3}', "hours"),
    post("advance-nan", ADVANCE, '{"days": NaN}', "JSON"),
    post("advance-nothing", ADVANCE, "", "positive"),
    post("advance-unknown-unit", ADVANCE, '{"weeks": 1}', "weeks"),
    post("advance-too-far", ADVANCE, '{"days": 200, "hours": 5000}', "366"),
    post("config-array", CONFIG, "[]", "object"),
    post("config-unknown", CONFIG, '{"turbo": 1}', "turbo"),
    post("config-rate-string", CONFIG, '{"rate_limit_per_minute": "fast"}', "rate_limit"),
    post("config-rate-zero", CONFIG, '{"rate_limit_per_minute": 0}', "rate_limit"),
    post("config-rate-fraction", CONFIG, '{"rate_limit_per_minute": 2.5}', "whole"),
    post("config-latency-huge", CONFIG, '{"latency_ms": 1e12}', "latency_ms"),
    post("config-jitter-negative", CONFIG, '{"jitter_ms": -1}', "jitter_ms"),
    post("config-ttl-negative", CONFIG, '{"access_token_ttl_seconds": -5}', "ttl"),
    post("config-plan-list", CONFIG, '{"plan": ["enterprise"]}', "plan"),
    post("config-extra-fields-text", CONFIG, '{"extra_fields": "yes"}', "extra_fields"),
    post("config-faults-text", CONFIG, '{"faults": "everything"}', "faults"),
    post("config-fault-kind", CONFIG, '{"faults": {"rates": {"explode": 0.5}}}', "unknown kind"),
    post("config-fault-probability", CONFIG, '{"faults": {"rates": {"500": 2}}}', "rates.500"),
    post("config-fault-no-nth", CONFIG, '{"faults": {"schedule": [{"kind": "500"}]}}', "nth"),
    post("config-stall-forever", CONFIG, '{"faults": {"stall_seconds": 1e9}}', "stall_seconds"),
    post("config-huge-body", CONFIG, b"{" + b" " * MAX_BODY_BYTES + b"}", "bytes", status=413),
    post("control-unknown-path", "/_sandbox/explode", "{}", "not find", status=404),
    post(
        "control-chunked-body",
        CONFIG,
        '{"latency_ms": 1}',
        "Content-Length",
        status=411,
        headers={"Transfer-Encoding": "chunked"},
    ),
    Case("control-wrong-method", "GET", ADVANCE, 405, mentions="POST"),
]

OAUTH = [
    post("token-no-client", TOKEN, REFRESH, "invalid_client", 401),
    post("token-client-id-only", TOKEN, REFRESH, "invalid_client", 401, auth="id-only"),
    post("token-wrong-secret", TOKEN, REFRESH, "invalid_client", 401, auth="wrong"),
    post("token-garbled-basic", TOKEN, REFRESH, "invalid_client", 401, auth="garbled"),
    post("token-not-utf8", TOKEN, b"grant_type=\xff\xfe", "invalid_request", auth="basic"),
    post("token-unknown-grant", TOKEN, "grant_type=password", "unsupported_grant", auth="basic"),
    post("token-no-refresh-token", TOKEN, "grant_type=refresh_token", "invalid_grant", auth="form"),
    post("token-json-body", TOKEN, '{"grant_type": "x"}', "invalid_client", 401, headers=JSON),
    post(
        "token-huge-body", TOKEN, b"a" * (MAX_BODY_BYTES + 1), "invalid_request", 413, auth="basic"
    ),
    post(
        "revoke-client-id-only", "/oauth/revoke", "token=x", "invalid_client", 401, auth="id-only"
    ),
    authorize(
        "authorize-header-injection",
        {"redirect_uri": "http://127.0.0.1/cb\r\nSet-Cookie: a=b"},
        "redirect_uri",
    ),
    authorize("authorize-javascript", {"redirect_uri": "javascript:alert(1)"}, "redirect_uri"),
    authorize(
        "authorize-unknown-client",
        {"client_id": "x", "redirect_uri": "http://127.0.0.1/"},
        "invalid_client",
        None,
    ),
]

API = [
    post("webhook-numeric-signing-key", "/webhook_subscriptions", "", "signing_key", bearer=True),
    post(
        "deletion-numeric-times",
        "/data_compliance/deletion/events",
        '{"start_time": 5, "end_time": []}',
        "start_time",
        bearer=True,
        headers=JSON,
    ),
    post(
        "cancellation-broken-json",
        "/scheduled_events/x/cancellation",
        '{"reason": ',
        "JSON",
        bearer=True,
        headers=JSON,
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
