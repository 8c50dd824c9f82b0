"""The WAL is copied into the database by a background checkpointer, not by a caller's commit."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edgerec.api import Store
from edgerec.domain import ItemViewed
from edgerec.store.engine import WAL_AUTOCHECKPOINT_PAGES, _Checkpointer

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def checkpointer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "edgerec-checkpointer"]


def record_views(store: Store, count: int) -> None:
    for i in range(count):
        store.record(
            ItemViewed(occurred_at=T0 + timedelta(seconds=i), user_id=f"u{i % 7}", item_id=f"i{i % 50}")
        )


def test_single_event_writes_keep_the_wal_small(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with Store(path) as store:
        record_views(store, 400)
        wal_bytes = path.with_name("store.db-wal").stat().st_size
        with store.engine.connect() as connection:
            page = connection.exec_driver_sql("PRAGMA page_size").scalar_one()
    # 400 back-to-back records write thousands of pages; SQLite alone would only checkpoint at
    # WAL_AUTOCHECKPOINT_PAGES, so a small WAL means the checkpointer copied it and the
    # writers restarted it from the beginning.
    frames = wal_bytes // (page + 24)
    assert frames < 2 * _Checkpointer.RESTART_FRAMES < WAL_AUTOCHECKPOINT_PAGES


def test_close_stops_the_checkpointer_and_a_reopened_store_starts_it_again(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with Store(path) as store:
        record_views(store, 3)
        assert checkpointer_threads()
    assert not checkpointer_threads()
    with Store(path) as store:
        record_views(store, 3)
        assert checkpointer_threads()
        assert len(store.read()) == 6
    assert not checkpointer_threads()


def test_a_second_store_on_the_same_file_leaves_the_first_ones_wal_in_place(tmp_path: Path) -> None:
    # Closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
    # too: a second open that read the file by hand left the first store unlocked, and the next
    # process to close the database took it for the last one and deleted the -wal in use.
    path = tmp_path / "store.db"
    with Store(path) as first:
        record_views(first, 5)
        Store(path).close()
        other = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('SELECT 1 FROM events')"
        subprocess.run([sys.executable, "-c", other, str(path)], check=True)
        assert path.with_name("store.db-wal").exists()
        record_views(first, 5)
        assert first.stats()["events"] == 10
    with Store(path) as reopened:
        assert reopened.stats()["events"] == 10
