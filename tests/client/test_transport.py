"""Transport retry/error policy and OAuth rotation, with a scripted fake session."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import requests

from tap_calendly.api.auth import OAuthTokens, StaticToken, read_token_file
from tap_calendly.api.errors import AccessDenied, APIError, CalendlyError, NotFound
from tap_calendly.api.ratelimit import RateLimiter
from tap_calendly.api.transport import Transport, payload

URL = "https://api.example.test/scheduled_events?count=100"


def response(status: int, body: bytes | dict | None = None, headers: dict | None = None):
    resp = requests.Response()
    resp.status_code = status
    resp.reason = {200: "OK", 401: "Unauthorized"}.get(status, "X")
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    resp._content = body if body is not None else b""
    resp.headers.update(headers or {})
    resp.url = URL
    return resp


class ScriptedSession:
    """Returns (or raises) the scripted outcomes in order; records auth headers."""

    def __init__(self, outcomes):
        self.outcomes = list(outcomes)
        self.auth_headers: list[str] = []
        self.posts: list[dict] = []
        self.redirects_followed: list[bool] = []

    def send(self, request, **kwargs):
        self.auth_headers.append(request.headers["Authorization"])
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def post(self, url, data=None, auth=None, timeout=None, allow_redirects=True):
        self.posts.append(dict(data))
        self.redirects_followed.append(allow_redirects)
        return self.outcomes.pop(0)


def make(outcomes, tokens=None, max_retries=3):
    session = ScriptedSession(outcomes)
    slept: list[float] = []
    fake_now = [0.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        fake_now[0] += seconds

    limiter = RateLimiter(clock=lambda: fake_now[0], sleep=sleep)
    transport = Transport(
        api_url="https://api.example.test",
        tokens=tokens or StaticToken("pat-SECRET"),
        limiter=limiter,
        session=session,  # type: ignore[arg-type]
        max_retries=max_retries,
        sleep=sleep,
    )
    return transport, session, slept


def prepared():
    return requests.Request("GET", URL).prepare()


OK = {"collection": [{"uri": "u1"}], "pagination": {"next_page_token": None}}


def test_truncated_body_and_5xx_and_resets_are_retried():
    transport, _session, slept = make(
        [
            response(502, b"bad gateway"),
            response(200, b'{"collection": [{"uri": '),  # truncated JSON
            requests.exceptions.ConnectionError("reset"),
            response(200, OK),
        ]
    )
    resp = transport.send(prepared(), stream="scheduled_events")
    assert payload(resp) == OK
    assert transport.requests_by_stream["scheduled_events"] == 4
    assert len(slept) == 3  # three backoffs (fake sleep)


def test_retries_are_bounded():
    transport, _, _ = make([response(503)] * 3, max_retries=2)
    with pytest.raises(APIError) as info:
        transport.send(prepared(), stream="s")
    assert info.value.status == 503


def test_429_waits_for_reset_and_does_not_count_as_a_failure():
    limited = {"X-RateLimit-Limit": "500", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9"}
    transport, _, slept = make(
        [response(429, {}, limited)] * 4 + [response(200, OK)], max_retries=1
    )
    transport.send(prepared(), stream="s")
    assert transport.limiter.stats.throttled == 4
    assert sum(slept) >= 4 * 9


@pytest.mark.parametrize(("status", "error"), [(403, AccessDenied), (404, NotFound)])
def test_403_and_404_are_typed_for_the_stream_to_decide(status, error):
    transport, _, _ = make([response(status, {"title": "T", "message": "M"})])
    with pytest.raises(error):
        transport.send(prepared(), stream="s")


def test_other_4xx_is_fatal_with_calendly_title_and_message_but_no_token():
    body = {
        "title": "Invalid Argument",
        "message": "The supplied parameters are invalid.",
        "details": [{"parameter": "min_start_time", "message": "bad time"}],
    }
    transport, _, _ = make([response(400, body)])
    with pytest.raises(APIError) as info:
        transport.send(prepared(), stream="s")
    text = str(info.value)
    assert "400 Invalid Argument: The supplied parameters are invalid." in text
    assert "min_start_time: bad time" in text
    assert "/scheduled_events" in text
    assert "SECRET" not in text


def test_401_with_a_pat_is_one_clear_fatal_line():
    transport, _, _ = make([response(401, {"title": "Unauthenticated"})])
    with pytest.raises(CalendlyError) as info:
        transport.send(prepared(), stream="s")
    assert "401" in str(info.value)
    assert "SECRET" not in str(info.value)


def token_response(access: str, refresh: str, expires_in: int = 7200):
    return response(
        200, {"access_token": access, "refresh_token": refresh, "expires_in": expires_in}
    )


def oauth_tokens(token_file: Path, session: Any, **overrides: Any) -> OAuthTokens:
    """OAuthTokens for the test client against a scripted session."""
    settings: dict[str, Any] = {
        "client_id": "cid",
        "client_secret": "csecret",
        "refresh_token": "rt-0",
        "token_url": "https://auth.example.test/oauth/token",
    }
    return OAuthTokens(token_file=token_file, session=session, **settings | overrides)


def test_oauth_401_refreshes_once_and_persists_the_rotated_token_first(tmp_path):
    token_file = tmp_path / "tokens.json"
    session = ScriptedSession([])
    tokens = oauth_tokens(token_file, session, clock=lambda: 1000.0)
    transport, api_session, _ = make([], tokens=tokens)
    # Token endpoint and API share the scripted outcomes in call order.
    api_session.outcomes = [
        token_response("at-1", "rt-1"),  # first use: refresh grant
        response(401, {"title": "Unauthenticated"}),  # access token expired mid-sync
        token_response("at-2", "rt-2"),  # rotation
        response(200, OK),
    ]
    tokens._session = api_session  # type: ignore[assignment]
    transport.send(prepared(), stream="s")
    assert api_session.auth_headers == ["Bearer at-1", "Bearer at-2"]
    assert [p["refresh_token"] for p in api_session.posts] == ["rt-0", "rt-1"]
    assert api_session.redirects_followed == [False, False]
    saved = read_token_file(token_file)
    assert saved is not None
    assert saved["refresh_token"] == "rt-2"
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    # A new run with the same (now revoked) config token starts from the file.
    again = oauth_tokens(token_file, api_session, clock=lambda: 1000.0)
    assert again.refresh_token_value == "rt-2"
    assert again.token() == "at-2"  # still valid: no refresh needed
    # A brand-new authorization in config wins over the file.
    fresh = oauth_tokens(token_file, api_session, refresh_token="rt-NEW")
    assert fresh.refresh_token_value == "rt-NEW"


def test_rejected_refresh_token_is_a_clear_error(tmp_path):
    session = ScriptedSession([response(400, {"error": "invalid_grant"})])
    tokens = oauth_tokens(tmp_path / "t.json", session, refresh_token="rt-OLD")
    with pytest.raises(CalendlyError) as info:
        tokens.token()
    assert "invalid_grant" in str(info.value)
    assert "rt-OLD" not in str(info.value)
    assert "csecret" not in str(info.value)


def test_unwritable_token_file_stops_before_the_refresh_token_is_spent():
    # /proc takes no new files, even for root: the write fails as on a read-only mount.
    session = ScriptedSession([token_response("at-1", "rt-1")])
    tokens = oauth_tokens(Path("/proc/calendly-tokens.json"), session)
    with pytest.raises(CalendlyError) as info:
        tokens.token()
    assert session.posts == []  # the single-use refresh token was never sent
    assert "was not used" in str(info.value)
    assert "rt-0" not in str(info.value)


def test_token_file_under_a_file_is_refused_before_any_request(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    session = ScriptedSession([token_response("at-1", "rt-1")])
    with pytest.raises(CalendlyError) as info:
        oauth_tokens(blocker / "tokens.json", session).token()
    assert session.posts == []
    assert "token_file" in str(info.value)


def test_missing_token_folder_is_not_created_and_the_refresh_token_is_kept(tmp_path):
    session = ScriptedSession([token_response("at-1", "rt-1")])
    tokens = oauth_tokens(tmp_path / "missing" / "tokens.json", session)
    with pytest.raises(CalendlyError, match="does not exist") as info:
        tokens.token()
    assert session.posts == []
    assert not (tmp_path / "missing").exists()
    assert "still valid" in str(info.value)
