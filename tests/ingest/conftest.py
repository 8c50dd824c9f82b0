"""Fixtures for the import tests: a store in a real SQLite file, and slices of real datasets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import edgerec
from edgerec.api import Store
from tests.ingest.ingest_helpers import head_of, real_file


@pytest.fixture
def ingest_store(tmp_path: Path) -> Iterator[Store]:
    with edgerec.open(tmp_path / "db" / "edgerec.db") as opened:
        yield opened


@pytest.fixture
def slice_of(tmp_path: Path) -> Callable[..., Path]:
    def make(parts: tuple[str, ...], lines: int, name: str | None = None) -> Path:
        return head_of(real_file(*parts), tmp_path / "data" / (name or parts[-1]), lines)

    return make
