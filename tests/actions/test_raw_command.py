"""calendly raw: paths, bodies, response types, retry options, timeout, debug, dry run."""

from __future__ import annotations

import json

from tap_calendly.actions.raw import raw_policy
from tests.support.sandbox_config import reconfigured

from . import ids


def test_get_relative_path_with_query(cli, sent):
    result = cli(
        "raw", "GET", "/event_types", "--query", f"organization={ids.ORG}", "--query", "count=2"
    )
    assert result.code == 0, result.err
    assert len(result.json["collection"]) == 2
    assert result.json["pagination"]["count"] == 2
    me = cli("raw", "get", "users/me")
    assert me.json["resource"]["uri"] == ids.OWNER


def test_absolute_url_must_be_the_api_host(cli, sandbox, sent):
    same = cli("raw", "GET", f"{sandbox.url}/users/me")
    assert same.code == 0, same.err
    other = cli("raw", "GET", "https://evil.example.com/users/me")
    assert other.code == 2
    assert "refusing to send the token to https://evil.example.com" in other.error_line
    assert sent("GET /users/me") == 1


def test_post_with_json_data_changes_the_sandbox(cli, sandbox, tmp_path):
    invitee = next(
        i
        for i in sorted(sandbox.org.records("event_invitees"), key=lambda i: i["uri"], reverse=True)
        if i["status"] == "active"
        and i["no_show"] is None
        and sandbox.org.get("scheduled_events", i["event"])["start_time"] < "2030-01-01"
    )
    body = tmp_path / "body.json"
    body.write_text(json.dumps({"invitee": invitee["uri"]}), encoding="utf-8")
    result = cli("raw", "POST", "/invitee_no_shows", "--data", f"@{body}")
    assert result.code == 0, result.err
    assert result.json["resource"]["invitee"] == invitee["uri"]
    assert sandbox.org.get("event_invitees", invitee["uri"])["no_show"] is not None


def test_api_errors_exit_3_with_details(cli):
    result = cli("raw", "GET", "/scheduled_events", "--query", "count=101")
    assert result.code == 3
    assert "400 Invalid Argument" in result.error_line


def test_bad_arguments_exit_2(cli, sent):
    cases = [
        (["raw", "GET", "/users/me", "--header", "Authorization: Bearer x"], "set by the client"),
        (["raw", "GET", "/users/me", "--header", "no-colon"], '"Name: value"'),
        (["raw", "POST", "/x", "--data", "{oops"], "not valid JSON"),
        (["raw", "POST", "/x", "--data", "{}", "--form", "a=b"], "cannot be combined"),
        (["raw", "GET", "/users/me", "--query", "novalue"], "KEY=VALUE"),
        (["raw", "GET", "/users/me", "--timeout", "0"], "--timeout"),
        (["raw", "GET", "/users/me", "--max-retries", "21"], "--max-retries"),
        (["raw", "POST", "/x", "--file", "f=/nonexistent/file"], "not a readable file"),
        (["raw", "POST", "/x", "--data", "@/nonexistent/body.json"], "cannot read the file"),
        (["raw", "FETCH", "/users/me"], "FETCH"),
    ]
    for args, message in cases:
        result = cli(*args)
        assert result.code == 2, args
        assert message in result.error_line, args
    assert sum(sent(k) for k in ("GET /users/me", "POST (unmatched)")) == 0


def test_text_and_binary_responses(cli, tmp_path):
    text = cli("raw", "GET", "/users/me", "--response-type", "text")
    assert text.code == 0
    assert json.loads(text.out)["resource"]["uri"] == ids.OWNER
    out = tmp_path / "me.bin"
    binary = cli("raw", "GET", "/users/me", "--response-type", "binary", "--out", str(out))
    assert binary.code == 0, binary.err
    assert json.loads(out.read_bytes())["resource"]["uri"] == ids.OWNER
    assert binary.out == ""


def test_no_retries_by_default_then_as_many_as_asked(cli, sandbox, sent):
    with reconfigured(sandbox, faults={"schedule": ["GET /users/me#1=503x2"]}):
        once = cli("raw", "GET", "/users/me")
        assert once.code == 4
        assert "503" in once.error_line
        assert sent("GET /users/me") == 1
        retried = cli("raw", "GET", "/users/me", "--max-retries", "2", "--retry-delay-ms", "1")
        assert retried.code == 0, retried.err
        assert sent("GET /users/me") == 3


def test_4xx_is_retried_only_on_all_errors(cli, sent):
    plain = cli("raw", "GET", "/event_types/nope", "--max-retries", "2", "--retry-delay-ms", "1")
    assert plain.code == 3
    assert sent("GET /event_types/{uuid}") == 1
    every = cli(
        "raw", "GET", "/event_types/nope", "--max-retries", "2", "--retry-delay-ms", "1",
        "--retry-on-all-errors",
    )  # fmt: skip
    assert every.code == 3
    assert sent("GET /event_types/{uuid}") == 4


def test_retry_options_map_onto_the_retry_policy():
    fixed = raw_policy(max_retries=3, retry_delay_ms=250)
    assert [fixed.delay(n, None) for n in (1, 2, 3)] == [0.25, 0.25, 0.25]  # type: ignore[arg-type]
    growing = raw_policy(max_retries=3, retry_delay_ms=250, exponential_backoff=True)
    assert [growing.delay(n, None) for n in (1, 2, 3)] == [0.25, 0.5, 1.0]  # type: ignore[arg-type]
    assert raw_policy().max_retries == 0
    assert raw_policy().unsafe_retries is False
    assert raw_policy(max_retries=1).unsafe_retries is True
    assert raw_policy(retry_on_all_errors=True).retry_all_errors is True


def test_timeout_per_request(cli, sandbox):
    with reconfigured(sandbox, faults={"schedule": ["GET /users/me#1=stall"], "stall_seconds": 2}):
        result = cli("raw", "GET", "/users/me", "--timeout", "0.2")
    assert result.code == 4
    assert "ReadTimeout" in result.error_line


def test_debug_logs_the_request_redacted(cli, sandbox):
    result = cli("raw", "GET", "/users/me", "--debug", "--header", "X-Trace: abc")
    assert result.code == 0, result.err
    assert "request {" in result.err
    assert '"Authorization":"Bearer ***"' in result.err
    assert '"X-Trace":"abc"' in result.err
    assert "response HTTP 200" in result.err
    assert sandbox.admin_token not in result.err + result.out


def test_dry_run_sends_nothing_and_describes_form_and_files(cli, tmp_path, sent):
    upload = tmp_path / "notes.txt"
    upload.write_text("hello", encoding="utf-8")
    result = cli(
        "raw", "POST", "/uploads", "--form", "a=1", "--form", "a=2", "--file", f"doc={upload}",
        "--file-name", "doc=renamed.txt", "--dry-run",
    )  # fmt: skip
    assert result.code == 0, result.err
    request = result.json["request"]
    assert request["form"] == {"a": ["1", "2"]}
    assert request["files"] == {"doc": {"filename": "renamed.txt", "bytes": 5}}
    assert sent("POST (unmatched)") == 0


def test_form_and_files_are_sent_multipart(cli, tmp_path, recorder):
    upload = tmp_path / "notes.txt"
    upload.write_bytes(b"file-content-123")
    result = cli(
        "raw", "POST", "/uploads", "--form", "kind=note", "--file", f"doc={upload}",
        "--file-name", "doc=renamed.txt",
    )  # fmt: skip
    assert result.code == 3  # the sandbox has no such endpoint
    method, path, _decoded, raw = recorder.requests[-1]
    assert (method, path) == ("POST", "/uploads")
    assert b'filename="renamed.txt"' in raw
    assert b"file-content-123" in raw
    assert b'name="kind"' in raw
