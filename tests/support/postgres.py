"""A throwaway PostgreSQL server for tests: its own cluster, port and password.

``initdb`` into a temporary directory, ``pg_ctl start`` on a free loopback port (TCP only,
no Unix socket), one database, and everything removed on ``stop()``. PostgreSQL refuses to
run as root, so under root (CI runs as root) the server runs as the unprivileged ``nobody``
user through ``setpriv``. The binaries come from PATH or Debian's
``/usr/lib/postgresql/<version>/bin``; ``.ci/run`` installs Debian's ``postgresql`` where
neither has them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

RUN_AS = "nobody"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def server_binaries() -> Path:
    """Folder holding ``initdb`` and ``pg_ctl`` (newest Debian version if several)."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")]
    versions = [v for v in versions if (v / "initdb").exists() and v.parent.name.isdigit()]
    if versions:
        return max(versions, key=lambda v: int(v.parent.name))
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; `apt-get install postgresql`"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """One cluster with one database; use as a context manager."""

    database: str = "calendly"
    user: str = "calendly"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    host: str = "127.0.0.1"
    port: int = 0
    root: Path | None = None

    @property
    def data_dir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    def _as_server_user(self, command: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return command
        account = pwd.getpwnam(RUN_AS)
        return [
            "setpriv",
            f"--reuid={account.pw_uid}",
            f"--regid={account.pw_gid}",
            "--clear-groups",
            *command,
        ]

    def _run(self, command: list[str], timeout: float = 120) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LC_ALL": "C",
            "HOME": str(self.root),
        }
        done = subprocess.run(
            self._as_server_user(command),
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
            raise RuntimeError(f"{Path(command[0]).name} failed: " + " | ".join(tail))

    def start(self) -> PostgresServer:
        binaries = server_binaries()
        self.root = Path(tempfile.mkdtemp(prefix="calendly-pg-"))
        password_file = self.root / "pwfile"
        password_file.write_text(self.password + "\n", encoding="utf-8")
        if os.geteuid() == 0:  # the server's files belong to the user it runs as
            account = pwd.getpwnam(RUN_AS)
            for path in (self.root, password_file):
                os.chown(path, account.pw_uid, account.pw_gid)
        self._run(
            [
                str(binaries / "initdb"),
                "--pgdata",
                str(self.data_dir),
                "--username",
                self.user,
                "--pwfile",
                str(password_file),
                "--auth",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ]
        )
        password_file.unlink()
        for attempt in range(3):
            self.port = free_port()
            options = (
                f"-c listen_addresses={self.host} -p {self.port} -c unix_socket_directories='' "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c timezone=UTC -c max_connections=40"
            )
            try:
                self._run(
                    [
                        str(binaries / "pg_ctl"),
                        "--pgdata",
                        str(self.data_dir),
                        "--log",
                        str(self.root / "server.log"),
                        "--wait",
                        "--timeout",
                        "60",
                        "-o",
                        options,
                        "start",
                    ]
                )
                break
            except RuntimeError:
                if attempt == 2:  # the port was taken between probe and bind three times
                    self.stop()
                    raise
        with psycopg.connect(**self.connect_args("postgres"), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{self.database}"')
        return self

    def connect_args(self, database: str | None = None) -> dict[str, str | int]:
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "dbname": database or self.database,
        }

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(**self.connect_args(), autocommit=True)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self.root is None:
            return
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._run(
                    [
                        str(server_binaries() / "pg_ctl"),
                        "--pgdata",
                        str(self.data_dir),
                        "--mode",
                        "immediate",
                        "--wait",
                        "stop",
                    ],
                    timeout=60,
                )
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
