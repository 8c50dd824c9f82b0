"""Guarantee 10: data files are private to their owner, and a killed upgrade leaves the database
at the old revision or the new one, never in between."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

import edgerec
from edgerec.domain import ItemViewed
from tests.reliability import upgrade
from tests.reliability.upgrade import (
    create_kill_trial,
    leave_a_readable_wal,
    private_problems,
    probe_migrations,
    seeded_store,
    store_files,
    time_create,
    time_upgrade,
    umask,
    upgrade_kill_trial,
)


@pytest.mark.parametrize("mask", [0o022, 0o000])
def test_a_new_store_and_its_wal_and_shm_are_private(tmp_path: Path, mask: int) -> None:
    path = tmp_path / "data" / "edgerec.db"
    with umask(mask), edgerec.open(path) as store:
        store.record(ItemViewed(user_id="u", item_id="i"))
        assert Path(f"{path}-wal").exists() and Path(f"{path}-shm").exists()
        assert private_problems([path.parent, *store_files(path)]) == []


def test_opening_tightens_a_database_an_older_version_left_readable(tmp_path: Path) -> None:
    path = tmp_path / "edgerec.db"
    edgerec.open(path).close()
    os.chmod(path, 0o644)
    with edgerec.open(path) as store:
        store.record(ItemViewed(user_id="u", item_id="i"))
    assert private_problems(store_files(path)) == []


def test_opening_tightens_a_left_over_wal_too(tmp_path: Path) -> None:
    path = tmp_path / "edgerec.db"
    leave_a_readable_wal(path)
    with edgerec.open(path) as store:
        store.record(ItemViewed(user_id="u", item_id="i"))
        assert private_problems(store_files(path)) == []


@pytest.mark.parametrize("format_", ["jsonl", "parquet"])
def test_exports_are_private(store, tmp_path: Path, format_: str) -> None:  # type: ignore[no-untyped-def]
    from edgerec.ingest.export import export_events

    store.record(ItemViewed(user_id="u", item_id="i"))
    target = tmp_path / f"export.{format_}"
    with umask(0o022):
        export_events(store, target, format=format_)
    assert private_problems([target]) == []


def test_a_killed_upgrade_leaves_the_old_or_the_new_revision(tmp_path: Path) -> None:
    seeded, migrations = seeded_store(tmp_path), probe_migrations(tmp_path)
    within = time_upgrade(seeded, migrations, tmp_path / "timing") * 1.1
    rng = random.Random("upgrade")
    trials = [upgrade_kill_trial(seeded, migrations, tmp_path / str(n), rng, within) for n in range(12)]
    assert [t.problems for t in trials if not t.ok] == []
    assert {t.revision for t in trials} <= {upgrade.BASE, upgrade.PROBE}


def test_a_store_killed_while_being_created_is_empty_or_complete(tmp_path: Path) -> None:
    within = time_create(tmp_path / "timing") * 1.1
    rng = random.Random("create")
    outcomes = [create_kill_trial(tmp_path / str(n), rng, within) for n in range(12)]
    assert [problems for _, problems in outcomes if problems] == []
    assert {revision for revision, _ in outcomes} <= {None, upgrade.BASE}
