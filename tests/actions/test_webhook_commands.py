"""webhooks list, get, create, delete, delete-instanced against the sandbox."""

from __future__ import annotations

from . import ids


def hooks_with_prefix(sandbox, prefix):
    return sorted(
        h["callback_url"]
        for h in sandbox.org.records("webhook_subscriptions")
        if h["callback_url"].startswith(prefix)
    )


def test_create_defaults_organization_from_the_token_and_409_on_a_second_create(cli, sandbox):
    url = "https://receiver.example.net/calendly/a"
    result = cli(
        "webhooks",
        "create",
        "--url",
        url,
        "--event",
        "invitee.created",
        "--event",
        "invitee.canceled",
        "--event",
        "invitee.created",
        "--scope",
        "organization",
    )
    assert result.code == 0, result.err
    hook = result.json
    assert hook["callback_url"] == url
    assert hook["organization"] == ids.ORG
    assert hook["events"] == ["invitee.created", "invitee.canceled"]
    assert sandbox.org.get("webhook_subscriptions", hook["uri"])["state"] == "active"

    again = cli(
        "webhooks", "create", "--url", url, "--event", "invitee.created", "--scope", "organization"
    )
    assert again.code == 3
    assert "409 Already Exists" in again.error_line


def test_create_user_scope_defaults_to_the_tokens_user(cli, sandbox):
    result = cli(
        "webhooks",
        "create",
        "--url",
        "https://receiver.example.net/calendly/me",
        "--event",
        "invitee.canceled",
        "--scope",
        "user",
    )
    assert result.code == 0, result.err
    assert result.json["scope"] == "user"
    assert result.json["user"] == ids.OWNER


def test_signing_key_is_sent_but_never_printed(cli, sandbox, monkeypatch):
    secret = "whsec-test-signing-key-0123456789"
    url = "https://receiver.example.net/calendly/signed"
    dry = cli(
        "webhooks", "create", "--url", url, "--event", "invitee.created", "--scope", "organization",
        "--signing-key", secret, "--dry-run",
    )  # fmt: skip
    assert dry.code == 0, dry.err
    assert dry.json["request"]["json"]["signing_key"] == "***"
    assert secret not in dry.out + dry.err
    monkeypatch.setenv("CALENDLY_WEBHOOK_SIGNING_KEY", secret)
    made = cli(
        "webhooks", "create", "--url", url, "--event", "invitee.created", "--scope", "organization"
    )
    assert made.code == 0, made.err
    assert secret not in made.out + made.err
    assert sandbox.org.signing_keys[made.json["uri"]] == secret


def test_create_is_checked_before_sending(cli, sent):
    url = ["--url", "https://x.example/h"]
    org = ["--scope", "organization"]
    cases = [
        (["--url", "ftp://x.example/h", "--event", "invitee.created", *org], "http(s) URL"),
        (
            [*url, "--event", "routing_form_submission.created", "--scope", "user"],
            "needs --scope organization",
        ),
        (
            [*url, "--event", "invitee.created", *org, "--user", ids.OWNER],
            "--user applies only to --scope user",
        ),
        ([*url, "--event", "invitee.exploded", *org], "invitee.exploded"),
    ]
    for args, message in cases:
        result = cli("webhooks", "create", *args)
        assert result.code == 2, args
        assert message in result.error_line
    assert sent("POST /webhook_subscriptions") == 0


def test_plain_member_cannot_create_organization_webhooks(cli):
    result = cli(
        "webhooks", "create", "--url", "https://receiver.example.net/calendly/member",
        "--event", "invitee.created", "--scope", "organization", member_token=True,
    )  # fmt: skip
    assert result.code == 3
    assert "403 Permission Denied" in result.error_line


def test_user_outside_the_organization_is_refused_with_calendlys_message(cli):
    result = cli(
        "webhooks", "create", "--url", "https://receiver.example.net/calendly/ghost",
        "--event", "invitee.created", "--scope", "user", "--user", f"{ids.API}/users/ghost",
    )  # fmt: skip
    assert result.code == 3
    assert "403 Permission Denied: This user is not in your organization" in result.error_line


def test_list_get_and_delete(cli, sandbox):
    listed = cli("webhooks", "list", "--scope", "organization")
    assert listed.code == 0, listed.err
    uris = [h["uri"] for h in listed.json]
    target = f"{ids.API}/webhook_subscriptions/{ids.ORG_WEBHOOK}"
    assert target in uris
    assert cli("webhooks", "get", ids.ORG_WEBHOOK).json["uri"] == target
    deleted = cli("webhooks", "delete", ids.ORG_WEBHOOK, "--yes")
    assert deleted.code == 0, deleted.err
    assert deleted.json == {
        "uri": f"{sandbox.url}/webhook_subscriptions/{ids.ORG_WEBHOOK}",
        "result": "deleted",
        "already_done": False,
    }
    assert sandbox.org.get("webhook_subscriptions", target) is None
    again = cli("webhooks", "delete", ids.ORG_WEBHOOK, "--yes")
    assert again.code == 3
    assert "404" in again.error_line


def test_delete_instanced_deletes_only_the_matching_subscriptions(cli, fresh_sandbox, tmp_path):
    from .conftest import invoke, write_config

    config = write_config(tmp_path / "c.json", fresh_sandbox)
    for name in ("a", "b"):
        made = invoke(
            ["--config", str(config), "webhooks", "create", "--url",
             f"https://staging.example.org/hooks/{name}", "--event", "invitee.created",
             "--scope", "user"]
        )  # fmt: skip
        assert made.code == 0, made.err
    before = hooks_with_prefix(fresh_sandbox, "https://")

    dry = invoke(["--config", str(config), "webhooks", "delete-instanced", "--url",
                  "https://staging.example.org/hooks/", "--dry-run"])  # fmt: skip
    assert dry.code == 0, dry.err
    assert len(dry.json["requests"]) == 2
    assert all(r["method"] == "DELETE" for r in dry.json["requests"])
    assert hooks_with_prefix(fresh_sandbox, "https://") == before

    refused = invoke(["--config", str(config), "webhooks", "delete-instanced", "--url",
                      "https://staging.example.org/hooks/"])  # fmt: skip
    assert refused.code == 2
    assert hooks_with_prefix(fresh_sandbox, "https://") == before

    done = invoke(["--config", str(config), "webhooks", "delete-instanced", "--url",
                   "https://staging.example.org/hooks/", "--yes"])  # fmt: skip
    assert done.code == 0, done.err
    assert sorted(h["callback_url"] for h in done.json) == [
        "https://staging.example.org/hooks/a",
        "https://staging.example.org/hooks/b",
    ]
    assert hooks_with_prefix(fresh_sandbox, "https://staging.example.org/") == []
    assert hooks_with_prefix(fresh_sandbox, ids.HOOKS_PREFIX) == [
        h for h in before if h.startswith(ids.HOOKS_PREFIX)
    ]


def test_delete_instanced_refuses_a_prefix_without_a_host(cli, sent):
    result = cli("webhooks", "delete-instanced", "--url", "https://", "--yes")
    assert result.code == 2
    assert sent("DELETE /webhook_subscriptions/{uuid}") == 0


def test_delete_instanced_as_a_member_skips_the_organization_scope_with_a_note(cli):
    result = cli(
        "webhooks", "delete-instanced", "--url", "https://nothing.example/", "--yes",
        member_token=True,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.json == []
    assert "organization-scope subscriptions skipped" in result.err
    explicit = cli(
        "webhooks", "delete-instanced", "--url", "https://nothing.example/", "--scope",
        "organization", "--yes", member_token=True,
    )  # fmt: skip
    assert explicit.code == 3
    assert "403" in explicit.error_line
