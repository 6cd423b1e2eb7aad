"""Hostile and mistaken input to the tap's command line, table-driven.

Every case runs ``tap-calendly`` as a subprocess, as a user or Meltano would, and must
end either in correct behaviour or in exactly one clear error line and a non-zero exit:
never a traceback, never a secret. Responses come from a scripted loopback API
(:mod:`tests.reliability.fake_api`) with a second host that the token must never reach.

Cases of the ``calendly`` command are in test_hostile_calendly_cli.py; the loader's own
table is in tests/loader.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.cli import CliRun, assert_no_secret, assert_one_line_failure, run_tap_cli
from tests.reliability.fake_api import FakeAPI, Reply, group, page
from tests.support.tap_run import select_streams

TOKEN = "relHOSTILEPAT-2b7d9c41e0"
SECRET = "relHOSTILESECRET-6a1f"
#: Nothing listens here: a case that wrongly passes validation fails with another line.
NOWHERE = "http://127.0.0.1:9"


def cfg(**settings: Any) -> dict[str, Any]:
    return {"personal_access_token": TOKEN, "api_url": NOWHERE, "max_retries": 0, **settings}


@dataclass
class Case:
    """One input and its expected end: an error line containing ``expect``, or ``check``."""

    id: str
    config: Any = None
    state: Any = None
    catalog: Any = None
    expect: str = ""
    #: Click refuses the argument itself ("Error: Invalid value for '--state'").
    usage_error: bool = False
    check: Callable[[CliRun], None] | None = None
    secrets: tuple[str, ...] = field(default=(TOKEN, SECRET))


# -- settings ---------------------------------------------------------------------------

SETTINGS_CASES = [
    Case("lookback-negative", cfg(lookback_days=-1), expect="lookback_days must be at least 0"),
    Case("lookback-absurd", cfg(lookback_days=1e9), expect="lookback_days must be at most"),
    Case("lookback-nan", cfg(lookback_days="NaN"), expect="lookback_days must be a finite"),
    Case("horizon-zero", cfg(availability_horizon_days=0), expect="availability_horizon_days"),
    Case("horizon-absurd", cfg(availability_horizon_days=10**9), expect="at most 365"),
    Case("concurrency-zero", cfg(max_concurrency=0), expect="max_concurrency must be at least 1"),
    Case("concurrency-negative", cfg(max_concurrency=-5), expect="max_concurrency"),
    Case(
        "concurrency-absurd", cfg(max_concurrency=10**6), expect="max_concurrency must be at most"
    ),
    Case("concurrency-fraction", cfg(max_concurrency=2.5), expect="must be a whole number"),
    Case("rpm-zero", cfg(requests_per_minute=0), expect="requests_per_minute must be at least 1"),
    Case("rpm-absurd", cfg(requests_per_minute=1e15), expect="requests_per_minute must be at most"),
    Case("timeout-zero", cfg(request_timeout=0), expect="request_timeout must be at least"),
    Case("timeout-negative", cfg(request_timeout=-3), expect="request_timeout"),
    Case("timeout-absurd", cfg(request_timeout=1e9), expect="request_timeout must be at most"),
    Case("retries-negative", cfg(max_retries=-1), expect="max_retries must be at least 0"),
    Case("retries-absurd", cfg(max_retries=10**4), expect="max_retries must be at most"),
    Case("retries-string", cfg(max_retries="five"), expect="max_retries must be an integer"),
    Case("date-impossible", cfg(start_date="2024-02-30T00:00:00Z"), expect="start_date"),
    Case("date-words", cfg(start_date="yesterday"), expect="start_date must be an ISO 8601"),
    Case("date-year-zero", cfg(start_date="0000-01-01"), expect="start_date"),
    Case("date-number", cfg(start_date=20240101), expect="start_date must be a string"),
    Case("url-ftp", cfg(api_url="ftp://api.calendly.com"), expect="api_url must be an http(s)"),
    Case("url-file", cfg(api_url="file:///etc/passwd"), expect="api_url must be an http(s)"),
    Case("url-javascript", cfg(api_url="javascript:alert(1)"), expect="api_url"),
    Case("url-no-scheme", cfg(api_url="api.calendly.com"), expect="api_url must be an http(s)"),
    Case("url-bad-port", cfg(api_url="http://127.0.0.1:99999"), expect="valid host and port"),
    Case("url-space-in-host", cfg(api_url="http://exa mple.com"), expect="valid host name"),
    Case("url-credentials", cfg(api_url=f"http://u:{SECRET}@127.0.0.1:9"), expect="user name"),
    Case("token-url-gopher", cfg(oauth_token_url="gopher://x"), expect="oauth_token_url"),
    Case("agent-crlf", cfg(user_agent="tap\r\nX-Evil: 1"), expect="user_agent contains control"),
    Case("agent-non-ascii", cfg(user_agent="tap ✓"), expect="user_agent must be ASCII"),
    Case("org-newline", cfg(organization="https://x/organizations/A\nB"), expect="organization"),
    Case("token-number", cfg(personal_access_token=12345678), expect="must be a string"),
    Case("token-boolean", cfg(personal_access_token=True), expect="must be a string"),
    Case("token-newline", cfg(personal_access_token=TOKEN + "\n"), expect="trailing whitespace"),
    Case("token-space", cfg(personal_access_token=" " + TOKEN), expect="leading or trailing"),
    Case("token-inner-space", cfg(personal_access_token="ab cd"), expect="printable ASCII"),
    Case("token-non-ascii", cfg(personal_access_token="tøken"), expect="printable ASCII"),
    Case("secret-object", cfg(client_secret={"v": SECRET}), expect="client_secret must be"),
    Case(
        "both-auth-methods",
        cfg(client_id="c", client_secret=SECRET, refresh_token=SECRET + "r"),
        expect="exactly one auth method",
    ),
    Case("no-auth", {"api_url": NOWHERE}, expect="no credentials"),
    Case(
        "oauth-incomplete",
        {"client_id": "c", "client_secret": SECRET, "api_url": NOWHERE},
        expect="missing refresh_token",
    ),
    Case(
        "oauth-no-token-file",
        {"client_id": "c", "client_secret": SECRET, "refresh_token": "r" * 10},
        expect="token_file",
    ),
    Case("scope-unknown", cfg(scope="everything"), expect="scope must be one of"),
    Case("boolean-maybe", cfg(emit_activate_version_messages="maybe"), expect="true or false"),
    Case("alias-conflict", cfg(auth_token=SECRET), expect="both set, to different values"),
    Case(
        "sdk-setting-wrong-type",
        cfg(flattening_max_depth=SECRET, stream_maps=[SECRET]),
        expect="flattening_max_depth does not match",
    ),
]

# -- files ------------------------------------------------------------------------------

OTHER_TAP_STATE = {
    "bookmarks": {
        "orders": {"replication_key": "id", "replication_key_value": 17},
        "customers": {"replication_key_value": "2020-01-01"},
    }
}


def _catalog(selected: dict[str, bool], extra: list[dict[str, Any]] | None = None) -> Any:
    catalog = select_streams(*[name for name, on in selected.items() if on])
    catalog["streams"].extend(extra or [])
    return catalog


FOREIGN_STREAM = {
    "tap_stream_id": "orders",
    "stream": "orders",
    "schema": {"type": "object", "properties": {}},
    "metadata": [{"breadcrumb": [], "metadata": {"selected": True}}],
}

FILE_CASES = [
    Case("config-missing", Path("/nonexistent/config.json"), expect="does not exist"),
    Case("config-empty", "", expect="is empty"),
    Case("config-truncated", '{"personal_access_token": "x', expect="not valid JSON"),
    Case("config-array", [{"personal_access_token": TOKEN}], expect="must hold a JSON object"),
    Case("config-null", "null", expect="must hold a JSON object"),
    Case(
        "state-missing",
        cfg(),
        state=Path("/nonexistent/state.json"),
        usage_error=True,
        expect="Invalid value for '--state'",
    ),
    Case("state-empty", cfg(), state="", expect="state file"),
    Case("state-truncated", cfg(), state='{"bookmarks": {', expect="not valid JSON"),
    Case("state-array", cfg(), state=[], expect="must hold a JSON object"),
    Case("state-bookmarks-list", cfg(), state={"bookmarks": [1]}, expect="'bookmarks' must be"),
    Case(
        "state-bookmark-string",
        cfg(),
        state={"bookmarks": {"scheduled_events": "2024-01-01"}},
        expect="bookmark of scheduled_events must be an object",
    ),
    Case(
        "state-bookmark-not-a-date",
        cfg(),
        state={"bookmarks": {"scheduled_events": {"replication_key_value": "garbage"}}},
        expect="bookmark of scheduled_events is not a date-time",
    ),
    Case(
        "catalog-missing",
        cfg(),
        catalog=Path("/nonexistent/catalog.json"),
        usage_error=True,
        expect="Invalid value for '--catalog'",
    ),
    Case("catalog-empty", cfg(), catalog="", expect="catalog file"),
    Case("catalog-truncated", cfg(), catalog='{"streams": [', expect="not valid JSON"),
    Case("catalog-wrong-shape", cfg(), catalog={"streams": {}}, expect="no 'streams' list"),
    Case("catalog-no-streams", cfg(), catalog={"type": "SCHEMA"}, expect="no 'streams' list"),
    Case(
        "catalog-entry-without-id",
        cfg(),
        catalog={"streams": [{"stream": "users"}]},
        expect="streams[0] is not an object with a tap_stream_id",
    ),
    Case(
        "catalog-selects-nothing",
        cfg(),
        catalog=_catalog({}),
        expect="selects no stream",
    ),
    Case(
        "catalog-of-another-tap",
        cfg(),
        catalog={"streams": [FOREIGN_STREAM]},
        expect="does not have: orders",
    ),
    Case(
        "catalog-known-and-unknown-selected",
        cfg(),
        catalog=_catalog({"groups": True}, [FOREIGN_STREAM]),
        expect="does not have: orders",
    ),
]


@pytest.mark.parametrize("case", SETTINGS_CASES + FILE_CASES, ids=lambda c: c.id)
def test_bad_settings_and_files_end_in_one_line(case: Case, tmp_path: Path) -> None:
    run = run_tap_cli(tmp_path, case.config, state=case.state, catalog=case.catalog, timeout=60)
    if case.usage_error:
        assert run.code == 2
        assert "Traceback" not in run.stderr
        assert case.expect in run.stderr.strip().splitlines()[-1]
        assert_no_secret(run.output, case.secrets)
        return
    assert_one_line_failure(run, expect=case.expect, secrets=case.secrets)


# -- responses --------------------------------------------------------------------------

GROUPS = select_streams("groups")


def fake_cfg(fake: FakeAPI, **extra: Any) -> dict[str, Any]:
    return {"personal_access_token": TOKEN, "api_url": fake.url, "max_retries": 1, **extra}


def groups_uris(run: CliRun) -> list[str]:
    return [r["uri"] for r in run.records("groups")]


Scenario = Callable[[FakeAPI, FakeAPI], tuple[list[Reply], str | Callable[[CliRun], None]]]


def non_json(fake: FakeAPI, other: FakeAPI) -> Any:
    return [Reply(body="<not json at all", content_type="text/plain")], "incomplete responses"


def html_500(fake: FakeAPI, other: FakeAPI) -> Any:
    html = "<html><body><h1>500 Internal Server Error</h1></body></html>"
    return [Reply(500, html, content_type="text/html")], "500 Internal Server Error"


def html_404(fake: FakeAPI, other: FakeAPI) -> Any:
    """Groups may not exist on an account: a 404 skips the stream with one warning."""

    def check(run: CliRun) -> None:
        assert run.code == 0, run.stderr[-3000:]
        assert groups_uris(run) == []
        assert len([ln for ln in run.stderr.splitlines() if "skipped: not found" in ln]) == 1

    return [Reply(404, "<html>Not Found</html>", content_type="text/html")], check


def error_body_with_200(fake: FakeAPI, other: FakeAPI) -> Any:
    body = {"title": "Internal Server Error", "message": "The server encountered an error"}
    return [Reply(200, body)], "not a Calendly list"


def repeated_token(fake: FakeAPI, other: FakeAPI) -> Any:
    base = fake.url
    return [page([group(base, 1)], "A"), page([group(base, 2)], "A")], "repeated a page token"


def token_cycle(fake: FakeAPI, other: FakeAPI) -> Any:
    base = fake.url
    replies = [page([group(base, 1)], "A"), page([group(base, 2)], "B"), page([], "A")]
    return replies, "repeated a page token"


def synced_both_groups(fake: FakeAPI, other: FakeAPI) -> Callable[[CliRun], None]:
    """Success with G1 and G2, and nothing sent to the other host."""

    def check(run: CliRun) -> None:
        assert run.code == 0, run.stderr[-3000:]
        assert groups_uris(run) == [f"{fake.url}/groups/G1", f"{fake.url}/groups/G2"]
        assert other.seen == []

    return check


def empty_page_then_data(fake: FakeAPI, other: FakeAPI) -> Any:
    base = fake.url
    replies = [page([], "T1"), page([group(base, 1)], "T2"), page([group(base, 2)], None)]
    return replies, synced_both_groups(fake, other)


def endless_empty_pages(fake: FakeAPI, other: FakeAPI) -> Any:
    counter = iter(range(10**6))

    def reply(seen: Any) -> Reply:
        return page([], f"T{next(counter)}")

    fake.routes["/groups"] = reply
    return None, "empty pages in a row"


def absolute_next_page_elsewhere(fake: FakeAPI, other: FakeAPI) -> Any:
    """The next_page link (another host) is never followed: pages go by token."""
    base = fake.url
    first = page([group(base, 1)], "T2", next_page=f"{other.url}/groups?page_token=T2")
    return [first, page([group(base, 2)], None, next_page=None)], synced_both_groups(fake, other)


def redirect_elsewhere(fake: FakeAPI, other: FakeAPI) -> Any:
    def check(run: CliRun) -> None:
        assert_one_line_failure(run, expect="302", secrets=(TOKEN,))
        assert other.seen == []

    return [Reply(302, "", headers={"Location": f"{other.url}/groups"})], check


def rate_limit_reset_absurd(fake: FakeAPI, other: FakeAPI) -> Any:
    headers = {"X-RateLimit-Limit": "500", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1e9"}
    return [Reply(429, {"title": "Too Many Requests"}, headers=headers)], "rate limit"


RESPONSE_CASES: list[Scenario] = [
    non_json,
    html_500,
    html_404,
    error_body_with_200,
    repeated_token,
    token_cycle,
    empty_page_then_data,
    endless_empty_pages,
    absolute_next_page_elsewhere,
    redirect_elsewhere,
    rate_limit_reset_absurd,
]


@pytest.mark.parametrize("scenario", RESPONSE_CASES, ids=lambda f: f.__name__)
def test_hostile_responses(
    scenario: Scenario, fake: FakeAPI, elsewhere: FakeAPI, tmp_path: Path
) -> None:
    replies, outcome = scenario(fake, elsewhere)
    if replies is not None:
        fake.routes["/groups"] = replies
    run = run_tap_cli(tmp_path, fake_cfg(fake), catalog=GROUPS, timeout=60)
    if callable(outcome):
        outcome(run)
    else:
        assert_one_line_failure(run, expect=outcome, secrets=(TOKEN,))
    assert_no_secret(run.output, (TOKEN,))
    assert all(s.headers.get("Authorization") is None for s in elsewhere.seen)


def test_state_from_another_tap_is_ignored_with_a_warning(fake: FakeAPI, tmp_path: Path) -> None:
    fake.routes["/groups"] = [page([group(fake.url, 1)], None)]
    run = run_tap_cli(tmp_path, fake_cfg(fake), state=OTHER_TAP_STATE, catalog=GROUPS)
    assert run.code == 0, run.stderr[-3000:]
    assert groups_uris(run) == [f"{fake.url}/groups/G1"]
    warnings = [line for line in run.stderr.splitlines() if "another tap's state" in line]
    assert len(warnings) == 1
    assert "customers, orders" in warnings[0]


def test_oauth_token_request_never_follows_a_redirect(
    fake: FakeAPI, elsewhere: FakeAPI, tmp_path: Path
) -> None:
    refresh = "relREDIRECTREFRESH-88"
    fake.routes["/oauth/token"] = [
        Reply(307, "", headers={"Location": f"{elsewhere.url}/oauth/token"})
    ]
    elsewhere.routes["/oauth/token"] = [
        Reply(body={"access_token": "a" * 20, "refresh_token": "b" * 20, "expires_in": 60})
    ]
    config = {
        "api_url": fake.url,
        "client_id": "cid",
        "client_secret": SECRET,
        "refresh_token": refresh,
        "oauth_token_url": fake.url + "/oauth/token",
        "token_file": str(tmp_path / "tokens.json"),
    }
    run = run_tap_cli(tmp_path, config, catalog=GROUPS)
    assert_one_line_failure(run, expect="OAuth refresh failed", secrets=(refresh, SECRET))
    assert elsewhere.seen == []
    saved = json.loads((tmp_path / "tokens.json").read_text())
    assert saved["refresh_token"] == refresh  # not spent: the token request was not repeated
    assert len(fake.requests_to("/oauth/token")) == 1


def test_fractional_settings_in_a_config_file_are_accepted(fake: FakeAPI, tmp_path: Path) -> None:
    """singer-sdk reads config files with Decimal numbers; they must parse like floats."""
    fake.routes["/groups"] = [page([group(fake.url, 1)], None)]
    config = fake_cfg(fake, lookback_days=0.5, request_timeout=2.5, max_concurrency=4.0)
    run = run_tap_cli(tmp_path, config, catalog=GROUPS)
    assert run.code == 0, run.stderr[-3000:]
    assert groups_uris(run) == [f"{fake.url}/groups/G1"]
