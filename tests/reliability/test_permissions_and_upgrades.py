"""Guarantee 10: data files are private to their owner, and a killed upgrade leaves the database
at the old revision or the new one, never in between."""

from __future__ import annotations

import os
import random
import shlex
import shutil
import subprocess
import sys
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


def _can_mount_read_only() -> bool:
    """Whether this test may bind-mount a folder read-only, in a mount namespace of its own."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


def _edgerec_with_folder_read_only(folder: Path, *arguments: str) -> tuple[int, str]:
    """Runs `edgerec ARGUMENTS` where `folder` is mounted read-only (in a mount namespace of its
    own, which goes with it); its exit status and what it said."""
    return _python_with_folder_read_only(folder, "-m", "edgerec", *arguments)


def _python_with_folder_read_only(folder: Path, *arguments: str) -> tuple[int, str]:
    """Runs `python ARGUMENTS` as `_edgerec_with_folder_read_only` runs edgerec."""
    command = shlex.join([sys.executable, *arguments])
    mounted = f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && {command}"
    done = subprocess.run(["unshare", "-m", "sh", "-c", mounted], capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.skipif(
    not _can_mount_read_only(), reason="needs root and unshare -m, to mount a folder read-only"
)
def test_a_store_on_a_file_system_mounted_read_only_is_read_and_refuses_writes_in_one_line(
    tmp_path: Path,
) -> None:
    """A kiosk's disk the system remounted read-only after errors, the store's -wal and -shm
    beside it: every command said "this user cannot write it: give it to the store's owner
    (chown)" to the store's own owner, and where it did open (another user's store), a write,
    an import, a rebuild, a pseudonymous export and `train` ended in a traceback."""
    folder = tmp_path / "shop"
    path = folder / "shop.db"
    events = tmp_path / "more.csv"
    events.write_text("user_id,item_id,type,timestamp\nu3,i3,view,2024-03-01T10:00:00Z\n")
    with edgerec.open(path) as store:  # held open: its -wal and -shm stay, as a crash leaves them
        store.record(ItemViewed(user_id="u", item_id="i"))
        assert Path(f"{path}-wal").exists()
        db = ("--db", str(path))
        stats = _edgerec_with_folder_read_only(folder, *db, "stats")
        real = _edgerec_with_folder_read_only(
            folder, *db, "export", "--real-ids", str(tmp_path / "real.jsonl")
        )
        refused = [
            _edgerec_with_folder_read_only(folder, *db, *command)
            for command in (
                ["export", str(tmp_path / "pseudonymous.jsonl")],
                ["import", str(events)],
                ["rebuild"],
            )
        ]
        trained = _edgerec_with_folder_read_only(folder, *db, "train")
        assert store.head() == 1
    assert stats[0] == 0 and "head position 1" in stats[1]
    assert real[0] == 0 and "Exported 1 events" in real[1]
    for status, said in refused:
        assert status == 1 and "Traceback" not in said
        assert "its file system is mounted read-only" in said and "Nothing of this write was stored" in said
    assert trained[0] == 1 and "Traceback" not in trained[1]
    assert f"could not write {folder / 'shop.db.models'}: Read-only file system" in trained[1]


@pytest.mark.skipif(
    not _can_mount_read_only(), reason="needs root and unshare -m, to mount a folder read-only"
)
def test_a_closed_store_on_a_file_system_mounted_read_only_says_why_it_cannot_be_opened(
    tmp_path: Path,
) -> None:
    """A store closed cleanly (no -wal or -shm beside it) on a disk remounted read-only: SQLite
    cannot make its -shm there. `db current` said only "unable to open database file", and the
    other commands that the folder was not writable, as if a chmod would do."""
    folder = tmp_path / "shop"
    path = folder / "shop.db"
    with edgerec.open(path) as store:
        store.record(ItemViewed(user_id="u", item_id="i"))
    assert not Path(f"{path}-wal").exists()
    for command in (["db", "current"], ["stats"]):
        status, said = _edgerec_with_folder_read_only(folder, "--db", str(path), *command)
        assert status == 1 and "Traceback" not in said, said
        assert "its file system is mounted read-only" in said and "mount it read-write" in said, said


@pytest.mark.skipif(
    not _can_mount_read_only(), reason="needs root and unshare -m, to mount a folder read-only"
)
def test_the_consoles_trainer_on_a_file_system_mounted_read_only_says_why_it_does_not_start(
    tmp_path: Path,
) -> None:
    """`edgerec tui` on a store whose disk was remounted read-only (its -wal and -shm beside it,
    so that the store opens, to read) ended in a traceback as it made the trainer's folder,
    before the console opened."""
    folder = tmp_path / "shop"
    path = folder / "shop.db"
    console = (
        "from edgerec.runtime import TrainerProcess\n"
        f"trainer = TrainerProcess({f'sqlite:///{path}'!r}, device='cpu')\n"
        "trainer.start()\n"
        "print('running' if trainer.running else 'not running', trainer.status().get('exited'))\n"
    )
    with edgerec.open(path) as store:  # held open: its -wal and -shm stay, as a crash leaves them
        store.record(ItemViewed(user_id="u", item_id="i"))
        status, said = _python_with_folder_read_only(folder, "-c", console)
    assert status == 0 and "Traceback" not in said, said
    assert f"not running could not write {folder / 'shop.db.models'}: Read-only file system" in said, said
