"""No secret in any output, on any path, at any log level; token files 0600, nothing else.

Every run below uses known secret values (the sandbox's PAT and OAuth client secret,
and every access/refresh token the sandbox issued) and searches everything the run
produced for them: stdout (Singer messages), stderr (logs, the error line), exception
text and reprs, and every file written under the run's working, home and temp folders.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
import requests

from tap_calendly.api import CalendlyClient, ConfigError, Settings
from tap_calendly.api.auth import OAuthTokens, StaticToken
from tap_calendly.api.errors import CalendlyError
from tap_calendly.api.ratelimit import RateLimiter
from tap_calendly.api.transport import Transport
from tap_calendly.sandbox.runner import Sandbox
from tests.reliability.cli import (
    assert_no_secret,
    assert_one_line_failure,
    run_tap_cli,
)
from tests.reliability.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    PAT,
    issued_tokens,
    start_date,
)
from tests.reliability.fake_api import FakeAPI, Reply
from tests.webhooks.helpers import envelope, invitee_payload, signed_headers
from tests.webhooks.process import ServeProcess

DEBUG = {"LOGLEVEL": "DEBUG"}
WRONG_PAT = "relWRONGPAT-0c4b2e9d7a61"
PROXY_SECRET = "relPROXYPASS-5e8a"


def isolated(tmp_path: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """HOME and TMPDIR inside the test folder, so anything written there is scanned."""
    for name in ("home", "tmp"):
        (tmp_path / name).mkdir(exist_ok=True)
    return {"HOME": str(tmp_path / "home"), "TMPDIR": str(tmp_path / "tmp"), **(extra or {})}


def assert_no_secret_on_disk(root: Path, secrets: set[str], allowed: set[Path]) -> None:
    """Only the files the user gave (config) and the token file may hold a secret."""
    for path in root.rglob("*"):
        if path.is_file() and path not in allowed:
            text = path.read_bytes().decode("utf-8", "replace")
            assert_no_secret(text, secrets)


def pat_config(sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    return {
        "personal_access_token": PAT,
        "api_url": sandbox.url,
        "start_date": start_date(sandbox, 7),
        **extra,
    }


def oauth_config(sandbox: Sandbox, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    (tmp_path / "tokens").mkdir(parents=True, exist_ok=True)
    return {
        "api_url": sandbox.url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": sandbox.issue_refresh_token(),
        "oauth_token_url": sandbox.token_url,
        "token_file": str(tmp_path / "tokens" / "calendly.json"),
        "start_date": start_date(sandbox, 7),
        **extra,
    }


def all_secrets(sandbox: Sandbox, *more: str) -> set[str]:
    return {PAT, CLIENT_SECRET, WRONG_PAT, PROXY_SECRET, *issued_tokens(sandbox), *more}


# -- syncs that succeed -------------------------------------------------------------------


def test_pat_sync_at_debug_level_prints_no_secret(secret_sandbox: Sandbox, tmp_path: Path):
    run = run_tap_cli(tmp_path, pat_config(secret_sandbox), env=isolated(tmp_path, DEBUG))
    assert run.code == 0, run.stderr[-3000:]
    assert " DEBUG " in run.stderr  # the debug level really was on
    assert run.records("scheduled_events")
    assert_no_secret(run.output, all_secrets(secret_sandbox))
    assert_no_secret_on_disk(tmp_path, all_secrets(secret_sandbox), {tmp_path / "config.json"})


def test_settings_from_the_environment_at_debug_level(secret_sandbox: Sandbox, tmp_path: Path):
    env = {
        "TAP_CALENDLY_PERSONAL_ACCESS_TOKEN": PAT,
        "TAP_CALENDLY_API_URL": secret_sandbox.url,
        "TAP_CALENDLY_START_DATE": start_date(secret_sandbox, 2),
        "TAP_CALENDLY_LOGLEVEL": "debug",
    }
    catalog = _catalog_with(tmp_path, "event_types")
    run = run_tap_cli(
        tmp_path, None, catalog=catalog, args=["--config", "ENV"], env=isolated(tmp_path, env)
    )
    assert run.code == 0, run.stderr[-3000:]
    assert run.records("event_types")
    assert_no_secret(run.output, all_secrets(secret_sandbox))


def test_proxy_credentials_in_the_environment_are_neither_used_nor_printed(
    secret_sandbox: Sandbox, tmp_path: Path
):
    proxy = f"http://proxyuser:{PROXY_SECRET}@127.0.0.1:9"
    env = {"HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "ALL_PROXY": proxy, **DEBUG}
    catalog = _catalog_with(tmp_path, "groups")
    run = run_tap_cli(
        tmp_path, pat_config(secret_sandbox), catalog=catalog, env=isolated(tmp_path, env)
    )
    assert run.code == 0, run.stderr[-3000:]
    assert run.records("groups")
    assert_no_secret(run.output, all_secrets(secret_sandbox))


def test_oauth_sync_at_debug_level_keeps_tokens_in_a_0600_file_only(
    secret_sandbox: Sandbox, tmp_path: Path
):
    config = oauth_config(secret_sandbox, tmp_path)
    run = run_tap_cli(tmp_path, config, env=isolated(tmp_path, DEBUG))
    assert run.code == 0, run.stderr[-3000:]
    token_file = Path(config["token_file"])
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    saved = json.loads(token_file.read_text())
    assert saved["refresh_token"] != config["refresh_token"]  # rotated and persisted
    assert list(token_file.parent.iterdir()) == [token_file]  # no temp file left behind
    secrets = all_secrets(secret_sandbox)
    assert saved["refresh_token"] in secrets
    assert_no_secret(run.output, secrets)
    assert_no_secret_on_disk(tmp_path, secrets, {tmp_path / "config.json", token_file})


# -- failures ---------------------------------------------------------------------------


def test_rejected_token_is_one_line_without_the_token(secret_sandbox: Sandbox, tmp_path: Path):
    config = pat_config(secret_sandbox, personal_access_token=WRONG_PAT)
    run = run_tap_cli(tmp_path, config, env=isolated(tmp_path, DEBUG))
    assert_one_line_failure(run, expect="401", secrets=all_secrets(secret_sandbox))


def test_unreachable_host_is_one_line_without_the_token(tmp_path: Path):
    config = {"personal_access_token": PAT, "api_url": "http://127.0.0.1:9", "max_retries": 0}
    run = run_tap_cli(tmp_path, config, env=isolated(tmp_path, DEBUG))
    assert_one_line_failure(run, expect="cannot reach", secrets={PAT})


@pytest.mark.parametrize(
    "settings",
    [
        {"personal_access_token": PAT + "\n"},
        {"personal_access_token": " " + PAT},
        {"personal_access_token": PAT[:8] + " " + PAT[8:]},
        {"personal_access_token": [PAT]},
        {"personal_access_token": {"token": PAT}},
        {"personal_access_token": PAT, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET + "\r\n", "refresh_token": PAT},
        {"client_id": CLIENT_ID, "client_secret": 12345678, "refresh_token": PAT},
        {"personal_access_token": PAT, "api_url": f"https://user:{CLIENT_SECRET}@api.calendly.com"},
        {"personal_access_token": PAT, "api_url": f"https://api.calendly.com/?token={PAT}"},
        {"personal_access_token": PAT, "oauth_token_url": f"ftp://{CLIENT_SECRET}"},
        {"personal_access_token": PAT, "auth_token": CLIENT_SECRET},
        {"personal_access_token": PAT, "lookback_days": CLIENT_SECRET},
        {"personal_access_token": PAT, "start_date": CLIENT_SECRET},
        {"personal_access_token": PAT, "scope": CLIENT_SECRET},
        {"personal_access_token": PAT, "max_retries": -1, "request_timeout": 0},
        {"personal_access_token": PAT, "emit_activate_version_messages": CLIENT_SECRET},
        {"personal_access_token": PAT, "user_agent": "tap\r\nX-Leak: " + CLIENT_SECRET},
    ],
    ids=lambda s: "+".join(sorted(s)),
)
def test_every_kind_of_validation_error_names_settings_never_values(settings: dict[str, Any]):
    with pytest.raises(ConfigError) as caught:
        Settings.parse(settings)
    message = str(caught.value)
    assert "\n" not in message
    assert_no_secret(message + repr(caught.value), {PAT, CLIENT_SECRET})


def test_validation_error_through_the_cli(tmp_path: Path):
    config = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET + "\n", "refresh_token": PAT}
    run = run_tap_cli(tmp_path, config, env=isolated(tmp_path, DEBUG))
    assert_one_line_failure(run, expect="client_secret", secrets={PAT, CLIENT_SECRET})


def test_unknown_log_level_option_is_a_usage_error_without_secrets(tmp_path: Path):
    run = run_tap_cli(tmp_path, {"personal_access_token": PAT}, args=["--log-level", "debug"])
    assert run.code == 2
    assert "Traceback" not in run.stderr
    assert "No such option" in run.stderr
    assert_no_secret(run.output, {PAT})


def test_oauth_refresh_failures_are_one_line_without_secrets(
    secret_sandbox: Sandbox, tmp_path: Path
):
    wrong_client = oauth_config(secret_sandbox, tmp_path, client_secret="relWRONGCLIENT-77aa")
    run = run_tap_cli(tmp_path, wrong_client, env=isolated(tmp_path, DEBUG))
    assert_one_line_failure(
        run,
        expect="OAuth refresh failed",
        secrets=all_secrets(secret_sandbox, "relWRONGCLIENT-77aa"),
    )

    spent = oauth_config(secret_sandbox, tmp_path / "spent")
    token = spent["refresh_token"]
    requests.post(
        secret_sandbox.token_url,
        data={"grant_type": "refresh_token", "refresh_token": token},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    run = run_tap_cli(tmp_path / "spent", spent, env=isolated(tmp_path, DEBUG))
    assert_one_line_failure(run, expect="already used", secrets=all_secrets(secret_sandbox))

    unreachable = oauth_config(secret_sandbox, tmp_path, oauth_token_url="http://127.0.0.1:9/t")
    run = run_tap_cli(tmp_path, unreachable, env=isolated(tmp_path, DEBUG))
    assert_one_line_failure(run, expect="token endpoint", secrets=all_secrets(secret_sandbox))
    assert_no_secret_on_disk(
        tmp_path,
        all_secrets(secret_sandbox),
        {
            tmp_path / "config.json",
            tmp_path / "spent" / "config.json",
            Path(unreachable["token_file"]),
            Path(spent["token_file"]),
        },
    )


def test_a_token_endpoint_that_echoes_secrets_is_redacted(fake: FakeAPI, tmp_path: Path):
    refresh = "relREFRESH-1d2c3b4a59"
    fake.routes["/oauth/token"] = [
        Reply(
            400,
            {
                "error": "invalid_grant",
                "error_description": f"refresh token {refresh} for client {CLIENT_SECRET} expired",
            },
        )
    ]
    config = {
        "api_url": fake.url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": refresh,
        "oauth_token_url": fake.url + "/oauth/token",
        "token_file": str(tmp_path / "tokens.json"),
    }
    run = run_tap_cli(tmp_path, config, env=isolated(tmp_path, DEBUG))
    line = assert_one_line_failure(run, expect="invalid_grant", secrets={refresh, CLIENT_SECRET})
    assert "***" in line


def test_an_access_token_that_cannot_be_a_header_is_refused(fake: FakeAPI, tmp_path: Path):
    access = "relACCESS-9f8e\r\nX-Injected: 1"
    fake.routes["/oauth/token"] = [
        Reply(
            body={"access_token": access, "refresh_token": "relNEWREFRESH-4f4f", "expires_in": 7200}
        )
    ]
    config = {
        "api_url": fake.url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": "relREFRESH-1d2c3b4a59",
        "oauth_token_url": fake.url + "/oauth/token",
        "token_file": str(tmp_path / "tokens.json"),
    }
    run = run_tap_cli(tmp_path, config, env=isolated(tmp_path, DEBUG))
    assert_one_line_failure(
        run,
        expect="unexpected body",
        secrets={"relACCESS-9f8e", "relNEWREFRESH-4f4f", CLIENT_SECRET},
    )
    assert fake.requests_to("/users/me") == []


def test_an_api_error_that_echoes_the_token_is_redacted(fake: FakeAPI, tmp_path: Path):
    fake.routes["/users/me"] = [
        Reply(
            400,
            {
                "title": "Invalid Argument",
                "message": f"bad token {PAT}",
                "details": [
                    {"parameter": "Authorization", "message": f"Bearer {PAT} is malformed"}
                ],
            },
        )
    ]
    run = run_tap_cli(tmp_path, {"personal_access_token": PAT, "api_url": fake.url})
    line = assert_one_line_failure(run, expect="Invalid Argument", secrets={PAT})
    assert "***" in line


# -- in-process: exception text, reprs, errors raised by the HTTP library -----------------


def test_reprs_and_errors_of_the_client_hold_no_secret(tmp_path: Path):
    settings = Settings.parse(
        {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": PAT,
            "token_file": str(tmp_path / "t.json"),
        }
    )
    client = CalendlyClient.from_settings(settings)
    texts = [repr(settings), str(settings), repr(client), repr(client.transport.tokens)]
    texts.append(repr(StaticToken(PAT)))
    assert_no_secret(" ".join(texts), {PAT, CLIENT_SECRET})
    assert set(settings.secrets()) == {PAT, CLIENT_SECRET}


def test_errors_raised_by_the_http_library_are_reported_by_kind_only():
    """An invalid URL (port out of range, a secret in its query): requests' message
    quotes the URL; the client names the error's kind and the path only."""
    session = Transport.build_session(1)
    transport = Transport(
        api_url="http://127.0.0.1:9",
        tokens=StaticToken(PAT),
        limiter=RateLimiter(),
        session=session,
        max_retries=0,
    )
    for url in (
        f"http://127.0.0.1:99999/x?key={CLIENT_SECRET}",
        f"http://exa mple/?k={CLIENT_SECRET}",
    ):
        request = requests.Request("GET", "http://127.0.0.1:9/x").prepare()
        request.url = url  # as if built from a hostile page link
        with pytest.raises(CalendlyError) as caught:
            transport.send(request, stream="test")
        assert_no_secret(str(caught.value) + repr(caught.value), {PAT, CLIENT_SECRET})


def test_token_file_is_created_0600_even_under_a_permissive_umask(tmp_path: Path):
    import os

    from tap_calendly.api.auth import write_token_file

    old = os.umask(0)
    try:
        write_token_file(tmp_path / "t.json", {"refresh_token": "x"})
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "t.json").stat().st_mode) == 0o600


def test_oauth_tokens_repr_and_errors(tmp_path: Path):
    tokens = OAuthTokens(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=PAT,
        token_url="http://127.0.0.1:9/oauth/token",
        token_file=tmp_path / "t.json",
        session=Transport.build_session(1),
        timeout=1,
    )
    with pytest.raises(CalendlyError) as caught:
        tokens.token()
    assert_no_secret(repr(tokens) + str(caught.value), {PAT, CLIENT_SECRET})


def _catalog_with(tmp_path: Path, *names: str) -> Path:
    from tests.support.tap_run import select_streams

    path = tmp_path / "selected-catalog.json"
    path.write_text(json.dumps(select_streams(*names)))
    return path


# -- the webhook receiver: its signing key ----------------------------------------------


def test_webhook_receiver_never_prints_or_journals_its_signing_key(tmp_path: Path):
    """Valid, wrongly signed and key-quoting deliveries at debug level: the signing key is
    in no log line and in no journal file."""
    key = "relWEBHOOKKEY-5c4b3a2910"
    journal = tmp_path / "journal"
    serving = ServeProcess(
        ["--journal", str(journal), "--log-level", "debug"],
        env={"TAP_CALENDLY_WEBHOOK_SIGNING_KEY": key, "HOME": str(tmp_path)},
    )
    try:
        body = envelope("invitee.created", invitee_payload())
        answers = [
            requests.post(serving.url, data=body, headers=signed_headers(body, key), timeout=10),
            requests.post(
                serving.url, data=body, headers=signed_headers(body, "wrong-key"), timeout=10
            ),
            requests.post(
                serving.url,
                data=body,
                headers={"Calendly-Webhook-Signature": f"t=1,v1={key}"},
                timeout=10,
            ),
        ]
    finally:
        serving.proc.terminate()
        serving.wait()
    assert [a.status_code for a in answers] == [200, 401, 401]
    assert "2 rejected" in serving.stderr
    assert_no_secret(serving.stderr + "".join(a.text for a in answers), {key})
    assert_no_secret_on_disk(tmp_path, {key}, set())


def test_discovery_and_about_print_no_secret(secret_sandbox: Sandbox, tmp_path: Path):
    for args in (["--discover"], ["--about", "--format", "json"]):
        run = run_tap_cli(
            tmp_path, pat_config(secret_sandbox), args=args, env=isolated(tmp_path, DEBUG)
        )
        assert run.code == 0, run.stderr[-2000:]
        assert run.stdout.strip().startswith("{")
        assert_no_secret(run.output, {PAT})
