"""Fixtures of the reliability suite: a sandbox with known secrets, a hostile fake API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tap_calendly.windows import parse_datetime
from tests.reliability.fake_api import FakeAPI, me_routes

#: Known secret values: every output of every run is searched for them.
PAT = "relPAT-7f3c9e1a5b2d4f60aa"
CLIENT_ID = "rel-client-id"
CLIENT_SECRET = "relCLIENTSECRET-93e1c0d8ee"


def issued_tokens(sandbox: Sandbox) -> set[str]:
    """Every token the sandbox ever issued (access and refresh, used or not)."""
    store = sandbox.app.tokens
    return set(store._access) | set(store._refresh) | set(store._used_refresh)


def start_date(sandbox: Sandbox, days_back: float) -> str:
    """A start_date ``days_back`` days before the sandbox's now (keeps runs short)."""
    now = parse_datetime(sandbox.info()["now"])
    return (now - timedelta(days=days_back)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def secret_sandbox() -> Iterator[Sandbox]:
    """A small org whose PAT and OAuth client secret are the known values above."""
    settings = SandboxSettings(
        seed=3,
        scale="small",
        rate_limit_per_minute=1_000_000,
        webhooks=False,
        admin_token=PAT,
        oauth_client_id=CLIENT_ID,
        oauth_client_secret=CLIENT_SECRET,
    )
    with Sandbox(settings) as sandbox:
        yield sandbox


@pytest.fixture
def fake() -> Iterator[FakeAPI]:
    """A scripted API on loopback that already answers ``/users/me``."""
    api = FakeAPI().start()
    api.routes.update(me_routes(api.url))
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def elsewhere() -> Iterator[FakeAPI]:
    """A second host: the token must never reach it."""
    api = FakeAPI().start()
    try:
        yield api
    finally:
        api.stop()
