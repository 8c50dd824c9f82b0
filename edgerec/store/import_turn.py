"""One import at a time into a store, across processes and machines.

Two imports of one file at once each took over the other's quarantine rows, and each, once read
to its end, deleted the rows that were not its own: the store kept none of the file's refused
rows, while both reports counted them. Imports take turns instead: on SQLite a lock file beside
the database, on PostgreSQL a session-level advisory lock. Either goes with its process however
it ends, so an import that was killed holds up no other.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

from edgerec.store.engine import IMPORT_LOCK, open_lock_file, sqlite_path
from edgerec.store.flock import lock_when_free

Waiting = Callable[[], None]
_POLL_S = 0.2  # how often a waiting import tries again (and calls `waiting`)
# The advisory lock's key on PostgreSQL: any fixed 64-bit number that no other lock of the
# database's applications takes ("edgerec import" in ASCII, cut to 63 bits).
_ADVISORY_KEY = int.from_bytes(b"edgerec import"[:8], "big") & (2**63 - 1)
# A store in memory has one process: its imports take turns on a lock of their own.
_IN_MEMORY: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


@contextmanager
def import_turn(engine: Engine, waiting: Waiting | None = None) -> Iterator[None]:
    """Holds the store's import turn while the block runs. While another import holds it,
    `waiting` is called every fraction of a second (to say so, or to raise and give up)."""
    path = sqlite_path(str(engine.url))
    if path is not None:
        with _file_lock(str(path) + IMPORT_LOCK, waiting):
            yield
    elif engine.dialect.name == "postgresql":
        with _advisory_lock(engine, waiting):
            yield
    else:
        lock = _IN_MEMORY.setdefault(engine, threading.Lock())
        while not lock.acquire(timeout=_POLL_S):
            _call(waiting)
        try:
            yield
        finally:
            lock.release()


@contextmanager
def _file_lock(path: str, waiting: Waiting | None) -> Iterator[None]:
    fd = open_lock_file(path, "import")
    try:
        lock_when_free(fd, lambda: _call(waiting), _POLL_S)
        yield
    finally:
        os.close(fd)  # lets the lock go


@contextmanager
def _advisory_lock(engine: Engine, waiting: Waiting | None) -> Iterator[None]:
    connection = engine.connect()
    try:
        while not connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _ADVISORY_KEY}).scalar():
            connection.rollback()
            _call(waiting)
            time.sleep(_POLL_S)
        connection.commit()  # the lock is the session's: no transaction is left open meanwhile
        yield
    finally:
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_KEY})
            connection.commit()
        except Exception:  # noqa: BLE001 - the server gone: its session, and the lock, are too
            connection.invalidate()  # closed, not pooled: a pooled one would keep the lock
        finally:
            connection.close()


def _call(waiting: Waiting | None) -> None:
    if waiting is not None:
        waiting()
