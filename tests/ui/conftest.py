"""Fixtures for the UI tests: a real database file with a small shop, copied per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import edgerec
from edgerec.api import Store
from tests.ui.ui_shop import make_shop


@pytest.fixture(scope="session")
def shop_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("shop") / "shop.db"
    make_shop(path).close()
    return path


@pytest.fixture
def shop_store(shop_file: Path, tmp_path: Path) -> Iterator[Store]:
    """A private copy of the fixture shop's database file, so tests can write freely."""
    copy = tmp_path / "shop.db"
    shutil.copy(shop_file, copy)
    with edgerec.open(copy) as opened:
        yield opened
