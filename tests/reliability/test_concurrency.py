"""Guarantee 3: writers and tailing readers at once: no lock errors, no skipped positions,
a bounded WAL (the full 60 s run is `scripts/reliability.py`)."""

from __future__ import annotations

from pathlib import Path

from tests.reliability.soak import soak


def test_a_short_soak_has_no_lock_errors_and_no_skipped_positions(template: Path, tmp_path: Path) -> None:
    result = soak(template, tmp_path, seconds=4)
    assert result.lock_errors == 0, result.roles
    assert result.other_errors == 0, result.roles
    assert result.skipped_positions == 0
    assert result.roles["trainer"]["seen"] > 0 and result.roles["ui"]["ops"] > 0
    assert result.after.ok, result.after
    assert result.wal_bounded, result.wal_samples
