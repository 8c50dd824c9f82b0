"""Shared fixtures: a real SQLite file in a temporary directory, and the shared datasets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import edgerec
from edgerec.api import Store
from tests.ingest.ingest_helpers import real_file


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with edgerec.open(tmp_path / "data" / "edgerec.db") as opened:
        yield opened


@pytest.fixture
def shared_dataset():
    """Finds a file under ../shared/datasets: skipped where absent, a failure in CI."""
    return real_file
