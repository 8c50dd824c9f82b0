"""Power loss: the store writes through the VFS shim, and at random I/O calls the harness saves
what the disk could hold if the power went then (see `vfs.PowerSim.power_cut_image`).

Each image is opened as after a reboot (no -shm; SQLite recovers the WAL) and checked against
the events acknowledged before the cut: integrity, half batches, gap-free positions, projections
equal a rebuild, and which acknowledged events survived. Under FULL none may be missing; under
NORMAL only a suffix (the newest commits) may be; OFF promises nothing and serves as the
negative control: the checks must see it lose or corrupt data.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.pool import QueuePool

from edgerec.api import Store
from edgerec.store.engine import _configure_sqlite
from tests.reliability.checks import LogReport, check_log, logged_ids
from tests.reliability.vfs import VFS_NAME, power_sim
from tests.reliability.workload import batch_events, ui_event

LEVELS = ("OFF", "NORMAL", "FULL")
MODELS = ("synced", "prefix", "subset", "subset-torn")


@dataclass
class PowerCut:
    level: str
    model: str
    acked_commits: int
    report: LogReport
    lost_commits: int = 0
    suffix_only: bool = True

    @property
    def ok(self) -> bool:
        """What the level promises: FULL loses nothing, NORMAL a suffix at most; both stay sound."""
        sound = (
            not self.report.integrity_errors
            and not self.report.half_batches
            and not self.report.position_gaps
            and not self.report.duplicates
            and self.report.projections_equal_rebuild
        )
        if self.level == "FULL":
            return sound and self.lost_commits == 0
        return sound and self.suffix_only


def _store_through_shim(path: Path, level: str) -> Store:
    """A Store whose engine opens the file through the shim, with edgerec's own PRAGMAs."""
    store = Store(path, synchronous=level, upgrade=False)
    store.engine.dispose()
    uri = f"file:{path}?vfs={VFS_NAME}"
    engine = create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False),
        poolclass=QueuePool,
    )
    _configure_sqlite(engine, level)
    store.engine = engine
    return store


def power_run(
    template: Path, folder: Path, level: str, rng: random.Random, *, ops: int = 240, cuts: int = 12
) -> list[PowerCut]:
    """Writes `ops` commits at `level`, saving about `cuts` power-cut images on the way."""
    folder.mkdir(parents=True, exist_ok=True)
    path = (folder / "power.db").resolve()
    shutil.copy(template, path)
    sim = power_sim()
    watched = {str(path), f"{path}-wal"}
    acked: list[list[str]] = []
    images: list[tuple[Path, str, int]] = []
    run = f"p{rng.randrange(10**9)}"

    def on_io(file: str, _kind: str) -> None:
        if file in watched and len(images) < cuts and rng.random() < cuts / (ops * 12):
            model = rng.choice(MODELS)
            image = folder / f"cut{len(images)}" / "power.db"
            image.parent.mkdir()
            sim.power_cut_image(str(path), image, rng, model)
            sim.power_cut_image(f"{path}-wal", Path(f"{image}-wal"), rng, model)
            images.append((image, model, len(acked)))

    store = _store_through_shim(path, level)
    sim.on_io = on_io
    try:
        for k in range(ops):
            if k % 2:
                event = ui_event(run, k)
                store.record(event)
                acked.append([event.event_id])
            else:
                batch = batch_events(run, k)
                store.record_many(batch)
                acked.append([event.event_id for event in batch])
            if k % 15 == 14:  # periodic checkpoints, so cuts also land in and after them
                with store.engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        sim.on_io = None
        store.close()
        for name in watched:
            sim.tracked.pop(name, None)
    return [_check_image(image, level, model, acked[:count]) for image, model, count in images]


def _check_image(image: Path, level: str, model: str, acked: list[list[str]]) -> PowerCut:
    report = check_log(image, [event_id for commit in acked for event_id in commit])
    cut = PowerCut(level, model, len(acked), report)
    if report.integrity_errors:
        cut.suffix_only = False
        cut.lost_commits = len(acked)
        return cut
    present = {event_id for _, event_id in logged_ids(image)}
    survived = [all(event_id in present for event_id in commit) for commit in acked]
    cut.lost_commits = survived.count(False)
    first_lost = survived.index(False) if False in survived else len(survived)
    cut.suffix_only = not any(survived[first_lost:])
    return cut
