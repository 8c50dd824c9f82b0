"""What every harness checks after a crash: integrity, nothing acknowledged lost, no duplicates,
no half batch, gap-free positions, and projections equal to a replay of the log."""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

import edgerec
from edgerec.api import Store
from edgerec.store.schema import PROJECTION_TABLES, projection_positions
from tests.reliability.workload import parse_batch


def integrity_errors(path: Path) -> list[str]:
    """`PRAGMA integrity_check` on a plain connection; [] when the file is sound."""
    connection = sqlite3.connect(path, timeout=30)
    try:
        rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:  # a file too damaged to check at all
        return [f"{type(error).__name__}: {error}"]
    finally:
        connection.close()
    return [] if rows == ["ok"] else rows


def logged_ids(path: Path) -> list[tuple[int, str]]:
    """(position, event_id) for every row of the log, in position order."""
    connection = sqlite3.connect(path, timeout=30)
    try:
        return list(connection.execute("SELECT position, event_id FROM events ORDER BY position"))
    finally:
        connection.close()


def projection_snapshot(store: Store) -> dict[str, list[dict[str, Any]]]:
    with store.engine.connect() as connection:
        return {
            table.name: sorted((dict(row) for row in connection.execute(select(table)).mappings()), key=repr)
            for table in (*PROJECTION_TABLES, projection_positions)
        }


def projections_equal_rebuild(store: Store) -> bool:
    """Rebuilds every projection from the log and says whether that changed anything."""
    before = projection_snapshot(store)
    store.rebuild()
    return projection_snapshot(store) == before


@dataclass
class LogReport:
    """What one check of a log found; every count should be 0 and the flag True."""

    logged: int = 0
    acked: int = 0
    acked_lost: int = 0
    duplicates: int = 0
    half_batches: int = 0
    position_gaps: int = 0
    integrity_errors: int = 0
    projections_equal_rebuild: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        counts = (
            self.acked_lost,
            self.duplicates,
            self.half_batches,
            self.position_gaps,
            self.integrity_errors,
        )
        return not any(counts) and self.projections_equal_rebuild


def check_log(path: Path, acked: Iterable[str], *, projections: bool = True) -> LogReport:
    """Checks the log at `path` against the ids whose append was acknowledged."""
    report = LogReport()
    problems = integrity_errors(path)
    report.integrity_errors = len(problems)
    report.notes += problems[:3]
    if problems:
        return report
    rows = logged_ids(path)
    ids = Counter(event_id for _, event_id in rows)
    acked_set = set(acked)
    report.logged, report.acked = len(rows), len(acked_set)
    report.duplicates = sum(count - 1 for count in ids.values())
    lost = acked_set - ids.keys()
    report.acked_lost = len(lost)
    if lost:
        report.notes.append(f"lost {sorted(lost)[:3]}")
    positions = [position for position, _ in rows]
    report.position_gaps = sum(1 for a, b in zip([0, *positions], positions, strict=False) if b != a + 1)
    members: dict[tuple[str, int], set[str]] = defaultdict(set)
    sizes: dict[tuple[str, int], int] = {}
    for event_id in ids:
        batch = parse_batch(event_id)
        if batch is not None:
            members[(batch.run, batch.batch)].add(event_id)
            sizes[(batch.run, batch.batch)] = batch.size
    half = [key for key, found in members.items() if len(found) != sizes[key]]
    report.half_batches = len(half)
    if half:
        report.notes.append(f"half-written batches {half[:3]}")
    if projections:
        with edgerec.open(path, upgrade=False) as store:
            report.projections_equal_rebuild = projections_equal_rebuild(store)
    return report
