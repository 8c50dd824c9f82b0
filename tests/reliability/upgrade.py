"""File permissions of everything edgerec writes, and migrations killed half-way.

The real migration history has one revision, so to kill an upgrade that has real work to do a
probe revision 0002 is added in a temporary copy of migrations/: it rebuilds the events table
(Alembic batch mode, as a column change on SQLite does), adds an index, back-fills a column and
creates a table. A child runs `migrate.upgrade` on a log of a few thousand events and is
SIGKILLed at a random moment; the database must then be exactly at 0001 or exactly at 0002.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from alembic.script import ScriptDirectory

import edgerec
from edgerec.store import migrate
from edgerec.store.codec import event_to_row
from edgerec.store.engine import database_url, make_engine
from tests.reliability.checks import integrity_errors
from tests.reliability.workload import batch_events

PROBE = "reliability_probe"
PROBE_REVISION = '''"""Reliability probe: rebuilds the events table, indexes and back-fills a column."""
import sqlalchemy as sa
from alembic import op

revision = "reliability_probe"
down_revision = "{base}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", recreate="always") as batch:
        batch.add_column(sa.Column("probe", sa.Integer))
    op.execute("UPDATE events SET probe = position % 7")
    op.create_index("ix_events_probe", "events", ["probe"])
    op.create_table("probe_done", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("probe_done")
    op.drop_index("ix_events_probe", "events")
    with op.batch_alter_table("events", recreate="always") as batch:
        batch.drop_column("probe")
'''


def private_problems(paths: list[Path]) -> list[str]:
    """Every path among `paths` that group or others may read, write or enter."""
    problems = []
    for path in paths:
        if path.exists():
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:
                problems.append(f"{path.name} is {oct(mode)}")
    return problems


def store_files(path: Path) -> list[Path]:
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")]


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def leave_a_readable_wal(path: Path) -> None:
    """What a crash of an older, careless version leaves behind: a 0644 database and -wal."""
    edgerec.open(path).close()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE crash_marker (x)")
    connection.commit()
    wal = Path(f"{path}-wal").read_bytes()
    connection.close()
    Path(f"{path}-wal").write_bytes(wal)
    for file in store_files(path):
        if file.exists():
            os.chmod(file, 0o644)


# --- migrations killed half-way ------------------------------------------------------------

# The real newest revision; the probe revision goes on top of it.
BASE = ScriptDirectory(str(migrate.MIGRATIONS)).get_current_head()


def probe_migrations(folder: Path) -> Path:
    """A copy of migrations/ with the probe revision on top of the real head."""
    target = folder / "migrations"
    if not target.exists():
        shutil.copytree(migrate.MIGRATIONS, target, ignore=shutil.ignore_patterns("__pycache__"))
        (target / "versions" / "9999_reliability_probe.py").write_text(PROBE_REVISION.replace("{base}", BASE))
    return target


def seeded_store(folder: Path, events: int = 6000) -> Path:
    """A store at the real head revision holding about `events` events."""
    path = folder / "seeded.db"
    if not path.exists():
        with edgerec.open(path) as store:
            rows, b = [], 0
            while len(rows) < events:
                rows += [event_to_row(e) for e in batch_events("seed", b)]
                b += 1
            store.append_rows(rows)
    return path


@dataclass
class UpgradeTrial:
    killed_after_s: float
    revision: str | None
    problems: list[str] = field(default_factory=list)
    upgraded_again: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems and self.upgraded_again


def _schema_problems(path: Path, events: int) -> tuple[str | None, list[str]]:
    """The revision, and every way the schema disagrees with it."""
    problems = [f"integrity: {p}" for p in integrity_errors(path)]
    if problems:
        return None, problems
    connection = sqlite3.connect(path)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        indexes = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        revisions = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
        columns = {row[1] for row in connection.execute("PRAGMA table_info(events)")}
        count = connection.execute("SELECT count(*) FROM events").fetchone()[0]
        unfilled = (
            connection.execute("SELECT count(*) FROM events WHERE probe IS NULL").fetchone()[0]
            if ("probe" in columns)
            else None
        )
    finally:
        connection.close()
    revision = revisions[0] if len(revisions) == 1 else None
    if len(revisions) != 1:
        problems.append(f"alembic_version holds {revisions}")
    leftovers = {t for t in tables if t.startswith("_alembic_tmp")}
    if leftovers:
        problems.append(f"left-over tables {sorted(leftovers)}")
    if count != events:
        problems.append(f"{count} events instead of {events}")
    new = {"probe" in columns, "probe_done" in tables, "ix_events_probe" in indexes}
    if revision == BASE and new != {False}:
        problems.append(f"revision {BASE} but some of the probe's schema is there")
    if revision == PROBE and (new != {True} or unfilled):
        problems.append(f"revision {PROBE} but its schema is incomplete (unfilled={unfilled})")
    return revision, problems


def upgrade_kill_trial(
    seeded: Path, migrations: Path, folder: Path, rng: random.Random, within_s: float
) -> UpgradeTrial:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "upgrade.db"
    shutil.copy(seeded, path)
    events = sqlite3.connect(seeded).execute("SELECT count(*) FROM events").fetchone()[0]
    delay = rng.uniform(0.0, within_s)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            migrate.MIGRATIONS = migrations
            migrate.upgrade(make_engine(database_url(path)))
        finally:
            os._exit(0)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    revision, problems = _schema_problems(path, events)
    trial = UpgradeTrial(delay, revision, problems)
    if not problems:
        saved, migrate.MIGRATIONS = migrate.MIGRATIONS, migrations
        try:
            engine = make_engine(database_url(path))
            migrate.upgrade(engine)
            engine.dispose()
        finally:
            migrate.MIGRATIONS = saved
        again, more = _schema_problems(path, events)
        trial.upgraded_again = again == PROBE and not more
        trial.problems += more
    return trial


def _child_seconds(work) -> float:  # type: ignore[no-untyped-def]
    """How long a forked child takes to run `work` to the end, fork and exit included."""
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            work()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    return time.perf_counter() - started


def time_upgrade(seeded: Path, migrations: Path, folder: Path) -> float:
    """How long a child takes to run the probe upgrade here, to spread the kills over it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "timed.db"
    shutil.copy(seeded, path)

    def work() -> None:
        migrate.MIGRATIONS = migrations
        migrate.upgrade(make_engine(database_url(path)))

    return _child_seconds(work)


def time_create(folder: Path) -> float:
    folder.mkdir(parents=True, exist_ok=True)
    return _child_seconds(lambda: edgerec.open(folder / "timed-new.db").close())


def create_kill_trial(folder: Path, rng: random.Random, within_s: float) -> tuple[str | None, list[str]]:
    """Kills `edgerec.open` creating a new store: no tables and no revision, or all of 0001."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "new.db"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            edgerec.open(path).close()
        finally:
            os._exit(0)
    time.sleep(rng.uniform(0.0, within_s))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    if not path.exists():
        return None, []
    problems = [f"integrity: {p}" for p in integrity_errors(path)]
    connection = sqlite3.connect(path)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        revision = (
            connection.execute("SELECT version_num FROM alembic_version").fetchone()
            if "alembic_version" in tables
            else None
        )
    finally:
        connection.close()
    revision_name = revision[0] if revision else None
    expected = {"events", "quarantine", "imports", "projection_positions", "items", "users", "sessions"}
    if revision_name is None and tables - {"alembic_version"}:
        problems.append(f"no revision but tables {sorted(tables)}")
    if revision_name is not None and not expected <= tables:
        problems.append(f"revision {revision_name} but tables missing: {sorted(expected - tables)}")
    return revision_name, problems
