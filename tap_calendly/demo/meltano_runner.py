"""Run Meltano commands for the demo, streaming progress and keeping the full log.

The sandbox URL and token reach the ``dev`` environment through the settings'
environment variables (``TAP_CALENDLY_API_URL``, ``TAP_CALENDLY_PERSONAL_ACCESS_TOKEN``);
inherited variables of the plugins' settings (``TAP_CALENDLY_*``, ``TARGET_*``, ``DBT_*``,
``CALENDLY_*``) are dropped so a shell that holds live credentials or another warehouse's
settings cannot leak them into the demo.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tap_calendly.demo.progress import Progress
from tap_calendly.demo.sandbox_process import DemoError

_DROPPED_PREFIXES = ("TAP_CALENDLY_", "TARGET_", "DBT_", "CALENDLY_", "MELTANO_ENVIRONMENT")


def pipeline_env(
    base: Mapping[str, str],
    *,
    api_url: str,
    token: str,
    database: Path,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Environment for a Meltano run against the sandbox."""
    env = {k: v for k, v in base.items() if not k.startswith(_DROPPED_PREFIXES)}
    env.update(
        {
            "MELTANO_ENVIRONMENT": "dev",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
            "TAP_CALENDLY_API_URL": api_url,
            "TAP_CALENDLY_PERSONAL_ACCESS_TOKEN": token,
            "TARGET_CALENDLY_DUCKDB_DATABASE": str(database),
            "DBT_DUCKDB_PATH": str(database),
        }
    )
    env.update(extra or {})
    return env


def isolated_sys_dir(project_dir: Path, sys_dir: Path) -> dict[str, str]:
    """Environment for a Meltano run with its own ``.meltano`` (system database, state,
    run files) that reuses the project's installed plugin venvs through symlinks.

    Meltano writes per-plugin run files (``.meltano/run/<plugin>/state.json``, the
    catalog) at fixed paths, so two runs sharing one ``.meltano`` can read each other's
    state; tests that run concurrently each get their own.
    """
    sys_dir.mkdir(parents=True, exist_ok=True)
    for kind in ("extractors", "loaders", "utilities"):
        link = sys_dir / kind
        if not link.exists():
            link.symlink_to(project_dir / ".meltano" / kind, target_is_directory=True)
    return {"MELTANO_SYS_DIR_ROOT": str(sys_dir)}


@dataclass
class MeltanoResult:
    """What one Meltano command did."""

    seconds: float
    records: dict[str, int] = field(default_factory=dict)
    output_tail: list[str] = field(default_factory=list)


def run_meltano(
    meltano: Path,
    args: list[str],
    *,
    project_dir: Path,
    env: Mapping[str, str],
    log_file: Path,
    emit: Callable[[str], None],
    heartbeat: Callable[[], str | None] | None = None,
    heartbeat_every: float = 5.0,
) -> MeltanoResult:
    """Run ``meltano <args>``, echo per-stream progress, and fail with one clear line."""
    command = [str(meltano), "--log-format", "json", *args]
    progress = Progress(emit)
    tail: deque[str] = deque(maxlen=40)
    last_output = [time.monotonic()]
    done = threading.Event()

    def tick() -> None:
        while not done.wait(1.0):
            if heartbeat is None or time.monotonic() - last_output[0] < heartbeat_every:
                continue
            message = heartbeat()
            if message:
                emit(message)
                last_output[0] = time.monotonic()

    def shown(line: str) -> None:
        last_output[0] = time.monotonic()
        emit(line)

    progress.emit = shown
    started = time.monotonic()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    ticker = threading.Thread(target=tick, name="demo-heartbeat", daemon=True)
    ticker.start()
    proc: subprocess.Popen[str] | None = None
    try:
        with log_file.open("w", encoding="utf-8") as log:
            proc = subprocess.Popen(
                command,
                cwd=project_dir,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
            )
            assert proc.stdout is not None
            for line in proc.stdout:
                log.write(line)
                tail.append(line.rstrip("\n"))
                progress.feed(line)
            code = proc.wait()
    except BaseException:  # Ctrl-C or SIGTERM: do not leave Meltano running
        if proc is not None and proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
        raise
    finally:
        done.set()
        ticker.join(timeout=2)
    progress.finish()
    result = MeltanoResult(time.monotonic() - started, dict(progress.records), list(tail))
    if code != 0:
        raise DemoError(
            f"`meltano {' '.join(args)}` failed with exit code {code}; full log: {log_file}"
        )
    return result
