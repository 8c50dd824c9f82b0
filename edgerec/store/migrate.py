"""Schema migrations with Alembic: upgrade to head on start, downgrade on request."""

from __future__ import annotations

import fcntl
import os
import struct
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, inspect
from sqlalchemy.exc import DatabaseError, OperationalError, ProgrammingError

from edgerec.store.engine import sqlite_path

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class SchemaError(RuntimeError):
    """The database is not an edgerec store this version can open."""


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


# PostgreSQL's lock for migrations: processes opening a new database at once (two kiosks, a
# console and its trainer) migrate it one after the other. SQLite's write lock does the same.
_MIGRATION_LOCK = 0x6564676572656300  # "edgerec" in ASCII


def _run(engine: Engine, action: str, revision: str) -> None:
    config = _config(engine)
    if engine.dialect.name == "postgresql":
        engine.dispose()  # this process's idle sessions (the revision read): not others' to stop
    with engine.connect().execution_options(edgerec_write=True) as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            if connection.exec_driver_sql("SELECT current_schema()").scalar() is None:
                path = connection.exec_driver_sql("SHOW search_path").scalar()
                raise SchemaError(
                    f"no schema of the search path ({path}) exists: create it first "
                    "(CREATE SCHEMA edgerec), or check its spelling in the URL"
                )
        current = MigrationContext.configure(connection).get_current_revision()
        # A new database has no schema to write in, and one another process has just brought
        # to head (processes opening a store at once take their turns) is not changed.
        done = action == "upgrade" and revision == "head" and current == _head(config)
        if current is not None and not done:
            _refuse_others(engine, connection)
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)
        connection.commit()


def _refuse_others(engine: Engine, connection: Connection) -> None:
    """Refuses to change the schema while another process has the store open: an edgerec of any
    version (a kiosk, the console, its trainer, an import) goes on writing rows in the way of
    the schema it opened, which then differ from what a rebuild gives, without a word."""
    if engine.dialect.name == "postgresql":
        others = connection.exec_driver_sql(
            "SELECT pid, coalesce(nullif(application_name, ''), 'a program'), client_addr"
            " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend' ORDER BY backend_start"
        ).all()
        if not others:
            return
        pid, name, address = others[0]
        where = f" on {address}" if address is not None else ""  # a socket's, or hidden from this login
        holder = f"{len(others)} other session(s) of the database, the first of {name}{where}, pid {pid}"
    else:
        path = sqlite_path(engine.url.render_as_string(hide_password=False))
        pid = None if path is None else _sqlite_reader(path)
        if pid is None:
            return
        holder = f"process {pid}{_command_line(pid)}"
    raise SchemaError(
        f"another program has the store open ({holder}): stop every kiosk, console, trainer and "
        f"import that uses it, of any edgerec version, then try again (one left running would go "
        "on writing rows in the way of the schema it opened)"
    )


# SQLite's shared lock of a database file (unix VFS: SHARED_FIRST, SHARED_SIZE): in WAL mode
# every connection of every process that has read the file holds it while it is open.
_SHARED_FIRST, _SHARED_SIZE = 0x40000002, 510


def _sqlite_reader(path: Path) -> int | None:
    """The id of another process that has the SQLite file open (this process's own locks are
    not seen), or None."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # not there yet: no one has it open
        return None
    try:
        asked = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, _SHARED_FIRST, _SHARED_SIZE, 0)
        kind, _, _, _, pid = struct.unpack("hhqqi", fcntl.fcntl(fd, fcntl.F_GETLK, asked))
    finally:
        os.close(fd)
    return None if kind == fcntl.F_UNLCK else pid


def _command_line(pid: int) -> str:
    """`: its command line` where it can be read (Linux), for the user to find it."""
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return ""
    said = " ".join(word.decode(errors="replace") for word in words if word)
    return f": {said[:120]}" if said else ""


def _head(config: Config) -> str | None:
    return ScriptDirectory.from_config(config).get_current_head()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrades the schema to `revision`. A store already at head is only read, so that opening
    it never waits on the write lock that an import or a rebuild may hold for a long time."""
    script = ScriptDirectory.from_config(_config(engine))
    current = _checked(engine, script)
    head = script.get_current_head()
    if revision == "head" and current == head:
        return
    try:
        _run(engine, "upgrade", revision)
    except DatabaseError as exc:
        if current is None or not _read_only(exc):
            raise
        # A backup kept read-only, written by an older edgerec: "attempt to write a readonly
        # database" said nothing of why opening it writes. (It is not read as it is: this
        # edgerec's queries expect the newer tables.)
        raise SchemaError(
            f"its schema (revision {current}) is older than this edgerec's ({head}) and must be "
            "upgraded, which writes to it, but it is read-only: upgrade a copy of it, or make it "
            "writable (chmod u+w)"
        ) from exc


def _read_only(error: DatabaseError) -> bool:
    """Whether the database refused a write because the file, or the login, may only read."""
    driver = error.orig
    if getattr(driver, "sqlstate", None) in ("42501", "25006"):  # no privilege; a read-only server
        return True
    return str(getattr(driver, "sqlite_errorname", "")).startswith("SQLITE_READONLY")


def downgrade(engine: Engine, revision: str) -> None:
    """Downgrades the schema to `revision`; like `upgrade`, only that of an edgerec store."""
    checked_revision(engine)
    _run(engine, "downgrade", revision)


def checked_revision(engine: Engine) -> str | None:
    """The schema revision of an edgerec store this version knows (None: a new database); a
    database that is something else is a SchemaError, and is left as it was."""
    return _checked(engine, ScriptDirectory.from_config(_config(engine)))


def _checked(engine: Engine, script: ScriptDirectory) -> str | None:
    try:
        current, head = current_revision(engine), script.get_current_head()
    except DatabaseError as exc:
        if "not a database" not in str(exc):
            raise
        raise SchemaError(
            "it is not a database (a file of something else?): give a new file or a store"
        ) from exc
    if current is None and _tables(engine):
        # Tables but no revision: another application's database, or a store that another
        # process (a kiosk started with the console) created since the revision was read: the
        # commit that made its tables made its revision too.
        current = current_revision(engine)
        if current is None:
            _refuse_foreign(engine)
    if head is None:  # no migration could be read: out of file descriptors, or a damaged install
        raise SchemaError(
            f"edgerec's own migrations could not be read from {script.dir} (too many files open, "
            "or a damaged install?)"
        )
    if current is not None and not _known(script, current):
        raise SchemaError(
            f"its schema (revision {current}) was written by a newer edgerec than this one "
            f"(newest revision here: {head}); open it with that version"
        )
    return current


def _tables(engine: Engine) -> list[str]:
    return sorted(set(inspect(engine).get_table_names()) - {"alembic_version"})


def _refuse_foreign(engine: Engine) -> None:
    """A database with tables but no edgerec schema belongs to something else: edgerec does
    not add its tables to it."""
    tables = _tables(engine)
    if tables:
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        joined = "&" if engine.url.query else "?"  # the URL's query goes on, or starts here
        own = (
            f"an empty database, or a schema of its own (add {joined}options=-csearch_path%3Dedgerec to "
            "the URL after CREATE SCHEMA edgerec)"
            if engine.dialect.name == "postgresql"
            else "a new file or an empty database"
        )
        raise SchemaError(
            f"it holds tables that are not edgerec's ({shown}); edgerec keeps its store in a "
            f"database of its own: give {own}"
        )


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        script.get_revision(revision)
    except CommandError:  # Alembic's "Can't locate revision"
        return False
    return True


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_changed(error: BaseException) -> bool:
    """Whether `error` is the database saying that a table or column this edgerec uses is not
    there: the schema was changed under a program that had the store open (`edgerec db
    downgrade`). Nothing else is: a locked or full database says other words."""
    if not isinstance(error, OperationalError | ProgrammingError):
        return False
    driver = error.orig
    if getattr(driver, "sqlstate", None) in ("42P01", "42703"):  # undefined table, undefined column
        return True
    said = str(driver)
    return said.startswith(("no such table:", "no such column:")) or " has no column named " in said


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(_config(engine)).get_current_head()
