"""The `reliability` marker: scripts/reliability.py's code with CI-sized counts (50 kill trials)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.suite import Config, run


@pytest.mark.reliability
def test_the_reliability_run_keeps_every_guarantee(tmp_path: Path) -> None:
    config = Config(
        trials=50,
        negative_trials=10,
        soak_seconds=5,
        power_runs=1,
        disk_full_trials=3,
        upgrade_trials=6,
        trainer_trials=3,
        malformed_rows=4000,
    )
    figures, rows = run(config, tmp_path)
    assert figures["kill_trials"] == 50
    assert figures["acked_lost"] == 0
    assert figures["integrity_errors"] == 0
    assert figures["duplicates"] == 0
    assert figures["half_batches"] == 0
    assert figures["negative_control_caught_ratio"] >= 0.9
    assert figures["soak_lock_errors"] == 0
    assert figures["soak_skipped_positions"] == 0
    assert figures["disk_full_ok"] is True
    assert figures["power_full_cuts_losing_acked"] == 0
    assert figures["power_normal_non_suffix_losses"] == 0
    assert figures["upgrade_half_migrated"] == 0
    assert figures["trainer_kill_trials"] == 3
    assert figures["unloadable_checkpoints"] == 0
    assert figures["resume_equal"] == 3
    assert figures["import_crashes"] == 0
    assert figures["conservation_ok"] is True
    assert [row.check for row in rows if not row.ok] == []
