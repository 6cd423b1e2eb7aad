"""Fixtures of the pipeline tests: a throwaway PostgreSQL server per module."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.postgres import PostgresServer, PostgresUnavailable, server_binaries


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of its own (database ``calendly``), removed afterwards.

    Missing server binaries skip the test on a developer machine and fail it in CI, where
    .ci/run installs them: a warehouse test that silently skips in CI proves nothing.
    """
    try:
        server_binaries()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    with PostgresServer() as server:
        yield server
