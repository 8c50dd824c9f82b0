"""Schema migrations with Alembic: upgrade to head on start, downgrade on request."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import DatabaseError, OperationalError, ProgrammingError

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
    with engine.connect().execution_options(edgerec_write=True) as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            if connection.exec_driver_sql("SELECT current_schema()").scalar() is None:
                path = connection.exec_driver_sql("SHOW search_path").scalar()
                raise SchemaError(
                    f"no schema of the search path ({path}) exists: create it first "
                    "(CREATE SCHEMA edgerec), or check its spelling in the URL"
                )
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)
        connection.commit()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrades the schema to `revision`. A store already there ('head', 'heads' or its own id)
    is only read, so that opening it never waits on the write lock that an import or a rebuild
    may hold for a long time."""
    script = ScriptDirectory.from_config(_config(engine))
    current = _checked(engine, script)
    head = script.get_current_head()
    if current is not None and _targets(script, revision) == {current}:
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


def _targets(script: ScriptDirectory, revision: str) -> set[str]:
    """The revisions `revision` names: 'head' and 'heads' the newest, an id its own; none for
    one that names no revision, or only one relative to another ('-1'), which Alembic judges."""
    if revision.startswith(("-", "+")):
        return set()
    try:
        return {found.revision for found in script.get_revisions(revision) if found is not None}
    except CommandError:
        return set()


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
