"""Helpers for the import tests: the shared datasets, file slices, quarantine counts."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
from sqlalchemy import func, select

from edgerec.api import Store
from edgerec.store.schema import quarantine

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


def real_file(*parts: str) -> Path:
    """A file of ../shared/datasets: skipped where absent, but a failure in CI."""
    path = DATASETS.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing; CI always has ../shared/datasets beside the repo")
        pytest.skip(f"{path} is absent: ../shared/datasets sits beside the repo, not in it")
    return path


def head_of(source: Path, target: Path, lines: int) -> Path:
    """The first `lines` lines of `source`, byte for byte (CRLF kept), at `target`."""
    with open(source, "rb") as file:
        data = b"".join(line for _, line in zip(range(lines), file, strict=False))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def printed_program(said: str) -> str:
    """The program of the first `python3 -c '...'` that a message prints, as a shell reads it."""
    lexer = shlex.shlex(said.split("python3 -c ", 1)[1], posix=True)
    lexer.whitespace_split = True
    return lexer.get_token() or ""


def printed_command(said: str) -> list[str]:
    """The arguments of the `edgerec ...` command that ends a message, as a shell splits them."""
    return shlex.split(said.rsplit("edgerec ", 1)[1])


def quarantined(store: Store) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(quarantine)).scalar_one())


def conserved(report) -> None:  # type: ignore[no-untyped-def]
    """Every row read was accepted or quarantined, and every accepted one is in the log."""
    assert report.accepted + report.quarantined == report.rows_read
    assert report.appended + report.already_present == report.accepted
