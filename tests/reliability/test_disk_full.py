"""Guarantee 7 (for the log): on a full disk writes fail, nothing half-written or lost remains,
and writing resumes once space is freed."""

from __future__ import annotations

import random
from pathlib import Path

from tests.reliability.diskfull import disk_full_trial


def test_writes_fail_cleanly_and_resume_when_space_is_freed(template: Path, tmp_path: Path) -> None:
    rng = random.Random("disk-full")
    for n in range(6):
        trial = disk_full_trial(template, tmp_path / str(n), rng)
        assert trial.failed_writes > 0, "the file-size limit never bit"
        assert trial.after.ok, trial.after
        assert trial.resumed, trial.outcome["failures"]
        assert trial.notes == []


def test_a_full_disk_gives_a_clear_message(template: Path, tmp_path: Path) -> None:
    trial = disk_full_trial(template, tmp_path, random.Random("message"))
    assert trial.failed_writes > 0
    assert trial.clear_message, [failure["message"] for failure in trial.outcome["failures"]]
