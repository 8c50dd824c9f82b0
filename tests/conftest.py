"""Shared fixtures: a real SQLite file in a temporary directory, a real PostgreSQL server, and the
shared datasets."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import edgerec
from edgerec.api import Store
from tests import postgres_server
from tests.ingest.ingest_helpers import real_file

# The console shows times, and the recommender counts "this hour", on this machine's clock.
# The tests pin it, so that what they expect does not depend on where they run.
os.environ["TZ"] = "UTC"
time.tzset()


@pytest.fixture(autouse=True, scope="session")
def _private_user_data(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The user's data directory (the default store, PostgreSQL stores' model folders) is a
    temporary one: the tests never write into the home of whoever runs them."""
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("user-data"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with edgerec.open(tmp_path / "data" / "edgerec.db") as opened:
        yield opened


@pytest.fixture
def shared_dataset():
    """Finds a file under ../shared/datasets: skipped where absent, a failure in CI."""
    return real_file


@pytest.fixture(scope="session")
def postgres() -> Iterator[postgres_server.Server]:
    """A throwaway PostgreSQL server (skipped, with the reason, where none can be started)."""
    reason = postgres_server.missing()
    if reason is not None:
        pytest.skip(reason)
    server = postgres_server.Server()
    try:
        yield server
    finally:
        server.stop()
