"""Guarantee 1: an event whose `record`/`record_many` returned survives SIGKILL, exactly once."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.reliability.crash import kill_trial


@pytest.mark.parametrize("mode", ["threads", "processes"])
@pytest.mark.parametrize("checkpointer", [False, True])
def test_sigkill_loses_nothing_acknowledged(
    template: Path, tmp_path: Path, mode: str, checkpointer: bool
) -> None:
    rng = random.Random(f"{mode}/{checkpointer}")
    for trial in range(4):
        result = kill_trial(template, tmp_path / str(trial), rng, mode=mode, checkpointer=checkpointer)
        assert result.writer_errors == []
        assert result.after_kill.ok, result.after_kill
        assert result.after_retry is not None and result.after_retry.ok, result.after_retry
        # A retry appends exactly the events the dead writer had not committed: no duplicates.
        assert result.retry_appended == result.retry_expected


def test_the_harness_catches_a_writer_that_acknowledges_before_committing(
    template: Path, tmp_path: Path
) -> None:
    rng = random.Random("negative")
    caught = [kill_trial(template, tmp_path / str(n), rng, broken="write-behind").caught for n in range(10)]
    assert sum(caught) >= 9
