"""Run the dbt project in transform/ on one engine, the way the Meltano utilities do.

The dbt executables are the ones ``meltano install`` puts in the dbt-duckdb and
dbt-postgres utility venvs; the settings reach transform/profiles/profiles.yml as the
same environment variables Meltano exports. Each run gets its own target and log
folders, so concurrent runs never share dbt's manifest or partial-parse files.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.commands import run_tool
from tests.support.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "transform"
ENGINES = ("duckdb", "postgres")


def dbt_executable(engine: str) -> Path:
    return ROOT / ".meltano" / "utilities" / f"dbt-{engine}" / "venv" / "bin" / "dbt"


def installed() -> bool:
    return all(dbt_executable(engine).exists() for engine in ENGINES)


def dbt_env(
    engine: str,
    work: Path,
    *,
    as_of: str | None = None,
    duckdb_path: Path | None = None,
    postgres: PostgresServer | None = None,
    source_schema: str = "calendly",
) -> dict[str, str]:
    """Environment for one dbt run (inherited DBT_* / CALENDLY_* variables are dropped)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "CALENDLY_"))}
    env.update(
        DBT_PROJECT_DIR=str(PROJECT),
        DBT_PROFILES_DIR=str(PROJECT / "profiles"),
        DBT_TARGET=engine,
        DBT_TARGET_PATH=str(work / f"dbt-{engine}" / "target"),
        DBT_LOG_PATH=str(work / f"dbt-{engine}" / "logs"),
        CALENDLY_SOURCE_SCHEMA=source_schema,
    )
    if as_of:
        env["CALENDLY_AS_OF"] = as_of
    if engine == "duckdb":
        assert duckdb_path is not None
        env["DBT_DUCKDB_PATH"] = str(duckdb_path)
    else:
        assert postgres is not None
        env.update(
            DBT_POSTGRES_HOST=postgres.host,
            DBT_POSTGRES_PORT=str(postgres.port),
            DBT_POSTGRES_USER=postgres.user,
            DBT_POSTGRES_PASSWORD=postgres.password,
            DBT_POSTGRES_DBNAME=postgres.database,
        )
    return env


def run_dbt(
    engine: str, args: list[str], env: dict[str, str], *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """``dbt <args>``; with ``check``, a failure shows the end of dbt's output."""
    return run_tool([dbt_executable(engine), *args], cwd=PROJECT, env=env, timeout=900, check=check)
