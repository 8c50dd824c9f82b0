"""Reliability tests: kill, power-loss, disk-full, concurrency and upgrade harnesses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.crash import make_template


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "reliability: runs scripts/reliability.py's harnesses with small counts (CI)"
    )


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty store at the newest revision, copied by each trial."""
    return make_template(tmp_path_factory.mktemp("reliability-template"))
