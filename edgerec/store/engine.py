"""Engine set-up: URLs, file permissions, SQLite PRAGMAs, and write transactions.

This is the only place that knows which database it talks to; everything else is portable
SQLAlchemy Core.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

# FULL: a commit is on disk when `record` returns, so a power cut loses nothing acknowledged.
# NORMAL would be faster but can lose the last few commits on a power cut (never on a crash).
DEFAULT_SYNCHRONOUS = "FULL"
BUSY_TIMEOUT_MS = 30_000
ENV_DB = "EDGEREC_DB"


def default_database() -> str:
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("edgerec", appauthor=False)) / "edgerec.db")


def database_url(path_or_url: str | os.PathLike[str] | None) -> str:
    """Turns a file path or a SQLAlchemy URL into a URL; None means $EDGEREC_DB or the default."""
    target = os.fspath(path_or_url) if path_or_url is not None else None
    target = target or os.environ.get(ENV_DB) or default_database()
    if "://" in target:
        return target
    return f"sqlite:///{Path(target).expanduser().resolve()}"


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def prepare_private_file(path: Path) -> None:
    """Creates the directory (0700) and the database file (0600) before SQLite opens it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)  # also tightens a file that an older version left readable


def make_engine(url: str, *, synchronous: str = DEFAULT_SYNCHRONOUS) -> Engine:
    path = sqlite_path(url)
    if path is None:
        return create_engine(url, pool_pre_ping=True)
    prepare_private_file(path)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    _configure_sqlite(engine, synchronous.upper())
    return engine


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    if synchronous not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise ValueError(f"synchronous must be OFF, NORMAL, FULL or EXTRA, not {synchronous!r}")

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event decide how transactions start (see on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        # Writers take the write lock up front, so two writers queue on the busy timeout
        # instead of failing with "database is locked" when a read turns into a write.
        immediate = connection.get_execution_options().get("edgerec_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One atomic write: the log append and every projection it feeds commit together."""
    with engine.connect().execution_options(edgerec_write=True) as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            # Positions are handed out under this lock, so they commit in order.
            connection.exec_driver_sql("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")
        yield connection
