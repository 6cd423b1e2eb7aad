"""``tap-calendly-sandbox``: run, drive and export the local Calendly sandbox."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from tap_calendly.sandbox.control import SettingError
from tap_calendly.sandbox.faults import FAULT_KINDS, FaultConfig, ScheduledFault
from tap_calendly.sandbox.runner import PLANS, Sandbox, SandboxSettings, default_now
from tap_calendly.sandbox.store import parse_ts

SCALE_CHOICES = ("small", "medium", "large", "wide")


class CliError(Exception):
    """A user-caused problem: printed as one line, exit status 2."""


def _timestamp(value: str) -> datetime:
    try:
        return parse_ts(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 date-time: {value!r}") from exc


def _rate(value: str) -> tuple[str, float]:
    kind, sep, probability = value.partition("=")
    if not sep or kind not in FAULT_KINDS:
        raise argparse.ArgumentTypeError(
            f"expected KIND=PROBABILITY with KIND in {', '.join(FAULT_KINDS)}: {value!r}"
        )
    try:
        p = float(probability)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"probability must be a number: {value!r}") from exc
    if not 0 <= p <= 1:
        raise argparse.ArgumentTypeError(f"probability must be between 0 and 1: {value!r}")
    return kind, p


def _port(value: str) -> int:
    if not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0-65535): {value!r}")
    return int(value)


def _schedule(value: str) -> ScheduledFault:
    try:
        fault = ScheduledFault.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    if fault.kind not in FAULT_KINDS:
        raise argparse.ArgumentTypeError(f"unknown fault kind {fault.kind!r} in {value!r}")
    return fault


def _data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=7, help="data generator seed (default 7)")
    parser.add_argument(
        "--scale",
        choices=SCALE_CHOICES,
        default="small",
        help="org size: small (10 members, 2k events), medium (50, 25k), large (200, 250k), "
        "wide (1,000 members, 5k events); default small",
    )
    parser.add_argument(
        "--now",
        type=_timestamp,
        default=None,
        help="simulated start time, ISO-8601 (default: current UTC time floored to the hour)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tap-calendly-sandbox",
        description="A local stand-in for the Calendly API v2 with synthetic, deterministic "
        "data, a simulated clock, rate limits, OAuth and injectable faults.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="serve the sandbox API until interrupted",
        description="Serve the sandbox API on loopback until Ctrl-C / SIGTERM. Prints the "
        "bound URL; --ready-file gets the URL and credentials as JSON once listening.",
    )
    _data_options(serve)
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=0, help="bind port; 0 picks a free one")
    serve.add_argument(
        "--rate-limit", type=int, default=500, help="requests per minute per token (default 500)"
    )
    serve.add_argument(
        "--latency-ms", type=float, default=0.0, help="fixed latency added to each API request"
    )
    serve.add_argument(
        "--jitter-ms", type=float, default=0.0, help="extra uniform random latency, 0..N ms"
    )
    serve.add_argument(
        "--plan",
        choices=PLANS,
        default="enterprise",
        help="organization plan; the activity log and data-compliance deletions need "
        "enterprise (default)",
    )
    serve.add_argument(
        "--token-ttl",
        type=float,
        default=7200,
        help="OAuth access-token lifetime in simulated seconds (default 7200)",
    )
    serve.add_argument(
        "--fault-rate",
        type=_rate,
        action="append",
        default=[],
        metavar="KIND=P",
        help="inject fault KIND on each API request with probability P; KIND is one of "
        f"{', '.join(FAULT_KINDS)} (repeatable)",
    )
    serve.add_argument(
        "--fault-schedule",
        type=_schedule,
        action="append",
        default=[],
        metavar="[ENDPOINT#]N=KIND[xTIMES]",
        help="deterministic fault: the Nth request to ENDPOINT (e.g. 'GET /scheduled_events'; "
        "omitted: any request) and the TIMES-1 after it get KIND (repeatable)",
    )
    serve.add_argument("--fault-seed", type=int, default=0, help="seed for --fault-rate draws")
    serve.add_argument(
        "--fault-stall-seconds",
        type=float,
        default=30.0,
        help="how long a 'stall' fault holds the request before closing (default 30)",
    )
    serve.add_argument(
        "--fault-burst",
        type=int,
        default=1,
        help="a '429' fault also answers the next N-1 requests with 429 (default 1)",
    )
    serve.add_argument(
        "--no-webhooks", action="store_true", help="do not deliver webhooks to subscriptions"
    )
    serve.add_argument(
        "--extra-fields",
        action="store_true",
        help="serve events and invitees with fields no spec names (x_future_field, "
        "x_future_score), as if Calendly added them tomorrow",
    )
    serve.add_argument("--admin-token", default=None, help="fixed owner PAT (default: random)")
    serve.add_argument("--user-token", default=None, help="fixed member PAT (default: random)")
    serve.add_argument("--client-id", default=None, help="fixed OAuth client id")
    serve.add_argument("--client-secret", default=None, help="fixed OAuth client secret")
    serve.add_argument(
        "--ready-file",
        type=Path,
        default=None,
        help="write {url, admin_token, user_token, oauth_client_id, oauth_client_secret, "
        "token_url, ...} as JSON here once listening",
    )

    export = sub.add_parser(
        "export",
        help="write the generated org as JSONL ground truth",
        description="Generate an org and write one <collection>.jsonl per collection.",
    )
    _data_options(export)
    export.add_argument("--out", type=Path, required=True, help="output directory")
    export.add_argument(
        "--base-url",
        default="https://api.calendly.com",
        help="base of the record URIs (default https://api.calendly.com)",
    )

    advance = sub.add_parser(
        "advance",
        help="move a running sandbox's clock forward",
        description="Advance the simulated clock of a running sandbox; prints the changes.",
    )
    advance.add_argument("--url", required=True, help="sandbox URL, e.g. http://127.0.0.1:8080")
    advance.add_argument("--days", type=float, default=0.0, help="days to advance")
    advance.add_argument("--hours", type=float, default=0.0, help="hours to advance")
    advance.add_argument("--seconds", type=float, default=0.0, help="seconds to advance")

    stats = sub.add_parser(
        "stats",
        help="print a running sandbox's request counters",
        description="Print request counts per endpoint, injected faults and webhook totals.",
    )
    stats.add_argument("--url", required=True, help="sandbox URL")
    return parser


def _settings(args: argparse.Namespace) -> SandboxSettings:
    return SandboxSettings(
        seed=args.seed,
        scale=args.scale,
        now=args.now,
        host=args.host,
        port=args.port,
        rate_limit_per_minute=args.rate_limit,
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        plan=args.plan,
        access_token_ttl_seconds=args.token_ttl,
        faults=FaultConfig(
            seed=args.fault_seed,
            rates=dict(args.fault_rate),
            schedule=list(args.fault_schedule),
            stall_seconds=args.fault_stall_seconds,
            burst=args.fault_burst,
        ),
        webhooks=not args.no_webhooks,
        extra_fields=args.extra_fields,
        admin_token=args.admin_token,
        user_token=args.user_token,
        oauth_client_id=args.client_id,
        oauth_client_secret=args.client_secret,
    )


def _serve(args: argparse.Namespace) -> int:
    try:
        sandbox = Sandbox(_settings(args)).start()
    except SettingError as exc:
        raise CliError(f"{_option(exc.name)}: {exc.message}") from exc
    except OSError as exc:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from exc
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if args.ready_file is not None:
            args.ready_file.write_text(json.dumps(sandbox.info(), indent=2) + "\n")
        print(sandbox.url, flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


#: Setting names whose serve option is not --<name with dashes>.
_OPTIONS = {
    "rate_limit_per_minute": "--rate-limit",
    "access_token_ttl_seconds": "--token-ttl",
    "faults.stall_seconds": "--fault-stall-seconds",
    "faults.burst": "--fault-burst",
    "faults.seed": "--fault-seed",
}


def _option(setting: str) -> str:
    """The serve option behind a setting name, for error messages."""
    if setting in _OPTIONS:
        return _OPTIONS[setting]
    if setting.startswith("faults."):
        return "--fault-rate/--fault-schedule"
    return "--" + setting.replace("_", "-")


def _export(args: argparse.Namespace) -> int:
    from tap_calendly.sandbox.export import write_jsonl
    from tap_calendly.sandbox.generator import generate_org

    org = generate_org(args.seed, args.scale, args.base_url, args.now or default_now())
    counts = write_jsonl(org, args.out)
    for name, count in counts.items():
        print(f"{name}: {count}")
    return 0


def _call(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url.rstrip("/") + path,
        data=data,
        method="POST" if data is not None else "GET",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise CliError(f"sandbox at {url} answered {exc.code}: {exc.read()[:200]!r}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CliError(f"cannot reach the sandbox at {url}: {reason}") from exc


def _advance(args: argparse.Namespace) -> int:
    body = {"days": args.days, "hours": args.hours, "seconds": args.seconds}
    if not any(v > 0 for v in body.values()):
        raise CliError("give a positive --days, --hours or --seconds")
    if any(v < 0 for v in body.values()):
        raise CliError("the sandbox clock only moves forward")
    print(json.dumps(_call(args.url, "/_sandbox/advance", body), indent=2))
    return 0


def _stats(args: argparse.Namespace) -> int:
    print(json.dumps(_call(args.url, "/_sandbox/stats"), indent=2))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    commands = {"serve": _serve, "export": _export, "advance": _advance, "stats": _stats}
    try:
        return commands[args.command](args)
    except CliError as exc:
        print(f"tap-calendly-sandbox: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
