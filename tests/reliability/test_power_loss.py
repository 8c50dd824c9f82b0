"""Guarantee 2: what a power cut can lose per `synchronous` level, with dropped unsynced writes
simulated by the VFS shim in vfs.py (FULL: nothing acknowledged; NORMAL: only the newest
commits; OFF: anything, even the file's integrity, which shows the harness can see a loss)."""

from __future__ import annotations

import random
from pathlib import Path

from tests.reliability.power import power_run


def test_full_loses_nothing_acknowledged(template: Path, tmp_path: Path) -> None:
    cuts = power_run(template, tmp_path, "FULL", random.Random("full"), ops=120, cuts=10)
    assert cuts, "no power cut was simulated"
    assert [c for c in cuts if not c.ok] == []
    assert all(c.lost_commits == 0 for c in cuts)


def test_normal_loses_at_most_a_suffix_of_acknowledged_commits(template: Path, tmp_path: Path) -> None:
    cuts = power_run(template, tmp_path, "NORMAL", random.Random("normal"), ops=120, cuts=10)
    assert cuts
    assert [c for c in cuts if not c.ok] == []
    assert any(c.lost_commits for c in cuts), "NORMAL should be seen losing recent commits"


def test_off_is_caught_losing_or_corrupting_data(template: Path, tmp_path: Path) -> None:
    cuts = power_run(template, tmp_path, "OFF", random.Random("off"), ops=120, cuts=10)
    assert any(not c.suffix_only or c.report.integrity_errors for c in cuts)
