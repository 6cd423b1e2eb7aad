"""Rate limits (per token, fixed window on an injectable clock) and OAuth 2.0 with
single-use rotating refresh tokens and access tokens that expire on the simulated clock."""

from __future__ import annotations

import base64
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import requests

from .conftest import session_for


def test_rate_limit_headers_on_every_response(sandbox, admin):
    first = admin.get(f"{sandbox.url}/users/me")
    second = admin.get(f"{sandbox.url}/users/nope")
    for response in (first, second):
        assert response.headers["X-RateLimit-Limit"] == "500"
        assert response.headers["X-RateLimit-Reset"].isdigit()
    assert int(first.headers["X-RateLimit-Remaining"]) == 499
    assert int(second.headers["X-RateLimit-Remaining"]) == 498


def test_429_then_recovery_after_the_window(sandbox, admin, member, rate_clock):
    sandbox.configure(rate_limit_per_minute=3)
    statuses = [admin.get(f"{sandbox.url}/users/me").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = admin.get(f"{sandbox.url}/users/me")
    assert limited.status_code == 429
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.headers["X-RateLimit-Reset"] == "60"
    body = limited.json()
    assert set(body) >= {"title", "message"}
    # Another token has its own window.
    assert member.get(f"{sandbox.url}/users/me").status_code == 200
    rate_clock.advance(30)
    partial = admin.get(f"{sandbox.url}/users/me")
    assert partial.status_code == 429
    assert partial.headers["X-RateLimit-Reset"] == "30"
    rate_clock.advance(30)
    recovered = admin.get(f"{sandbox.url}/users/me")
    assert recovered.status_code == 200
    assert recovered.headers["X-RateLimit-Remaining"] == "2"


def _token(sandbox, form, basic=True):
    auth = None
    data = dict(form)
    if basic:
        auth = (sandbox.oauth_client_id, sandbox.oauth_client_secret)
    else:
        data["client_id"] = sandbox.oauth_client_id
        data["client_secret"] = sandbox.oauth_client_secret
    return requests.post(sandbox.token_url, data=data, auth=auth, timeout=5)


def test_authorization_code_grant_and_token_shape(sandbox):
    redirect = "http://127.0.0.1:9/callback"
    consent = requests.get(
        sandbox.url + "/oauth/authorize",
        params={
            "client_id": sandbox.oauth_client_id,
            "response_type": "code",
            "redirect_uri": redirect,
            "state": "xyz",
        },
        allow_redirects=False,
        timeout=5,
    )
    assert consent.status_code == 302
    location = urlsplit(consent.headers["Location"])
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    code = query["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
    response = _token(sandbox, form)
    assert response.status_code == 200
    token = response.json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 7200
    assert token["owner"] == sandbox.org.owner_uri
    assert token["organization"] == sandbox.org.organization["uri"]
    assert token["refresh_token"]
    me = session_for(token["access_token"]).get(f"{sandbox.url}/users/me")
    assert me.json()["resource"]["uri"] == sandbox.org.owner_uri
    # A code is single-use.
    assert _token(sandbox, form).json()["error"] == "invalid_grant"


def test_refresh_rotation_rejects_reuse(sandbox):
    refresh = sandbox.issue_refresh_token()
    first = _token(sandbox, {"grant_type": "refresh_token", "refresh_token": refresh}, False)
    assert first.status_code == 200
    rotated = first.json()["refresh_token"]
    assert rotated != refresh
    reused = _token(sandbox, {"grant_type": "refresh_token", "refresh_token": refresh})
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    second = _token(sandbox, {"grant_type": "refresh_token", "refresh_token": rotated})
    assert second.status_code == 200


def test_wrong_client_secret_is_401(sandbox):
    response = requests.post(
        sandbox.token_url,
        data={"grant_type": "refresh_token", "refresh_token": sandbox.issue_refresh_token()},
        headers={"Authorization": "Basic " + base64.b64encode(b"nobody:wrong").decode()},
        timeout=5,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_access_token_expires_on_the_simulated_clock(fresh_sandbox):
    sandbox = fresh_sandbox
    sandbox.configure(access_token_ttl_seconds=600)
    refresh = sandbox.issue_refresh_token()
    token = _token(sandbox, {"grant_type": "refresh_token", "refresh_token": refresh}).json()
    assert token["expires_in"] == 600
    session = session_for(token["access_token"])
    assert session.get(f"{sandbox.url}/users/me").status_code == 200
    sandbox.org.clock.advance(timedelta(seconds=601))
    expired = session.get(f"{sandbox.url}/users/me")
    assert expired.status_code == 401
    assert expired.json() == {
        "title": "Unauthenticated",
        "message": "The access token is expired",
    }
    # Personal access tokens do not expire.
    assert session_for(sandbox.admin_token).get(f"{sandbox.url}/users/me").status_code == 200


def test_revoked_tokens_stop_working(sandbox):
    refresh = sandbox.issue_refresh_token()
    token = _token(sandbox, {"grant_type": "refresh_token", "refresh_token": refresh}).json()
    session = session_for(token["access_token"])
    assert session.get(f"{sandbox.url}/users/me").status_code == 200
    revoke_url = sandbox.url + "/oauth/revoke"
    auth = (sandbox.oauth_client_id, sandbox.oauth_client_secret)
    for value in (token["access_token"], token["refresh_token"]):
        assert requests.post(revoke_url, data={"token": value}, auth=auth, timeout=5).ok
    assert session.get(f"{sandbox.url}/users/me").status_code == 401
    reuse = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    assert _token(sandbox, reuse).json()["error"] == "invalid_grant"
