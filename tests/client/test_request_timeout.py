"""A per-request timeout (the raw command's --timeout) overrides request_timeout for one call."""

from __future__ import annotations

import requests

from tap_calendly.api.auth import StaticToken
from tap_calendly.api.client import CalendlyClient
from tap_calendly.api.ratelimit import RateLimiter
from tap_calendly.api.settings import Settings
from tap_calendly.api.transport import Transport


class RecordingSession:
    """Answers 200 with a JSON body and records the timeout each send was given."""

    def __init__(self) -> None:
        self.timeouts: list[object] = []

    def send(self, request, **kwargs):
        self.timeouts.append(kwargs.get("timeout"))
        resp = requests.Response()
        resp.status_code = 200
        resp._content = b'{"resource": {}}'
        resp.url = request.url
        return resp


def client_with(session: RecordingSession) -> CalendlyClient:
    settings = Settings.parse({"personal_access_token": "pat", "request_timeout": 30})
    transport = Transport(
        api_url=settings.base_url,
        tokens=StaticToken("pat"),
        limiter=RateLimiter(),
        session=session,  # type: ignore[arg-type]
        timeout=settings.request_timeout,
    )
    return CalendlyClient(settings, transport)


def test_per_request_timeout_overrides_the_setting_for_that_request_only():
    session = RecordingSession()
    client = client_with(session)
    client.request("GET", "/users/me", timeout=2.5)
    client.request("GET", "/users/me")
    assert session.timeouts == [2.5, 30]
