"""Hostile and mistaken input to the ``calendly`` command, table-driven.

Same rule as the tap's table (test_hostile_input.py): each case runs the console script
as a subprocess and ends in exactly one ``calendly: error:`` line and a non-zero exit,
or in correct behaviour; never a traceback, never a secret, and the token never reaches
another host. Responses come from the scripted loopback API.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.cli import assert_no_secret, clean_env
from tests.reliability.fake_api import FakeAPI, Reply, page

CALENDLY = Path(sys.executable).parent / "calendly"
TOKEN = "relCALENDLYPAT-4d3c2b1a09"
MARK = "calendly: error: "
EVENT = "00000000-0000-4000-8000-000000000001"


@dataclass
class Case:
    id: str
    args: list[str]
    #: settings; "{url}" / "{other}" in strings become the fake's / the other host's URL
    config: Any = field(default_factory=lambda: {"personal_access_token": TOKEN})
    expect: str = ""
    code: int | None = None
    #: replies of the fake API per path
    routes: dict[str, list[Reply]] = field(default_factory=dict)
    check: Callable[[subprocess.CompletedProcess[str], FakeAPI, FakeAPI], None] | None = None


def fill(value: Any, url: str, other: str) -> Any:
    if isinstance(value, str):
        return value.replace("{url}", url).replace("{other}", other)
    if isinstance(value, list):
        return [fill(v, url, other) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, url, other) for k, v in value.items()}
    return value


def never_elsewhere(done: Any, fake: FakeAPI, other: FakeAPI) -> None:
    assert other.seen == []


def debug_is_redacted(done: Any, fake: FakeAPI, other: FakeAPI) -> None:
    assert done.returncode == 0, done.stderr[-2000:]
    assert fake.requests_to("/users/me"), "the request was sent"
    assert "/users/me" in done.stderr  # the debug log is there, without the token


CASES = [
    Case("config-missing", ["--config", "/nonexistent/tap.json", "me"], None, "does not exist", 2),
    Case("config-not-json", ["me"], "{nope", "not valid JSON", 2),
    Case("config-array", ["me"], [1, 2], "JSON object", 2),
    Case("token-newline", ["me"], {"personal_access_token": TOKEN + "\n"}, "whitespace", 2),
    Case("token-number", ["me"], {"personal_access_token": 1234567}, "must be a string", 2),
    Case(
        "api-url-ftp", ["me"], {"personal_access_token": TOKEN, "api_url": "ftp://x"}, "api_url", 2
    ),
    Case(
        "both-auth-methods",
        ["me"],
        {"personal_access_token": TOKEN, "client_id": "c", "client_secret": "s" * 8},
        "exactly one auth method",
        2,
    ),
    Case("limit-zero", ["events", "list", "--limit", "0"], expect="--limit", code=2),
    Case("uuid-path-traversal", ["events", "get", "../../users/me"], expect="UUID", code=2),
    Case("raw-other-host", ["raw", "GET", "{other}/users/me"], expect="refusing to send", code=2),
    Case("raw-bad-json", ["raw", "POST", "/x", "--data", "{bad"], expect="not valid JSON", code=2),
    Case(
        "raw-header-injection",
        ["raw", "GET", "/users/me", "--header", f"X-A: {TOKEN}\r\nAuthorization: Bearer stolen"],
        expect="a header has a line break",
        code=2,
    ),
    Case(
        "rejected-token-echoed",
        ["me"],
        routes={"/users/me": [Reply(401, {"title": "Unauthenticated", "message": f"bad {TOKEN}"})]},
        expect="401",
        code=3,
    ),
    Case(
        "non-json-answer",
        ["me"],
        config={"personal_access_token": TOKEN, "max_retries": 0},
        routes={"/users/me": [Reply(body="<html>oops", content_type="text/html")]},
        expect="incomplete",
        code=4,
    ),
    Case(
        "redirect-elsewhere",
        ["me"],
        routes={"/users/me": [Reply(302, "", headers={"Location": "{other}/users/me"})]},
        expect="302",
        code=3,
        check=never_elsewhere,
    ),
    Case(
        "repeated-page-token",
        ["groups", "list", "--organization", "{url}/organizations/O1"],
        routes={"/groups": [page([{"uri": "{url}/groups/G1"}], "A"), page([], "A")]},
        expect="repeated a page token",
    ),
    Case(
        "error-body-with-200",
        ["groups", "list", "--organization", "{url}/organizations/O1"],
        routes={"/groups": [Reply(200, {"title": "Oops", "message": "not a list"})]},
        expect="not a Calendly list",
    ),
    Case(
        "raw-debug-is-redacted",
        ["raw", "GET", "/users/me", "--debug"],
        routes={"/users/me": [Reply(body={"resource": {"uri": "{url}/users/U1"}})]},
        check=debug_is_redacted,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_calendly_command_hostile_input(
    case: Case, fake: FakeAPI, elsewhere: FakeAPI, tmp_path: Path
) -> None:
    for path, replies in case.routes.items():
        fake.routes[path] = [
            Reply(
                r.status,
                fill(r.body, fake.url, elsewhere.url),
                fill(r.headers, fake.url, elsewhere.url),
                r.content_type,
            )
            for r in replies
        ]
    args = fill(case.args, fake.url, elsewhere.url)
    if case.config is not None and "--config" not in args:
        settings = case.config
        if isinstance(settings, dict):
            settings = {"api_url": fake.url, "max_retries": 1, **settings}
        config = tmp_path / "tap.json"
        config.write_text(settings if isinstance(settings, str) else json.dumps(settings))
        args = ["--config", str(config), *args]
    done = subprocess.run(
        [str(CALENDLY), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert_no_secret(done.stdout + done.stderr, (TOKEN,))
    assert all(s.headers.get("Authorization") is None for s in elsewhere.seen)
    if case.expect:
        assert done.returncode != 0
        if case.code is not None:
            assert done.returncode == case.code, done.stderr[-2000:]
        lines = [line for line in done.stderr.splitlines() if line.startswith(MARK)]
        assert len(lines) == 1, done.stderr[-3000:]
        assert case.expect in lines[0], lines[0]
    if case.check is not None:
        case.check(done, fake, elsewhere)
