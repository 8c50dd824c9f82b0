"""Shared fixtures: real SQLite files in a temporary directory, and the shared datasets."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import edgerec
from edgerec.api import Store

REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO.parent / "shared" / "datasets"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with edgerec.open(tmp_path / "data" / "edgerec.db") as opened:
        yield opened


@pytest.fixture
def shared_dataset():
    """Finds a file under ../shared/datasets (see `dataset_path`)."""
    return dataset_path


def dataset_path(*parts: str) -> Path:
    """A file under ../shared/datasets; skips where it is absent, except in CI where it fails."""
    path = DATASETS.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing in CI, where ../shared/datasets is always present")
        pytest.skip(f"{path} is absent (../shared/datasets ships beside the project, not in it)")
    return path
