"""The `edgerec` command: the console by default, and subcommands for the store and its data."""

from __future__ import annotations

import codecs
import contextlib
import errno
import functools
import io
import json
import math
import os
import re
import shlex
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy import Engine, make_url

# Serving does one small matrix-vector product per request: BLAS threads only add latency and
# fight the trainer for the cores, so the command uses one unless the user says otherwise.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from edgerec.api import Store  # noqa: E402
from edgerec.domain import Context, EventError, EventType  # noqa: E402
from edgerec.domain.events import EARLIEST, latest_allowed, text_flaw  # noqa: E402
from edgerec.domain.printable import printable  # noqa: E402
from edgerec.store import migrate  # noqa: E402
from edgerec.store.codec import StoredEvent, from_micros, to_micros  # noqa: E402
from edgerec.store.engine import (  # noqa: E402
    BUSY_TIMEOUT_MS,
    ENV_DB,
    StoreWriteError,
    close_engine,
    damage_said,
    database_files,
    database_url,
    folder_ending,
    foreign_wal,
    make_engine,
    name_writes,
    not_a_file,
    on_read_only_mount,
    on_writer_wait,
    shown_url,
    sqlite_path,
)

if TYPE_CHECKING:
    from edgerec.privacy import Receipt
    from edgerec.recommend import Recommender
    from edgerec.recommend.request import Evidence
    from edgerec.recommend.rules import RuleSet


_UNNOTED = object()  # Settings' -wal before the store is first asked for
# `eval` under this many test cases says its figures cannot tell models apart.
FEW_TEST_CASES = 100


class Settings:
    """Where the store is. --db (or $EDGEREC_DB) is read when a command first needs it, so
    that `--help` and the commands that open no store work whatever it holds."""

    def __init__(self, db: str | None) -> None:
        self._db = db
        # The -wal that lay beside the store file before the command opened it (its inode, size
        # and time; None for none), noted then: one the command's own connection made is no
        # sign of another copy's log. _UNNOTED until the store is first asked for.
        self._wal_seen: tuple[int, int, int] | None | object = _UNNOTED

    @functools.cached_property
    def url(self) -> str:
        """--db as a URL; an empty one is refused, never taken for the default store, and so is
        one of a store in memory (`sqlite:///$SHOP_DB` with SHOP_DB unset): a command's work
        there went with it, after reporting it done."""
        try:
            url = database_url(self._db)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--db") from exc
        if sqlite_path(url) is None and make_url(url).get_backend_name() == "sqlite":
            raise click.BadParameter(
                "an in-memory store keeps nothing, and this names one (:memory:, a SQLite URL with "
                "no file after sqlite:///, or mode=memory): give the store file's path "
                "(sqlite:///shop.db, say)",
                param_hint="--db",
            )
        return url

    def _refuse_missing(self, create: bool) -> None:
        """A store file that is not there is made only by the commands that fill one: a
        mistyped --db must not read (or export) a new empty store as if it were the shop's.
        Called before anything opens the store: whether a -wal is there is noted here."""
        path = sqlite_path(self.url)
        self._note_wal()
        refused = None if path is None else not_a_file(path)
        if refused:  # before anything opens it (a FIFO blocked) or changes its mode (/dev/null)
            raise click.BadParameter(refused, param_hint="--db")
        foreign = None if path is None else foreign_wal(path)
        if foreign:  # before SQLite reads it into the store file
            raise click.ClickException(foreign)
        if path is None:
            return
        if create:  # a few blank bytes are a new store, as no bytes are (SQLite reads no database)
            if path.exists() and _empty_file(path) and path.stat().st_size > 0:
                os.truncate(path, 0)  # put back should the command be refused (see its undo)
            return
        # An empty file (what `touch`, or a copy cut short by a full disk, leaves) is no store
        # either: read, it was made an empty one and exported as the shop's "0 events".
        empty = path.exists() and _empty_file(path)
        if not path.exists() or empty:
            blank = empty and path.stat().st_size > 0  # a newline, or a few zeros
            why = " (the file is blank)" if blank else " (the file is empty)" if empty else ""
            raise click.BadParameter(
                f"no store at {path}{why}: check the path "
                "(`edgerec tui`, `kiosk`, `demo`, `import`, `rules set` and `db upgrade` make a new store)",
                param_hint="--db",
            )

    def _note_wal(self) -> None:
        """Notes the -wal beside the store file the first time the command is to read the file:
        SQLite leaves one beside a store in WAL mode that it opened, even only to read."""
        if self._wal_seen is _UNNOTED:
            path = sqlite_path(self.url)
            self._wal_seen = None if path is None else _identity(path.with_name(path.name + "-wal"))

    @contextlib.contextmanager
    def schema(self, *, create: bool = False) -> Iterator[Engine]:
        """The database's engine, for the schema commands (nothing is upgraded); a file or
        server that cannot be used is a one-line error."""
        from sqlalchemy.exc import SQLAlchemyError

        undo = self._undoing_the_new_store() if create else None
        self._refuse_missing(create)
        engine = None
        try:
            engine = make_engine(self.url)
            yield engine
        except BaseException as exc:
            # A store file this made and left empty (`db upgrade` to a revision that is not
            # there) is removed: later commands read it as a store.
            if undo is not None and (engine is None or _holds_nothing(engine)):
                if engine is not None:
                    close_engine(engine)  # its connections first
                undo()
            unusable = isinstance(
                exc, (OSError, SQLAlchemyError, ImportError, MemoryError)
            )  # a driver not installed
            if unusable and not isinstance(exc, _OutputError):  # said as any command's output that fails
                raise click.ClickException(
                    f"cannot use the database at {shown_url(self.url)}: {_why(exc)}{self._folder_hint()}"
                ) from exc
            raise
        finally:
            if engine is not None:
                close_engine(engine)

    def _undoing_the_new_store(self) -> Callable[[], None] | None:
        """What removes the store file that opening makes, with its side files and the folders
        made for it (its model folder, those above it), or empties again an empty file that is
        there; in a database that had no tables (a server's, a SQLite file another program made),
        what drops the tables made in it. None where a store is there already."""
        path = sqlite_path(self.url)
        self._note_wal()  # before the file is read to see whether it has tables
        if path is None or (path.exists() and not _empty_file(path)):
            return functools.partial(_drop_made_tables, self.url) if self._database_is_empty() else None
        if path.exists():  # empty, or a few blank bytes: put back as they were (a FIFO: refused)
            return functools.partial(_empty_again, self.url, path.read_bytes() if path.is_file() else b"")
        models = path.with_name(path.name + ".models")
        made = [path, *([] if models.exists() else [models]), *(p for p in path.parents if not p.exists())]
        return functools.partial(_remove_made, self.url, made)

    def open(self, *, create: bool = False) -> Store:
        """The store, brought up to date; a SQLite file that is not there yet, or a database
        without tables, is made a store only with `create`."""
        self._refuse_missing(create)
        try:
            if not create:
                self._refuse_empty_database()
            return Store(self.url)
        except click.ClickException:
            raise
        except Exception as exc:  # an unreadable file, a bad URL, a newer schema...
            damaged = self.damage_said(exc)
            if damaged is not None:
                raise click.ClickException(damaged) from exc
            raise click.ClickException(
                f"cannot open the store at {shown_url(self.url)}: {_why(exc)}{self._folder_hint()}"
            ) from exc

    def damage_said(self, error: BaseException) -> str | None:
        """`damage_said` for this store, where the error is SQLite's of a damaged file; None for
        any other error (--db is not read for them)."""
        if damage_said(error, None) is None:
            return None
        path = sqlite_path(self.url)
        seen = self._wal_seen
        wal = None if path is None else _identity(path.with_name(path.name + "-wal"))
        read = seen not in (None, _UNNOTED) and wal != seen
        return damage_said(error, path, wal_was_there=seen is not None, wal_read=read)

    def _folder_hint(self) -> str:
        """Why a writable store file reads as read-only: its folder is not writable."""
        path = sqlite_path(self.url)
        if path is None or not path.exists() or os.access(path.parent, os.W_OK):
            return ""
        if on_read_only_mount(path.parent):
            return (
                " (its file system is mounted read-only: SQLite keeps the store's -wal and -shm files"
                " beside it, which it cannot make there; mount it read-write, or copy the store to a"
                " writable folder to read it)"
            )
        return (
            f" (its folder {path.parent} is not writable: SQLite keeps the store's -wal and -shm "
            "files beside it, so the folder must be writable too, even to read)"
        )

    @contextlib.contextmanager
    def open_to_fill(self) -> Iterator[Store]:
        """open(create=True) for a command that fills the store. A store file that this made, and
        that still holds nothing when the command fails (an import refused before it wrote a
        row, a disk too full to make the store), is removed again with its side files and the
        folders made for it: left there, it made the next command on a mistyped --db read an
        empty store instead of refusing."""
        undo = self._undoing_the_new_store()
        try:
            store = self.open(create=True)
        except BaseException:  # a full disk while making the store: half a store is none
            if undo is not None:
                undo()
            raise
        unused = False
        try:
            with store:
                try:
                    yield store
                except BaseException:
                    unused = undo is not None and _holds_nothing(store.engine)
                    raise
        finally:
            if undo is not None and unused:
                undo()

    def _database_is_empty(self) -> bool:
        """Whether the database has no tables, or none but the empty schema revision's that `db
        downgrade base` leaves (False where it cannot be reached: opening it says why). A SQLite
        file is read as it is (`_sqlite_has_no_tables`): making its engine would set its mode
        and journal."""
        path = sqlite_path(self.url)
        if path is not None:
            return _sqlite_has_no_tables(path)
        try:
            engine = make_engine(self.url)
        except Exception:  # noqa: BLE001 - a driver not installed, a bad URL: opening says why
            return False
        try:
            return _has_no_tables(engine)
        except Exception:  # noqa: BLE001 - the server down: opening says why
            return False
        finally:
            close_engine(engine)

    def _refuse_empty_database(self) -> None:
        """A mistyped --db that names an empty database (the server's own `postgres`, another
        program's new SQLite file) must not be read, or exported, as the shop's store: it was
        made one, silently."""
        if not self._database_is_empty():
            return  # edgerec's tables, or another application's, which the store refuses by name
        path = sqlite_path(self.url)
        where = (
            f"at {path} (the database has no tables): check the path"
            if path
            else (f"in the database at {shown_url(self.url)}: it has no tables; check the URL")
        )
        raise click.BadParameter(
            f"no store {where} "
            "(`edgerec tui`, `kiosk`, `demo`, `import`, `rules set` and `db upgrade` make a new store)",
            param_hint="--db",
        )


# SQLite's header: a file shorter than it holds no database (one of a byte reads as an empty one).
_SQLITE_HEADER = 100


def _empty_file(path: Path) -> bool:
    """A store file of no bytes, or of fewer than SQLite's header that are all blank (`echo >
    shop.db` leaves a newline, a copy cut short may leave a few zeros), with no write-ahead log
    that holds its pages either."""
    wal = path.with_name(path.name + "-wal")
    try:
        size = path.stat().st_size
        if wal.exists() and wal.stat().st_size > 0:
            return False
        if size == 0:
            return True
        return size < _SQLITE_HEADER and not path.read_bytes().strip(b" \t\r\n\f\v\0")
    except OSError:  # not reachable: opening it says why
        return False


def _has_no_tables(engine: Engine) -> bool:
    """Whether the database has no tables, or none but the empty schema revision's."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        names = set(inspect(connection).get_table_names())
        if names == {"alembic_version"}:
            return connection.execute(text("SELECT 1 FROM alembic_version")).first() is None
        return not names


def _sqlite_has_no_tables(path: Path) -> bool:
    """`_has_no_tables` for a SQLite file, read only; where that cannot be (a hot journal that
    another program's crash left, which only a connection that may write rolls back), read as
    any SQLite reader does. False where it cannot be read (opening says why), but a file that
    another program holds locked longer than the store waits is refused: taken for a store, it
    was made one once the lock went. A -wal and -shm that the read made (of a file in WAL mode)
    are removed again."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    if foreign_wal(path):  # refused before SQLite reads it into the file (`_refuse_missing`)
        return False
    sides = [path.with_name(path.name + end) for end in ("-wal", "-shm")]
    none_there = not any(side.exists() for side in sides)
    try:
        for read_only in (True, False):
            engine = create_engine(
                "sqlite://", creator=functools.partial(_connected, path, read_only=read_only)
            )
            try:
                return _has_no_tables(engine)
            except OperationalError as exc:
                if getattr(exc.orig, "sqlite_errorname", "").startswith("SQLITE_BUSY"):
                    raise click.ClickException(
                        f"the database at {path} is locked by another program, which held it for"
                        f" {BUSY_TIMEOUT_MS / 1000:g} s: nothing was read or changed; try again once it"
                        " is done with the file, or check the path"
                    ) from exc
            except Exception:  # noqa: BLE001 - a file SQLite cannot read: opening says why
                return False
            finally:
                close_engine(engine)
        return False
    finally:
        if none_there and any(side.exists() for side in sides):
            _remove_side_files(path)


def _remove_side_files(path: Path) -> None:
    """Removes the -wal and -shm that reading the SQLite file made beside it: a connection that
    may write removes them as it closes, where it is the file's last (not where another program
    has the file open and uses them); a read-only one cannot."""
    with (
        contextlib.suppress(sqlite3.Error),
        contextlib.closing(_connected(path, read_only=False)) as connection,
    ):
        connection.execute("SELECT 1 FROM sqlite_master").fetchall()


def _connected(path: Path, *, read_only: bool) -> sqlite3.Connection:
    """A connection to the SQLite file that waits for a lock as the store does; `read_only`:
    one that writes nothing to it."""
    where = f"{path.resolve().as_uri()}?mode=ro" if read_only else path.resolve().as_uri()
    return sqlite3.connect(where, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)


def _identity(path: Path) -> tuple[int, int, int] | None:
    """A file's inode, size and modification time; None where it is not there."""
    try:
        found = path.stat()
    except OSError:
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns)


def _holds_nothing(engine: Engine) -> bool:
    """Whether the store holds no row in any table but its schema revision's."""
    from sqlalchemy import exists, inspect, select

    from edgerec.store.schema import metadata

    try:
        with engine.connect() as connection:
            names = set(inspect(connection).get_table_names())
            tables = [t for t in metadata.sorted_tables if t.name in names]
            return not any(connection.execute(select(exists().select_from(t))).scalar() for t in tables)
    except Exception:  # noqa: BLE001 - a store that cannot be read is left as it is
        return False


def _remove_made(url: str, made: list[Path]) -> None:
    """Removes a store file that a command made, with its side files; then the folders made
    with it (its model folder, those above it, innermost first) where nothing else is in them."""
    from edgerec.store.engine import database_files

    for file in database_files(url):
        # Not there, or never made: its "folder" is a file (--db shop.db/edgerec.db), and the
        # error that says so is the command's, not this clean-up's.
        with contextlib.suppress(OSError):
            file.unlink()
    for folder in made[1:]:
        with contextlib.suppress(OSError):  # not there, or not empty: kept
            folder.rmdir()


def _drop_made_tables(url: str) -> None:
    """Drops the store's tables, and its schema revision's, that a command made in a database
    that had none (its sequences go with them)."""
    from sqlalchemy import text

    from edgerec.store.schema import metadata

    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        close_engine(engine)


def _empty_again(url: str, content: bytes = b"") -> None:
    """Empties again a store file that was there empty (or blank: its `content`) when a command
    made it a store, and removes its side files."""
    from edgerec.store.engine import database_files

    store, *side_files = database_files(url)
    for file in side_files:
        with contextlib.suppress(FileNotFoundError):
            file.unlink()
    with contextlib.suppress(OSError), open(store, "r+b") as file:
        file.write(content)
        file.truncate()


_KEPT = (
    "The chunks written before it are kept; run the same command again to {} the rest (what "
    "is in the store already is not added twice)."
)
_IMPORT_KEPT = _KEPT.format("import")
_IMPORT_NOTHING_KEPT = (
    "It was stopped before its first chunk was written: nothing was imported; run the same "
    "command again to import the file."
)


@contextlib.contextmanager
def _chunks_kept(store: Store, verb: str) -> Iterator[None]:
    """A write refused part way (a full disk) after earlier chunks committed: the error says
    they are kept and how to add the rest, where it said only that nothing of that write was."""
    head = store.head()
    try:
        yield
    except StoreWriteError as exc:
        if store.head() == head:
            raise
        raise click.ClickException(f"{exc} {_KEPT.format(verb)}") from exc


def _once(say: Callable[..., None]) -> Callable[..., None]:
    """`say`, called the first time only: a wait is said once, however often it is noticed."""
    told = False

    def once(*args: Any) -> None:
        nonlocal told
        if not told:
            told = True
            say(*args)

    return once


def _saying(line: str) -> Callable[[], None]:
    """What writes `line` to standard error."""
    return functools.partial(click.echo, line, err=True)


def _say_rebuild_waits(store: Store) -> None:
    """Has the store's writes that wait for a rebuild of it (a minute per million events) say
    so, once, where they stood still without a word."""

    def say(pid: str, doing: str) -> None:
        click.echo(f"Waiting for {doing} (process {pid}) of this store to finish...", err=True)

    on_writer_wait(store.engine, _once(say))


def _echo(line: str, *, err: bool = False) -> None:
    """Prints a line that holds text from the store, an imported file or a rules file (a title,
    a refused row, an item id): its control characters are written as escapes (\\u001b), so that
    what a file holds cannot clear, colour or retitle the operator's terminal. A JSON line stays
    the same JSON: its strings read back as they were."""
    click.echo(printable(line), err=err)


def _say_unreachable(exc: BaseException) -> None:
    """What a following command (events tail, train --follow) says while the server is down."""
    click.echo(f"cannot reach the database ({_why(exc)}); trying again", err=True)


def _say_unmoved(store: Store) -> None:
    """Says, where an older edgerec left a tuned blend or model in the folder every database server
    store shared, that it is not used for this store and how to move it (the files may be
    another store's, so they are not moved without a word)."""
    from edgerec.training.files import unmoved_said

    said = unmoved_said(store.url)
    if said is not None:
        click.echo(f"Note: {said}", err=True)


def _why(exc: BaseException) -> str:
    """An error's reason on one line: a database error's own message, without SQLAlchemy's
    statement, its parameters (a whole batch of customers' rows) and "Background on this error"
    link."""
    from sqlalchemy.exc import StatementError

    reason = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    if isinstance(reason, MemoryError):  # says nothing itself
        return "out of memory while using it: close other programs, or use a machine with more memory"
    said = "; ".join(line.strip() for line in str(reason).splitlines() if line.strip())
    if isinstance(exc, ImportError):
        said += _driver_hint(exc.name or said)
    return said


def _lost_said(settings: object, exc: BaseException) -> str | None:
    """What to say of a command whose database server went away part way (a restart, a network
    cut); None for any other error. The server rolls back the transaction it was in."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    # A connection that broke is invalidated; a new one the server refused while it restarts
    # fails with no SQLSTATE (what a server says of a statement, a timeout say, always has one).
    refused = isinstance(exc, OperationalError) and getattr(exc.orig, "sqlstate", "") is None
    if not (isinstance(exc, DBAPIError) and (exc.connection_invalidated or refused)):
        return None
    where = f" at {shown_url(settings.url)}" if isinstance(settings, Settings) else ""
    return (
        f"lost the database{where} ({_why(exc)}) before the command finished: what it had committed"
        " is kept, and the write under way is rolled back by the server; run the same command"
        " again once the server can be reached"
    )


def _driver_hint(module: str) -> str:
    """The way out of a database driver that is not installed."""
    if "psycopg2" in module:
        return (
            " (edgerec talks to PostgreSQL through psycopg 3: write the URL as "
            "postgresql+psycopg://... or postgresql://...)"
        )
    if "psycopg" in module:
        return " (install the PostgreSQL driver: pip install 'edgerec[postgres]')"
    return ""


pass_settings = click.make_pass_decorator(Settings)

# Counts and log positions are stored as 64-bit integers: a larger one is refused up front.
LARGEST_INT = 2**63 - 1


class _Text(click.ParamType):
    """A string that is stored or looked up as text.

    A terminal passes on bytes that are not UTF-8 as surrogate code points, which no database
    text can hold: such a value is refused here rather than failing deep inside a query.
    """

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        flaw = text_flaw(str(value))  # the event model's rule for text
        if flaw:
            self.fail(flaw, param, ctx)
        return str(value)


TEXT = _Text()


class _StockTime(click.ParamType):
    """When a catalogue file's stock was counted: an ISO 8601 time (UTC where it names no
    offset) or `now`, in microseconds UTC; after 1990 and not later than events may be."""

    name = "ISO_TIME|now"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        from datetime import UTC, datetime

        if isinstance(value, int):
            return value
        text = str(value).strip()
        try:
            at = datetime.now(UTC) if text.lower() == "now" else datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"{value!r} is neither an ISO 8601 time (2026-11-30T18:00) nor 'now'", param, ctx)
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        if not EARLIEST < at <= latest_allowed():
            self.fail(f"{value!r} must be after {EARLIEST.date()} and not ahead of the clock", param, ctx)
        return to_micros(at)


class _FiniteRange(click.FloatRange):
    """A FloatRange that refuses nan (which passes every comparison) and the infinities."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        number: float = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value} is not a finite number", param, ctx)
        return number


def _not_blank(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """An argument or option that must name something, where given: empty or blank is refused."""
    if value is not None and not value.strip():
        raise click.BadParameter("must not be empty")
    return value


def _categories(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """Category names, each naming one: blank, or only "/" (" ", as a script's empty variable
    gives), is refused, where the request would say nothing of what it was read as."""
    from edgerec.recommend.catalogue import category_path

    for value in values:
        if not category_path(value):
            raise click.BadParameter(f"{value!r} names no category: give its name (Toys, or Toys/Lego)")
    return values


def _store_id(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """A store id that events can carry (the event model's rule), checked before anything opens."""
    if value is not None:
        try:
            Context(store_id=value)
        except EventError as exc:
            raise click.BadParameter(str(exc)) from exc
    return value


def _encoding(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    from edgerec.ingest.streams import line_encoding

    try:
        line_encoding(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    return value


def _timezone(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    from edgerec.ingest.convert import check_timezone

    try:
        return check_timezone(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _reading_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--map, --action, --timezone and --encoding: how to read a file, for `import` and `eval`."""
    options = [
        click.option(
            "--map",
            "mapping",
            multiple=True,
            type=TEXT,
            metavar="FIELD=VALUE",
            help="Column mapping for generic csv/jsonl/parquet whose columns lack common names, e.g. "
            "--map user=customer --map timestamp=ts; also default_type=purchased (no type column), "
            "timestamp_unit=ms or a layout such as %d/%m/%Y, day_first=true, time_of_day=COLUMN, "
            "undated=2004-09-01 (a file with no times), "
            "order=COLUMN and parent_line=COLUMN (an order's lines), "
            "delimiter=tab, header=false and quote=none (quotes are text); for --format catalogue: "
            "item, title, category, brand, price, stock, stock_at, description, header and quote.",
        ),
        click.option(
            "--action",
            "actions",
            multiple=True,
            type=TEXT,
            metavar="SOURCE=TYPE",
            help="Maps a value of the type column to an event type, e.g. --action click=item_viewed.",
        ),
        click.option(
            "--timezone",
            type=TEXT,
            default="UTC",
            show_default=True,
            callback=_timezone,
            help="The zone of times written without an offset: a name such as Europe/Berlin, or +02:00.",
        ),
        click.option(
            "--encoding",
            type=TEXT,
            callback=_encoding,
            help="The text encoding of a CSV, JSON lines or catalogue file, e.g. cp1252 or latin-1; "
            "default UTF-8 (UTF-16 and UTF-32 are told by their byte-order mark).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _how_to_read(
    format_: str | None,
    mapping: tuple[str, ...],
    actions: tuple[str, ...],
    timezone: str,
    encoding: str | None,
) -> dict[str, Any]:
    """`import_file`'s arguments for --format and the reading options; a mapping it would
    refuse is refused here, before any store is opened."""
    from edgerec.ingest.formats import check_mapping

    columns: dict[str, Any] = _parse_pairs(mapping, "--map")
    if actions:
        columns["actions"] = _parse_pairs(actions, "--action")
    try:
        check_mapping(format_, columns)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--map/--action") from exc
    return {"format": format_, "mapping": columns or None, "source_timezone": timezone, "encoding": encoding}


def _database(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--db as given; None where it came from $EDGEREC_DB, which `database_url` reads itself
    (so that a refusal names the variable)."""
    from click.core import ParameterSource

    return None if ctx.get_parameter_source(str(param.name)) is ParameterSource.ENVIRONMENT else value


_GIVEN = "edgerec.given"


def _quoted(message: str, given: list[str]) -> str:
    """`message` with the control characters of what it quotes from the command line escaped: a
    newline in a file's name (each part of a path, however the message writes the rest) or an
    id printed a line of its choosing; the message's own line breaks are kept."""
    parts = {part for value in given for part in (value, *value.split(os.sep)) if printable(part) != part}
    for part in sorted(parts, key=len, reverse=True):
        message = message.replace(part, printable(part))
    return message


class _Commands(click.Group):
    """The commands; a write the store's file or the model folder refuses (a full disk, a
    read-only file), a file where the model folder goes, or a store file SQLite finds damaged,
    is a one-line error in each, not a traceback. Every error's control characters (in a file's
    name, a cell it quotes) are written as escapes, as `_echo` writes them."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_GIVEN] = [*args, os.environ.get(ENV_DB, "")]  # what an error may quote
        _streams_that_cannot_fail()  # before --help or --version writes
        try:
            return super().parse_args(ctx, args)
        except _OutputError as exc:  # `edgerec --help > /dev/full`
            raise _output_failed(exc) from exc

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return self._invoke(ctx)
        except click.ClickException as exc:  # its line breaks are its own (a list of formats)
            exc.message = "\n".join(
                map(printable, _quoted(exc.message, ctx.meta.get(_GIVEN, [])).split("\n"))
            )
            raise

    def _invoke(self, ctx: click.Context) -> Any:
        from edgerec.training.files import FileWriteError, ModelFolderError

        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except (StoreWriteError, ModelFolderError, FileWriteError) as exc:
            raise click.ClickException(str(exc)) from exc
        except _OutputError as exc:  # `edgerec stats > report.txt` on a full disk
            raise _output_failed(exc) from exc
        except Exception as exc:  # a damaged store file read part way through a command
            lost = _lost_said(ctx.obj, exc)
            if lost is not None:
                raise click.ClickException(lost) from exc
            damaged = ctx.obj.damage_said(exc) if isinstance(ctx.obj, Settings) else damage_said(exc, None)
            if damaged is None:
                raise
            raise click.ClickException(damaged) from exc


def _output_failed(exc: _OutputError) -> click.ClickException:
    """The one-line error of standard output that cannot be written."""
    # What it still holds goes nowhere: flushed as Python exits, it failed again, in a traceback.
    with contextlib.suppress(OSError, ValueError):  # (a closed one has no file)
        _stdout_nowhere()
    return click.ClickException(f"cannot write standard output: {exc.strerror}")


def _stdout_nowhere() -> None:
    """Standard output from now on goes nowhere: its reader is gone (`| head` has all it
    wanted), and what Python still holds for it would fail again as it exits."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@click.group(cls=_Commands, invoke_without_command=True)
@click.option(
    "--db",
    envvar=ENV_DB,
    metavar="PATH_OR_URL",
    callback=_database,
    help=f"Database file or SQLAlchemy URL (default: ${ENV_DB}, else a file in your data directory).",
)
@click.version_option(package_name="edgerec")
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """edgerec: an offline, real-time recommender for a single shop or kiosk.

    With no subcommand, opens the console (the same as `edgerec tui`).
    """
    ctx.obj = Settings(db)
    if ctx.invoked_subcommand is None:
        ctx.invoke(tui)


def _streams_that_cannot_fail() -> None:
    """Output never fails on a character: a file name that is not UTF-8 (it reaches Python with
    surrogates in it) is printed back as the bytes it was, and text the output's encoding lacks
    (中文 on latin-1, cp1252 or ascii) as backslash escapes. A closed standard input reads as
    an empty one, so a question ends in "Aborted!" as with </dev/null, not a traceback."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors in ("strict", "surrogateescape"):
            stream.reconfigure(errors=_AS_GIVEN)
    sys.stdout = _ClosedOutput() if sys.stdout is None else _said_when_it_fails(sys.stdout)  # `>&-`
    if sys.stdin is None:  # `<&-`: input() raised "lost sys.stdin"
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - for the life of the process


class _OutputError(OSError):
    """Standard output could not be written (a full disk under `> report.txt`): said in one
    line, where any other OSError of a command is its own."""


class _Output(io.FileIO):
    """Standard output's file, whose write errors are `_OutputError`s; a broken pipe (`| head`)
    stays BrokenPipeError, which ends the command quietly, as click ends it."""

    def write(self, data: Any) -> int:
        try:
            return super().write(data)  # type: ignore[no-any-return]
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise
            raise _OutputError(exc.errno, exc.strerror) from exc


class _ClosedBytes(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, _data: Any) -> int:
        raise _OutputError(errno.EBADF, "it is closed")


class _ClosedOutput(io.TextIOBase):
    """Standard output when the shell closed it (`>&-`): what a command writes there fails as
    `_OutputError` ("it is closed"), not dropped without a word, as click dropped it; so do the
    bytes `export -` writes."""

    encoding = "utf-8"
    buffer = _ClosedBytes()

    def writable(self) -> bool:
        return True

    def write(self, text: Any) -> int:
        return self.buffer.write(text)


def _said_when_it_fails(stream: Any) -> Any:
    """Standard output as it was, written through `_Output`: the same file, encoding, errors
    and buffering (a terminal's, and a stream that is no file, as tests capture it, are kept)."""
    if not isinstance(stream, io.TextIOWrapper) or stream.isatty():
        return stream
    try:
        fileno = stream.fileno()
    except (OSError, ValueError):
        return stream
    stream.flush()
    return io.TextIOWrapper(
        io.BufferedWriter(_Output(fileno, "wb", closefd=False)),
        encoding=stream.encoding,
        errors=stream.errors,
        line_buffering=stream.line_buffering,
        write_through=stream.write_through,
    )


def _as_given_else_escaped(error: UnicodeError) -> tuple[str | bytes, int]:
    """The bytes a surrogate stood for, else a backslash escape of the characters, written as
    JSON writes them (a character beyond U+FFFF as its two \\uXXXX halves, not \\U0001F600,
    which no JSON reader takes), so that a --json line on a latin-1 terminal stays JSON."""
    try:
        return codecs.lookup_error("surrogateescape")(error)
    except UnicodeError:
        if not isinstance(error, UnicodeEncodeError):
            return codecs.backslashreplace_errors(error)
        unencodable = error.object[error.start : error.end]
        return json.dumps(unencodable)[1:-1], error.end


_AS_GIVEN = "edgerec.as_given"
codecs.register_error(_AS_GIVEN, _as_given_else_escaped)


@main.command()
@click.option("--no-demo", is_flag=True, help="Do not seed the demo shop into an empty store.")
@click.option("--no-trainer", is_flag=True, help="Do not start a trainer process with the console.")
@pass_settings
def tui(settings: Settings, no_demo: bool, no_trainer: bool) -> None:
    """Open the operator console (creates the store, and seeds the demo shop if it is empty)."""
    _refuse_without_terminal("console")
    _refuse_an_unset_clock("console")
    _prepare_console_store(settings, seed_demo=not no_demo)
    from edgerec.ui import run_console

    run_console(settings.url, train=not no_trainer)


@main.command()
@click.option(
    "--store-id",
    type=TEXT,
    callback=_store_id,
    help="The kiosk's store or location id, recorded with every event.",
)
@click.option(
    "--idle-seconds",
    type=_FiniteRange(min=0, min_open=True, max=86_400),
    default=60.0,
    show_default=True,
    help="End the session after this idle time.",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Seed the demo shop into an empty store first, as a trial (its items and events stay in the log).",
)
@pass_settings
def kiosk(settings: Settings, store_id: str | None, idle_seconds: float, demo: bool) -> None:
    """Open the customer-facing kiosk view (creates the store; it shows nothing until a
    catalogue is imported, or the demo shop seeded with --demo)."""
    _refuse_without_terminal("kiosk")
    _refuse_an_unset_clock("kiosk")
    _prepare_console_store(settings, seed_demo=demo, empty_note=_EMPTY_KIOSK)
    from edgerec.ui import run_kiosk

    run_kiosk(settings.url, store_id=store_id, idle_seconds=idle_seconds)


def _refuse_without_terminal(screen: str) -> None:
    """The screens read keys from standard input and draw on standard error (as Textual does):
    started without a terminal (a cron job, a service, a script that forgot the subcommand) they
    never ended, and wrote escape codes into a log file. A terminal that says it cannot move the
    cursor (TERM=dumb: an Emacs shell, an IDE's output pane) printed those codes as text, and a
    colour system Textual does not know ended in a traceback."""
    if not (_is_terminal(sys.stdin) and _is_terminal(sys.stderr)):
        raise click.ClickException(
            f"the {screen} needs a terminal, and standard input or error is not one: run it in a "
            "terminal, or use the other commands (`edgerec --help`)"
        )
    if os.environ.get("TERM") == "dumb":
        raise click.ClickException(
            f"the {screen} needs a terminal that can draw screens, and this one says it cannot "
            "(TERM=dumb): run it in a terminal emulator, or use the other commands (`edgerec --help`)"
        )
    from rich.console import COLOR_SYSTEMS

    colours = os.environ.get("TEXTUAL_COLOR_SYSTEM", "auto")
    if colours != "auto" and colours not in COLOR_SYSTEMS:
        known = ", ".join(["auto", *COLOR_SYSTEMS])
        raise click.ClickException(
            f"TEXTUAL_COLOR_SYSTEM={colours!r} is not a colour system the {screen} knows: "
            f"set it to one of {known}, or unset it"
        )


def _refuse_an_unset_clock(screen: str, *, then: str = "start it again") -> None:
    """A kiosk on a board whose clock reads 1970 (no real-time clock, NTP not synced yet) opened,
    and each tap told the shopper 'Not recorded: occurred_at ... is before 1990-01-01'; `demo`,
    which dates the demo shop's history back from now, ended in that error's traceback."""
    from edgerec.ui.clock import Clock, ClockNotSet

    try:
        Clock().check_set(screen, then=then)
    except ClockNotSet as exc:
        raise click.ClickException(str(exc)) from exc


def _is_terminal(stream: Any) -> bool:
    try:
        return stream is not None and bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


# Said before the kiosk opens on a store with nothing in it: the shopper-facing view must not be
# filled with the demo shop unasked (it stays in the append-only log for good).
_EMPTY_KIOSK = (
    "Empty store: the kiosk shows nothing until the shop's catalogue is imported "
    "(`edgerec --db {db} import catalogue.csv`); --demo seeds the demo shop to try it."
)


def _prepare_console_store(settings: Settings, *, seed_demo: bool, empty_note: str | None = None) -> None:
    from edgerec.recommend.engine import shop_rules_path
    from edgerec.recommend.rules import RulesFile

    with settings.open(create=True) as store:
        with _store_rules_errors():  # refused here, before the screens open on a broken file
            RulesFile(shop_rules_path(store)).load()
        if seed_demo and store.head() == 0:
            from edgerec.demo import seed_demo_store

            click.echo("Empty store: seeding the demo shop (first run only)...", err=True)
            seed_demo_store(store)
        elif empty_note and store.head() == 0:
            click.echo(
                empty_note.format(db=shlex.quote(str(store.path or shown_url(settings.url)))), err=True
            )


@main.command()
@click.option("--seed", default=7, show_default=True, help="Random seed of the demo shop.")
@click.option(
    "--yes", is_flag=True, help="Do not ask before adding the demo to a store that holds other events."
)
@pass_settings
def demo(settings: Settings, seed: int, yes: bool) -> None:
    """Record the demo shop's catalogue and browsing history into the store."""
    from edgerec.demo import DemoSize, holds_demo, seed_demo_store

    _refuse_an_unset_clock("demo", then="run it again")  # its history is dated back from now
    with settings.open(create=True) as store, _chunks_kept(store, "record"):
        if not yes and store.head() and not holds_demo(store, seed=seed):
            # The demo's ids are a shop's kind (SKU00042, C0001), and the log keeps what it adds.
            size, where = DemoSize(), store.path or shown_url(settings.url)
            click.confirm(
                f"{where} holds {store.head():,} events already, not the demo shop of seed {seed}. "
                "The demo would be added to them for good (the log is append-only): its "
                f"{size.items:,} items as SKU00000 to SKU{size.items - 1:05d}, relisting any item of "
                "the store's with one of those ids under the demo's title and price, and its "
                f"customers C0001 to C{size.customers:04d}, whose demo histories join those of the "
                "store's customers with those ids. Add the demo shop?",
                abort=True,
                err=True,  # to the terminal: standard output may go to a file
            )
        started = time.perf_counter()
        count = seed_demo_store(store, seed=seed)
    if count:
        click.echo(f"Recorded {count:,} demo events in {time.perf_counter() - started:.1f} s.")
    else:
        click.echo(f"The demo shop of seed {seed} is in the store already: 0 new events recorded.")


# --- database ------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Create, upgrade or inspect the database schema."""


def _revision(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A revision Alembic can read (it fails an internal assert on "" or "branch@")."""
    if _not_blank(ctx, param, value).endswith("@"):
        raise click.BadParameter("a revision id, head, base, or a step such as -1")
    return value


@db.command("upgrade")
@click.argument("revision", default="head", type=TEXT, callback=_revision)
@pass_settings
def db_upgrade(settings: Settings, revision: str) -> None:
    """Upgrade the schema (to the newest revision by default)."""
    with settings.schema(create=True) as engine, _revision_errors("upgrade", settings):
        migrate.upgrade(engine, revision)
        click.echo(f"{shown_url(settings.url)}: schema at {migrate.current_revision(engine)}")


@db.command("downgrade", context_settings={"ignore_unknown_options": True})  # a step such as -1
@click.argument("revision", type=TEXT, callback=_revision)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_settings
def db_downgrade(settings: Settings, revision: str, yes: bool) -> None:
    """Downgrade the schema to REVISION ("base" removes every table, the event log too)."""
    with settings.schema() as engine, _revision_errors("downgrade", settings):
        current = migrate.checked_revision(engine)  # another application's database is refused first
        if not yes:
            lost = "every table, the event log too" if revision == "base" else "what is newer than it"
            click.confirm(
                f"Downgrade the schema from {current or 'none'} to {revision}, dropping {lost} with "
                "the data in it? This cannot be undone",
                abort=True,
                err=True,  # to the terminal: standard output may go to a file
            )
        migrate.downgrade(engine, revision)
        click.echo(f"{shown_url(settings.url)}: schema at {migrate.current_revision(engine) or 'base'}")


@contextlib.contextmanager
def _revision_errors(verb: str, settings: Settings) -> Iterator[None]:
    """Alembic's refusal (an unknown revision, say), or a database that is not an edgerec
    store, as a one-line error, not a traceback; the second names the store ("its schema")."""
    from alembic.util import CommandError

    try:
        yield
    except CommandError as exc:
        raise click.ClickException(f"{exc} (`edgerec db current` shows where the schema is)") from exc
    except migrate.SchemaError as exc:
        raise click.ClickException(f"cannot {verb} the store at {shown_url(settings.url)}: {exc}") from exc


@db.command("current")
@pass_settings
def db_current(settings: Settings) -> None:
    """Show the schema revision of the database and the newest one available."""
    with settings.schema() as engine:
        current, head = migrate.current_revision(engine), migrate.head_revision(engine)
    click.echo(f"current: {current or 'none'}; head: {head}")


# --- the log -------------------------------------------------------------------------------


@main.command()
@click.argument("mode", type=click.Choice(["list", "tail"]), default="list")
@click.option("--user", "user_id", type=TEXT, callback=_not_blank, help="Only this customer's events.")
@click.option("--session", "session_id", type=TEXT, callback=_not_blank, help="Only this session's events.")
@click.option(
    "--store-id",
    type=TEXT,
    callback=_store_id,
    help="Only events recorded at this store or kiosk (its store id).",
)
@click.option(
    "--type",
    "types",
    multiple=True,
    type=click.Choice([t.value for t in EventType]),
    help="Only events of this type (repeatable).",
)
@click.option(
    "--since",
    type=click.IntRange(min=0, max=LARGEST_INT),
    help="Only events after this log position, oldest first (default: the newest events).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=LARGEST_INT),
    help="At most this many events (list; default 50), or the newest shown before what arrives "
    "(tail; default 10).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option(
    "--interval",
    type=_FiniteRange(min=0.01, max=3600),
    default=0.5,
    show_default=True,
    help="Seconds between polls (tail), at most an hour.",
)
@pass_settings
def events(
    settings: Settings,
    mode: str,
    user_id: str | None,
    session_id: str | None,
    store_id: str | None,
    types: tuple[str, ...],
    since: int | None,
    limit: int | None,
    as_json: bool,
    interval: float,
) -> None:
    """List the newest events, or tail the log as events arrive (Ctrl+C stops).

    Times are shown on the shop's clock (the recommender's `timezone`: this machine's unless
    configured); with --json, in UTC (ISO 8601, with its offset).
    """
    filters: dict[str, Any] = {
        "user_id": user_id,
        "session_id": session_id,
        "store_id": store_id,
        "types": types or None,
    }
    with settings.open() as store:
        _check_since(store, since)
        if as_json:
            show = _event_json
        else:
            from edgerec.recommend import Recommender
            from edgerec.recommend.shop_time import wall_zone

            zone = wall_zone(Recommender.config_for(store).timezone)
            show = functools.partial(_event_line, zone=zone)
        if mode == "list":
            rows = store.read(since=since or 0, limit=limit or 50, descending=since is None, **filters)
            for row in sorted(rows, key=lambda r: r.position):
                _echo(show(row))
            if not rows and not as_json:  # said on stderr: a pipe still reads no line
                filtered = since is not None or any(filters.values())
                click.echo("No events match." if filtered else "No events.", err=True)
            return
        if since is None:  # the newest events that pass the filters, then what arrives
            newest = store.read(limit=limit or 10, descending=True, **filters)
            since = newest[-1].position - 1 if newest else store.head()
        position = since
        try:
            while True:
                rows = _read_through_outages(store, position, filters, interval)
                for row in rows:
                    _echo(show(row))
                if rows:
                    position = rows[-1].position
                else:
                    time.sleep(interval)
        except KeyboardInterrupt:
            return


def _check_since(store: Store, since: int | None) -> None:
    """Refuses a --since past the log's end, which read nothing, or tailed on in silence,
    where the position was mistyped or taken from another store."""
    if not since:  # none, or the log's start
        return
    end = store.end()
    if since > end:
        raise click.BadParameter(
            f"{since:,} is past the end of the log, whose last position is {end:,}", param_hint="--since"
        )


def _read_through_outages(
    store: Store, position: int, filters: dict[str, Any], interval: float
) -> list[StoredEvent]:
    """The next events after `position`; while the database cannot be reached (a server
    restarting), says so once and keeps trying."""
    from sqlalchemy.exc import OperationalError

    lost = False
    while True:
        try:
            rows = store.read(since=position, limit=1000, **filters)
        except OperationalError as exc:
            if not lost:
                _say_unreachable(exc)
                lost = True
            time.sleep(max(interval, 1.0))
            continue
        if lost:
            click.echo("reached the database again", err=True)
        return rows


def _event_line(row: StoredEvent, zone: tzinfo | None = None) -> str:
    at = from_micros(row.occurred_at).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    parts = [f"{row.position:>8}", at, f"{row.type:<17}", row.user_id or "-", row.item_id or "-"]
    if row.session_id:
        parts.append(f"session={row.session_id}")
    if row.store_id:
        parts.append(f"store={row.store_id}")
    if row.payload:
        shown = _timed_payload(row.payload, lambda at: at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"))
        parts.append(json.dumps(shown, ensure_ascii=False, sort_keys=True))
    return "  ".join(parts)


def _event_json(row: StoredEvent) -> str:
    data = row.as_dict()
    data["occurred_at"] = from_micros(row.occurred_at).isoformat()
    if row.payload:
        data["payload"] = _timed_payload(row.payload, datetime.isoformat)
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _timed_payload(payload: dict[str, Any], shown: Callable[[datetime], str]) -> dict[str, Any]:
    """`payload` with the time a listing's stock was counted (`stock_at`, microseconds UTC)
    shown as the event's own time is."""
    at = payload.get("stock_at")
    if not isinstance(at, int) or isinstance(at, bool):
        return payload
    return {**payload, "stock_at": shown(from_micros(at))}


@main.command()
@click.option("--reason", type=TEXT, help="Only rows quarantined for this reason (e.g. invalid_price).")
@click.option("--import", "import_id", type=TEXT, help="Only rows of this import (its import_id).")
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=LARGEST_INT),
    default=20,
    show_default=True,
    help="At most this many rows.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_settings
def quarantine(
    settings: Settings, reason: str | None, import_id: str | None, limit: int, as_json: bool
) -> None:
    """The rows imports refused, newest first: where each came from, why, and its text."""
    from edgerec.readmodels import ShopData

    with settings.open() as store:
        shop = ShopData(store)
        if import_id is not None and not shop.import_known(import_id):  # '' too: no filter is none
            raise click.ClickException(
                f"no import here has the id {import_id!r}: each import's report names its import_id"
            )
        rows = shop.quarantine(reason=reason, import_id=import_id, limit=limit)
        reasons = shop.quarantine_reasons()
    if as_json:
        for row in rows:
            _echo(json.dumps(row, ensure_ascii=False, sort_keys=True))
        return
    if not rows:
        click.echo("No quarantined rows." if not reasons else "No quarantined rows match.")
    for row in reversed(rows):
        _echo(f"{row['source']}:{row['line'] or '?'}  {row['reason']}  {row['detail'] or ''}")
        _echo(f"    {row['raw'] or ''}")
    if reasons:
        _echo("In all: " + ", ".join(f"{name} {count:,}" for name, count in reasons), err=True)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_settings
def stats(settings: Settings, as_json: bool) -> None:
    """Counts of events, projections and quarantined rows."""
    with settings.open() as store:
        data = store.stats()
    if as_json:
        _echo(json.dumps(data, sort_keys=True))
        return
    _echo(f"database: {data['database']}")
    click.echo(f"events: {data['events']:,} (head position {data['head']:,})")
    for name, count in data["events_by_type"].items():
        _echo(f"  {name:<18} {count:>10,}")
    click.echo(f"quarantined rows: {data['quarantined']:,}")
    click.echo("projections:")
    for name, count in data["projections"].items():
        click.echo(f"  {name:<18} {count:>10,}")


@main.command()
@pass_settings
def rebuild(settings: Settings) -> None:
    """Drop every projection and replay the whole log into it.

    It is one transaction: a failure changes nothing, and programs recording to this store
    (the console, a kiosk) wait until it ends (about a minute per million events).
    """
    with settings.open() as store:
        name_writes(store.engine, "a rebuild")  # for the commands that wait for it to say so
        started = time.perf_counter()
        click.echo("Replaying the whole log; recording to this store waits until this ends.", err=True)
        count = store.rebuild()
        click.echo(
            f"Replayed {count:,} events into every projection in {time.perf_counter() - started:.1f} s."
        )


# --- training ------------------------------------------------------------------------------


@main.command()
@click.option("--follow", is_flag=True, help="Keep following the log as events arrive (Ctrl+C stops).")
@click.option("--retrain", is_flag=True, help="First retrain from the whole log (consolidation).")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option(
    "--until-input-ends",
    is_flag=True,
    hidden=True,
    help="Stop, as SIGTERM does, once standard input ends (the console that started it is gone).",
)
@pass_settings
def train(settings: Settings, follow: bool, retrain: bool, device: str, until_input_ends: bool) -> None:
    """Train the online model from the log, resuming from its last checkpoint.

    Ctrl+C, SIGTERM (the console's Pause) or its terminal closing ends it after the step under
    way, with a checkpoint; a second Ctrl+C quits at once, keeping the checkpoint before.
    """
    from edgerec.training import Trainer, TrainingStopped, model_dir
    from edgerec.training import follow as follow_log
    from edgerec.training.files import only_trainer
    from edgerec.training.runner import catch_up

    stop = threading.Event()
    _stop_on_signals(stop)
    if until_input_ends:
        # The console's trainer: the console holds the other end of this pipe, which the system
        # closes however the console ends (a SIGKILL, the OOM killer), and the trainer then ends
        # too, saving, where it went on following the log with no console to pause it.
        threading.Thread(target=_set_when_input_ends, args=(stop,), daemon=True).start()

    def say(line: str) -> None:
        try:
            click.echo(line)
        except _OutputError:  # `> train.log` on a full disk, `>&-`: said as any command's output
            raise
        # `edgerec train | head`: the reader has all it wanted; or its terminal is gone (EIO,
        # before the SIGHUP that follows is handled)
        except OSError:
            _stdout_nowhere()
            stop.set()  # ends as Ctrl+C does: after the step under way, saved, 'stopped'

    with settings.open() as store, contextlib.ExitStack() as held:
        _say_unmoved(store)
        try:
            held.enter_context(only_trainer(model_dir(store.url)))
            trainer = Trainer(store, device=device)
        except RuntimeError as exc:  # another trainer, CUDA asked for but absent, an unsafe checkpoint
            raise click.ClickException(str(exc)) from exc
        if trainer.discarded is not None:
            click.echo(
                f"The model in {trainer.directory} was not learnt from this log ({trainer.discarded}):"
                " removed; training from the start.",
                err=True,
            )
        say(f"device {trainer.device}; checkpoint covers position {trainer.position:,} of {store.head():,}")
        if retrain:
            try:
                count = trainer.retrain(
                    on_epoch=lambda epoch, loss: say(f"  retrain epoch {epoch + 1}: loss {loss:.4f}"),
                    stop=stop,
                )
            except TrainingStopped as exc:  # not retrained: a failure for a script that asked
                trainer.write_stopped_status()  # not 'retraining' for good: the console showed it running
                raise click.ClickException(f"{exc}; the checkpoint from before it is kept") from exc
            trainer.save()
            say(f"retrained on {count:,} interactions up to position {trainer.position:,}")

        def show(report, status) -> None:  # type: ignore[no-untyped-def]
            loss = f"{report.loss:.4f}" if report.loss is not None else "-"
            rate = f"{status['hit_rates'][-1]:.3f}" if status["hit_rates"] else "-"  # "-": not measured yet
            say(
                f"position {report.position:>10,}  behind {status['behind']:>9,}  "
                f"{status['events_per_s']:>8.0f} events/s  loss {loss}  streaming HR@10 {rate}"
            )

        if follow:
            follow_log(trainer, stop=stop, on_step=show, on_lost=_say_unreachable)  # saves when it stops
        else:
            catch_up(trainer, on_step=lambda report: show(report, trainer.status()), stop=stop)
            trainer.save()
            trainer.write_stopped_status()  # the console shows it while no trainer runs
        say(f"checkpoint and snapshot written at position {trainer.position:,} in {trainer.directory}")
        held.close()  # the store's trainer lock: a forget-user that found it held left the model to this one
        _finish_forget(store, trainer.forgets_seen, trainer.directory)


def _finish_forget(store: Store, forgets_saved: int, directory: Path) -> None:
    """Does the model's part of a forget that came in after the trainer's last step (it left the
    model to this trainer, which saved without learning it), saying so."""
    from edgerec.training.trainer import forget_left_to_trainer

    def starting() -> None:
        click.echo(
            "A customer was forgotten as this trainer ended: retraining the model without them...", err=True
        )

    model = forget_left_to_trainer(store, forgets_saved, starting)
    if model is None:
        return
    if "model_retrained_to_position" in model:
        position = model["model_retrained_to_position"]
        click.echo(f"retrained without the customers forgotten, up to position {position:,}")
    elif model.get("model_removed"):
        click.echo(
            f"removed the model's files in {directory}, which could not be retrained: the next"
            " trainer learns afresh"
        )
    elif "model_removal_failed" in model:
        raise _model_not_removed(
            directory,
            model,
            "a customer forgotten as this trainer ended",
            "`edgerec forget-user` again (whatever the id)",
        )


def _model_not_removed(
    directory: Path, model: dict[str, Any], whose: str, again: str
) -> click.ClickException:
    """The error of a forget whose model files could not be removed (a folder that cannot be changed)."""
    return click.ClickException(
        f"could not remove the model's files in {directory} ({model['model_removal_failed']}): they may"
        f" still hold {whose}; make the folder writable and run {again} to remove them"
    )


def _sigterm_as_ctrl_c() -> None:
    """SIGTERM ends the command as Ctrl+C does, through its clean-ups: a temporary copy of the
    data (which may hold real customer ids) is removed, not left in the temporary folder."""
    import signal

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _set_when_input_ends(stop: threading.Event) -> None:
    """Sets `stop` once standard input ends. Read unbuffered: a thread left blocked in
    `sys.stdin`'s reader holds its lock, and Python exiting meanwhile aborts."""
    with contextlib.suppress(OSError):
        while os.read(0, 4096):
            pass
    stop.set()


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM (the console pausing a trainer process), SIGHUP (its terminal closed: a window, an
    ssh connection lost) and a first Ctrl+C set `stop`: the work under way finishes and is saved.
    A second Ctrl+C raises KeyboardInterrupt as usual. SIGHUP ignored as it starts (`nohup`)
    stays ignored."""
    import signal

    terminals = [stream for stream in (sys.stdout, sys.stderr) if _is_terminal(stream)]

    def interrupt(*_: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        click.echo("Stopping after this step (Ctrl+C again quits at once).", err=True)

    def hang_up(*_: object) -> None:
        # Killed by it, the trainer lost what it learnt since its last checkpoint (up to 30 s).
        # Its terminal is gone, and writing there fails (EIO): its lines go nowhere instead.
        for stream in terminals:
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
        stop.set()

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, interrupt)
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
        signal.signal(signal.SIGHUP, hang_up)


@main.command()
@click.option(
    "--events",
    "max_events",
    type=click.IntRange(min=100, max=LARGEST_INT),
    default=200_000,
    show_default=True,
    help="Replay at most the newest this many customer events (at least 100).",
)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="cpu", show_default=True)
@click.option("--dry-run", is_flag=True, help="Report what tuning finds; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@pass_settings
def tune(settings: Settings, max_events: int, device: str, dry_run: bool, as_json: bool) -> None:
    """Tune the recommender's blend on this shop's own log.

    The newest customer events are replayed in time order with the trainer following: the older
    half warms up, the weights are searched on the next 30 %, and the newest 20 % check them. The
    tuned weights are saved for this store only if they do better on the check events.
    """
    from edgerec.recommend.shop_tuning import (
        Scores,
        TuningError,
        check_saving,
        save_tuning,
        tune_shop,
        why_not_saved,
    )

    _sigterm_as_ctrl_c()
    with settings.open() as store, _progress_bar("Replaying the log", quiet=as_json) as progress:
        _say_unmoved(store)
        try:
            if not dry_run:
                check_saving(store)
            result = tune_shop(store, max_events=max_events, device=device, progress=progress)
            saved = save_tuning(store, result) if result.better and not dry_run else None
            refused = why_not_saved(store) if result.better and dry_run else None
        except (TuningError, RuntimeError) as exc:  # too little data; CUDA asked for but absent
            raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps({**result.to_dict(), "saved": str(saved) if saved else None}, sort_keys=True))
        return
    click.echo(
        f"replayed {result.events:,} events (log positions {result.first_position:,}-"
        f"{result.last_position:,}) in {result.seconds:.0f} s; searched on {result.tune_requests:,} "
        f"requests, checked on {result.check_requests:,} newer ones"
    )

    # Four decimals, or as many more as tell the two apart where they differ (a rank or two among
    # thousands of requests): "did better" beside two rows of the same figures read as a mistake.
    def shown(scores: Scores, decimals: int) -> str:
        return f"{scores.hr10:>8.{decimals}f} {scores.mrr10:>8.{decimals}f}"

    decimals = next((d for d in range(4, 10) if shown(result.current, d) != shown(result.tuned, d)), 4)
    click.echo(f"{'check events':<14} {'HR@10':>8} {'MRR@10':>8}")
    for name, scores in (("current", result.current), ("tuned", result.tuned)):
        click.echo(f"{name:<14} {shown(scores, decimals)}")
    click.echo("weights: " + ", ".join(f"{k} {v:g}" for k, v in result.weights.items()))
    no_better = (
        "did the same on the check events, no better" if result.tied else "did worse on the check events"
    )
    if saved:
        click.echo(f"saved to {saved}; recommenders opened from now on use them")
    elif dry_run:  # and what a run without it would do
        verdict = (
            f"not save these weights, though they did better on the check events: {refused}"
            if refused
            else "save these weights: they did better on the check events"
            if result.better
            else f"keep the current weights: these {no_better}"
        )
        click.echo(f"dry run: nothing written; a run without --dry-run would {verdict}")
    else:
        click.echo(f"kept the current weights: the tuned ones {no_better}")


# --- evaluation ----------------------------------------------------------------------------


@main.command(name="eval")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "format_", type=TEXT, help="Format of PATH (detected when omitted).")
@_reading_options
@click.option(
    "--protocol",
    type=click.Choice(["leave-last-out", "temporal", "cold-items"]),
    default="leave-last-out",
    show_default=True,
)
@click.option("--models", type=TEXT, help="Comma-separated model names (default: every model).")
@click.option("--include-seen", is_flag=True, help="Rank items the user already interacted with too.")
@click.option("--tune", is_flag=True, help="A small hyper-parameter search on the validation split.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="cpu", show_default=True)
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="Folder for report.json and charts."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@pass_settings
def evaluate_command(
    settings: Settings,
    path: Path | None,
    format_: str | None,
    mapping: tuple[str, ...],
    actions: tuple[str, ...],
    timezone: str,
    encoding: str | None,
    protocol: str,
    models: str | None,
    include_seen: bool,
    tune: bool,
    seed: int,
    device: str,
    out: Path | None,
    as_json: bool,
) -> None:
    """Train and evaluate the models on PATH (imported into a temporary store), or on --db's log."""
    import tempfile

    from click.core import ParameterSource

    from edgerec.evaluation.defaults import check_models
    from edgerec.evaluation.frames import encode
    from edgerec.evaluation.harness import Settings as EvalSettings
    from edgerec.evaluation.harness import TooLittleData, evaluate_encoded
    from edgerec.evaluation.plots import write_charts
    from edgerec.readmodels import catalogue_frame, interaction_frame

    chosen = [name.strip() for name in models.split(",")] if models is not None else None
    # --timezone UTC, the default written out, goes unused as any other zone would
    zoned = click.get_current_context().get_parameter_source("timezone") is not ParameterSource.DEFAULT
    if path is None and (format_ is not None or mapping or actions or encoding or zoned):
        raise click.UsageError(
            "--format, --map, --action, --timezone and --encoding say how to read PATH: give PATH"
        )
    reading = _how_to_read(format_, mapping, actions, timezone, encoding)
    if out is not None:  # before the work: a report that cannot be written loses all of it
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise click.BadParameter(
                f"cannot make the folder {out}: {exc.strerror}", param_hint="--out"
            ) from exc
        try:  # a folder that is there already may not take files (another user's, read-only)
            tempfile.TemporaryFile(dir=out).close()
        except OSError as exc:
            raise click.BadParameter(
                f"cannot write into the folder {out}: {exc.strerror}", param_hint="--out"
            ) from exc
    try:
        check_models(chosen or [])
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--models") from exc
    if device == "cuda":
        from edgerec.models.base import pick_device

        try:
            pick_device(device)
        except RuntimeError as exc:  # checked before anything is imported or trained
            raise click.BadParameter(str(exc), param_hint="--device") from exc
    say = (lambda message: _echo(message, err=True)) if not as_json else (lambda _message: None)
    _sigterm_as_ctrl_c()
    why = ""  # why no interaction was imported, where rows were quarantined
    with tempfile.TemporaryDirectory(prefix="edgerec-eval-") as folder:
        if path is not None:
            from edgerec.ingest import import_file

            store = Store(Path(folder) / "eval.db", synchronous="OFF")
            try:
                report = import_file(store, path, **reading)
            except (ValueError, OSError) as exc:  # an unknown format, an unreadable file
                store.close()
                raise click.ClickException(str(exc)) from exc
            say(f"imported {report.appended:,} events ({report.quarantined:,} quarantined) from {path}")
            for note in report.notes:  # how its dates were read, where a guess
                say(note)
            dataset, source = path.stem, str(path)
            # The temporary store and its quarantine go with the folder: the reasons are said here.
            reasons = sorted(report.quarantined_by_reason.items(), key=lambda pair: -pair[1])[:3]
            if reasons:
                refused = ", ".join(f"{reason} {count:,}" for reason, count in reasons)
                why = f": rows quarantined as {refused}; check that --format names the file's format"
        else:
            store = settings.open()
            dataset = Path(store.path).stem if store.path else _database_name(settings.url)
            source = f"the store {store.path or _database_name(settings.url)}"
        with store:
            frame = interaction_frame(store)
            data, features = encode(frame, catalogue_frame(store))
    if len(data) == 0:
        raise click.ClickException(f"no customer interactions to evaluate in {source}{why}")
    if protocol == "temporal" and _times_made_up(frame):
        raise click.UsageError(
            "--protocol temporal splits on the events' times, and these are made up: S3-Rec"
            " sequences have none, so each customer's k-th item is dated day k from 2000-01-01;"
            " use --protocol leave-last-out"
        )
    try:
        outcome = evaluate_encoded(
            data,
            features,
            models=chosen,
            settings=EvalSettings(
                protocol=protocol, include_seen=include_seen, tune=tune, seed=seed, device=device
            ),
            dataset=dataset,
            log=say,
        )
    except TooLittleData as exc:
        raise click.ClickException(str(exc)) from exc
    if out is not None:
        (out / "report.json").write_text(json.dumps(outcome.report, indent=1))
        write_charts(outcome.report, outcome.curves, out)
    if as_json:
        click.echo(json.dumps(outcome.report))
        return
    _echo(f"{dataset} ({protocol}{', seen items included' if include_seen else ''})")
    header = ("HR@10", "NDCG@10", "HR@20", "NDCG@20", "MRR", "cov@10", "fit s")
    click.echo(f"{'model':<14}" + "".join(f"{name:>9}" for name in header))
    for name, m in outcome.report["models"].items():
        click.echo(
            f"{name:<14}{m['hr@10']:>9.4f}{m['ndcg@10']:>9.4f}{m['hr@20']:>9.4f}{m['ndcg@20']:>9.4f}"
            f"{m['mrr']:>9.4f}{m['coverage@10']:>9.3f}{m['fit_s']:>9.1f}"
        )
    seen, cases = outcome.report["test_targets_seen"], outcome.report["test_cases"]
    if cases < FEW_TEST_CASES:  # figures from a handful of cases are printed as confidently as any
        _echo(
            f"only {cases:,} test case{'s' if cases != 1 else ''}: one hit more or less moves HR@10 by "
            f"{1 / cases:.4f}, more than most gaps between models; a larger file tells them apart"
        )
    if seen and not include_seen:
        _echo(
            f"{seen:,} of {cases:,} test cases are items the customer had touched before: seen items"
            " being left out of the ranking, no model can hit them (--include-seen ranks them)"
        )


def _times_made_up(frame: Any) -> bool:
    """Whether every customer's first event is at the moment the S3-Rec reader dates a
    sequence's first item from: times it made up for a file that has none (real dates, even
    days without a time, do not start every customer on one day)."""
    from edgerec.ingest.datasets import S3REC_START

    firsts = frame.groupby("user_id")["occurred_at"].min()
    return len(firsts) > 0 and bool((firsts == S3REC_START).all())


# --- privacy -------------------------------------------------------------------------------


def _forget_stopped(store: Store, forgets: int, result: Receipt | None) -> str:
    """What a forget-user stopped with Ctrl+C had done, and what is left: the customer's rows go
    in one transaction, then the compaction and the model's part, which the next forget-user
    (whatever its id) finishes."""
    from edgerec.privacy import forget_generation

    if result is None:
        try:
            removed = forget_generation(store) != forgets
        except Exception:  # noqa: BLE001 - the database gone meanwhile: said as not known
            return (
                "Whether the customer's rows were removed is not known: run the same command again"
                " to finish forgetting them."
            )
        if not removed:
            return "Nothing was removed: run the same command again to forget the customer."
    elif not result.found:
        return (
            "Nothing was removed; the model's part of a forget before is not done yet: run"
            " `edgerec forget-user` again (whatever the id) to finish it."
        )
    left = (
        "the model's part is"
        if result is not None and result.database_compacted
        else "compacting the database and the model's part are"
    )
    return (
        f"The customer's rows are removed from the store, but {left} not done yet: run"
        " `edgerec forget-user` again (whatever the id) to finish."
    )


def _say_waiting(pid: str, doing: str) -> None:
    click.echo(f"Waiting for {doing} (process {pid}) to finish with this store's model...", err=True)


def _say_holding(pids: list[int]) -> None:
    from edgerec.privacy import HOLD_S

    click.echo(
        f"Waiting up to {HOLD_S:g} s for the transactions that began before this forget to end"
        f" (process {', '.join(map(str, pids))}): until then the server keeps old copies of the"
        " customer's rows...",
        err=True,
    )


@main.command("forget-user")
@click.argument("user_id", type=TEXT, callback=_not_blank)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the receipt as one JSON object.")
@pass_settings
def forget_user_command(settings: Settings, user_id: str, yes: bool, as_json: bool) -> None:
    """Remove a customer's personal data from the log, the read models and the model."""
    from edgerec.privacy import forget_generation, forget_user, model_forget_pending
    from edgerec.training.files import model_dir, shared_model_files
    from edgerec.training.trainer import forget_in_model

    if not yes:
        click.confirm(f"Forget customer {user_id!r} everywhere? This cannot be undone", abort=True, err=True)
    with settings.open() as store:
        _say_rebuild_waits(store)
        directory = model_dir(store.url)  # a file where the model folder goes is refused before anything goes
        forgets, result = forget_generation(store), None
        try:
            result = forget_user(
                store,
                user_id,
                _once(_saying("Waiting for an import, or another forget-user, on this store to finish...")),
                _once(_say_holding),
            )
            # A typo changes nothing: not even the model, which may not be retrainable, unless the
            # last forget could not remove the model's files.
            finishing = not result.found and model_forget_pending(store)
            model = forget_in_model(store, on_wait=_say_waiting) if result.found or finishing else {}
        except KeyboardInterrupt:  # (a wait for an import, for older transactions, a retrain)
            click.echo(f"\nForget stopped. {_forget_stopped(store, forgets, result)}", err=True)
            raise click.Abort() from None
        # A running trainer is left to it: this command did nothing to the model.
        finishing = finishing and "model_retrained_by_the_running_trainer" not in model
        receipt = result.to_dict() | model
        shared = shared_model_files(store.url) if result.found else []
    if shared:  # the folder every server store shared: whose model it is, edgerec cannot tell
        removing = " ".join(shlex.quote(str(path)) for path in shared)
        click.echo(
            f"Note: {shared[0].parent} holds {', '.join(path.name for path in shared)}, a model an "
            "older edgerec trained for whichever database server store it served (before each had a"
            f" folder of its own): forget-user does not reach it, and it may still hold customer "
            f"{user_id!r}. If it is this store's, remove it (rm {removing}); `edgerec train` learns"
            " the model again from the log.",
            err=True,
        )
    if as_json:
        _echo(json.dumps(receipt, sort_keys=True))
    elif result.found:
        _echo(f"Forgot customer {user_id!r}:")
        for key, value in receipt.items():
            if key not in ("user_id", "compaction_failed", "model_removal_failed"):
                _echo(f"  {key.replace('_', ' ')}: {value}")
    if "model_removal_failed" in model:
        whose = "them" if result.found else "a customer forgotten before"
        raise _model_not_removed(directory, model, whose, "the same command again")
    if finishing:
        click.echo(
            f"No customer {user_id!r} in the store any more; cleaned the model, which the last"
            " forget could not do.",
            err=as_json,
        )
        if not result.database_compacted and result.compaction_failed is None:
            return
    if result.compaction_failed is not None:
        done = "the customer's rows and model are cleaned, but " if result.found else ""
        raise click.ClickException(
            f"could not compact the database at {shown_url(settings.url)} ({result.compaction_failed}):"
            f" {done}{result.compaction_advice}"
        )
    if not result.found and result.database_compacted:
        click.echo(
            f"No customer {user_id!r} in the store any more; compacted the database, which the last"
            " forget could not do.",
            err=as_json,
        )
    elif not result.found:
        raise click.ClickException(
            f"no customer {user_id!r} in the store: no event is theirs and no refused row names them"
            " as a customer; nothing was changed (check the id with `edgerec events list --user ID`)"
        )


@main.command()
@click.option(
    "--k", type=click.IntRange(min=1, max=LARGEST_INT), default=20, show_default=True, help="How many items."
)
@click.option(
    "--epsilon",
    type=_FiniteRange(min=1e-6),  # a smaller one makes the noise's scale, and the counts, infinite
    help="Differential privacy: add Laplace noise for this epsilon.",
)
@click.option(
    "--items-per-customer",
    type=click.IntRange(min=1, max=LARGEST_INT),
    default=20,
    show_default=True,
    help="With --epsilon: each customer counts towards at most this many items.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_settings
def popular(
    settings: Settings, k: int, epsilon: float | None, items_per_customer: int, as_json: bool
) -> None:
    """The most popular items by distinct customers, optionally differentially private."""
    from click.core import ParameterSource

    from edgerec.privacy import popular_items

    given = (
        click.get_current_context().get_parameter_source("items_per_customer") is not ParameterSource.DEFAULT
    )
    if given and epsilon is None:  # the exact counts clip nothing: it was ignored, silently
        raise click.BadParameter(
            "applies only with --epsilon (exact counts clip nothing): give --epsilon too, or leave it out",
            param_hint="--items-per-customer",
        )
    with settings.open() as store:
        top = popular_items(store, k=k, epsilon=epsilon, items_per_customer=items_per_customer)
    if as_json:
        data = {"epsilon": epsilon, "items": [{"item_id": p.item_id, "customers": p.customers} for p in top]}
        _echo(json.dumps(data))
        return
    if not top:  # not "Top 0 items": say why there is nothing to rank
        click.echo("No customer has viewed, carted, bought or rated an item yet: nothing to rank.")
        return
    note = f" (differentially private, epsilon {epsilon})" if epsilon is not None else ""
    click.echo(f"Top {len(top)} items by distinct customers{note}:")
    for rank, item in enumerate(top, start=1):
        count = f"{item.customers:>10.1f}" if epsilon is not None else f"{item.customers:>10.0f}"
        _echo(f"{rank:>3}. {item.item_id:<20} {count}")


# --- recommendations -----------------------------------------------------------------------


@main.command()
@click.option(
    "--user",
    "user_id",
    required=True,
    type=TEXT,
    callback=_not_blank,
    help="Customer or anonymous visitor id.",
)
@click.option(
    "--session",
    "session_id",
    type=TEXT,
    callback=_not_blank,
    help="The current session (default: the customer's latest).",
)
@click.option(
    "--k", type=click.IntRange(1, 1000), default=10, show_default=True, help="How many suggestions."
)
@click.option(
    "--category",
    "categories",
    type=TEXT,
    multiple=True,
    callback=_categories,
    help="Only items in this category (and those under it); repeated, in any of those named.",
)
@click.option(
    "--store-id",
    type=TEXT,
    callback=_store_id,
    help="The kiosk or store asking (for context-aware popularity).",
)
@click.option(
    "--rules",
    type=click.Path(exists=True, dir_okay=False),
    help="A shop rules file (JSON/TOML) instead of the store's own (`edgerec rules`).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_settings
def recommend(
    settings: Settings,
    user_id: str,
    session_id: str | None,
    k: int,
    categories: tuple[str, ...],
    store_id: str | None,
    rules: str | None,
    as_json: bool,
) -> None:
    """Personalised suggestions for a customer now, each with its reasons."""
    from edgerec.readmodels import ShopData
    from edgerec.recommend import Recommender, RequestContext, RuleSet

    with settings.open() as store:
        _say_unmoved(store)
        shop = ShopData(store)
        session = shop.session(session_id) if session_id else None
        if (
            session is not None
            and session.user_id != user_id
            and not shop.acted_in(user_id, session.session_id)
        ):  # its events are not this customer's
            raise click.BadParameter(
                f"session {session_id} is another customer's ({session.user_id})", param_hint="--session"
            )
        if session_id and session is None:  # a session begun now, or a mistyped id: said, not guessed
            _echo(
                f"No event has used session {session_id} yet: the list is for a session that has only"
                " begun (the customer's history and the shop's, nothing from this session).",
                err=True,
            )
        started = time.perf_counter()
        try:
            shop_rules = RuleSet.load(rules) if rules else None
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--rules") from exc
        with _store_rules_errors():
            recommender = Recommender(store, rules=shop_rules)
        loaded = time.perf_counter()
        known = recommender.store_ids()
        if store_id is not None and store_id not in known:  # a kiosk not used yet, or a typo
            named = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
            _echo(
                f"No recent event names store {store_id}: the list has no popularity at it"
                f" (stores with recent events: {named or 'none'}).",
                err=True,
            )
        unknown = [c for c in categories if not len(recommender.catalogue.categories_under(c))]
        if unknown and len(unknown) < len(categories):  # a typo in one: the list is of the others
            _echo(
                f"The catalogue has no category {', '.join(map(repr, unknown))}: the list is of"
                f" {', '.join(map(repr, (c for c in categories if c not in unknown)))} only.",
                err=True,
            )
        suggestions = recommender.recommend(
            user_id,
            session_id=session_id,
            k=k,
            category=categories or None,
            context=RequestContext(store_id=store_id),
        )
        answered = time.perf_counter()
        used_session = session_id or recommender.current_session(user_id)
    # Why the list is empty, for the eye and, in JSON, for a script: the cause and the sentence.
    empty = None if suggestions else _why_no_suggestions(recommender, user_id, categories, unknown)
    if as_json:
        payload = {
            "user_id": user_id,
            "session_id": used_session,
            "load_ms": round((loaded - started) * 1000, 2),
            "recommend_ms": round((answered - loaded) * 1000, 2),
            "items": [
                {
                    "item_id": r.item_id,
                    "score": r.score,
                    "title": r.title,
                    "category": r.category,
                    "brand": r.brand,
                    "sources": r.sources,
                    "reasons": r.reasons,
                    "evidence": [_evidence_json(e) for e in r.evidence],
                }
                for r in suggestions
            ],
            "why_empty": None if empty is None else {"cause": empty[0], "message": empty[1]},
        }
        _echo(json.dumps(payload, ensure_ascii=False))
        return
    if empty is not None:
        _echo(f"No suggestions: {empty[1]}.")
    for rank, r in enumerate(suggestions, start=1):
        _echo(f"{rank:>2}. {r.item_id}  {r.title or ''}  [{r.category or '-'}]  score {r.score:.3f}")
        shares = ", ".join(f"{name} {_share(share)}" for name, share in r.sources.items())
        click.echo(f"      sources: {shares or 'none (it fills the list)'}")
        for reason in r.reasons:
            _echo(f"      - {reason}")
    click.echo(
        f"({(answered - loaded) * 1000:.1f} ms, after loading the store state in {(loaded - started):.2f} s)"
    )


def _share(share: float) -> str:
    """A source's share of a score in whole percent, "<1%" for one that rounds to none.

    >>> _share(0.4321), _share(0.004), _share(0.0)
    ('43%', '<1%', '0%')
    """
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"


def _evidence_json(evidence: Evidence) -> dict[str, object]:
    """What grounds one reason, for a script: the customer's event it cites (its type, item and
    time) or the item attribute."""
    return {
        "source": evidence.source,
        "reason": evidence.text,
        "item_id": evidence.item_id,
        "event_type": evidence.event_type,
        "at": None if evidence.at is None else evidence.at.isoformat(),
        "attribute": None if evidence.attribute is None else dict([evidence.attribute]),
    }


def _why_no_suggestions(
    recommender: Recommender, user_id: str, categories: tuple[str, ...], unknown: list[str]
) -> tuple[str, str]:
    """Why a request's list is empty: a cause a script can test, and the sentence that says it.
    An empty catalogue has no category either: that it is empty is what to fix."""
    if not len(recommender.catalogue):
        return "empty_catalogue", (
            "the catalogue is empty (`edgerec import` a catalogue, or list items on the console)"
        )
    if categories and len(unknown) == len(categories):
        return "unknown_category", f"the catalogue has no category {' or '.join(map(repr, categories))}"
    rules = (
        ", or never shown by the shop's rules"
        if recommender.rules_hide_any(category=categories or None)
        else ""
    )
    disliked = (
        ", or rated as a dislike by the customer"
        if recommender.dislikes(user_id, category=categories or None)
        else ""
    )
    within = f" in {' or '.join(map(repr, categories))}" if categories else ""
    return "all_excluded", (
        f"every item{within} is delisted, out of stock, in the cart or just bought{disliked}{rules}"
    )


@contextlib.contextmanager
def _store_rules_errors() -> Iterator[None]:
    """The store's rules file that is not valid rules, as a one-line error saying what to do."""
    from edgerec.recommend.rules import RulesError

    try:
        yield
    except RulesError as exc:
        raise click.ClickException(f"{exc} (fix it, or `edgerec rules clear`)") from exc


@main.group()
def rules() -> None:
    """The shop's rules: promoted items and never-show lists, for every list served.

    \b
    A rules file (TOML, or JSON when its name ends in .json):
      exclude_items = ["sku-9"]
      exclude_categories = ["Tobacco"]
      [[promote]]
      category = "Shoes"   # or item_id = "sku-1", or brand = "Acme": one a rule
      boost = 0.1          # score x (1 + boost), in (-1, 100]; below 0 demotes

    The console, the kiosk and `edgerec recommend` serve by the store's rules; a running
    console or kiosk picks up a change within a request.
    """


@rules.command("show")
@pass_settings
def rules_show(settings: Settings) -> None:
    """Show the store's rules and where they are kept."""
    from edgerec.recommend.engine import shop_rules_path
    from edgerec.recommend.rules import RulesFile

    with settings.open() as store:
        path = shop_rules_path(store)
        if path is None or not path.exists():
            click.echo("No shop rules: every in-stock item may be suggested (`edgerec rules set FILE`).")
            return
        with _store_rules_errors():
            shop = RulesFile(path).load()
        unmatched = _unmatched(store, shop)
    _echo(f"{path}:")
    for label, values in (
        ("never shown: items", sorted(shop.exclude_items)),
        ("never shown: categories", sorted(shop.exclude_categories)),
        ("promoted items", [f"{k} {_percent(v)}" for k, v in sorted(shop.promote_items.items())]),
        ("promoted categories", [f"{k} {_percent(v)}" for k, v in sorted(shop.promote_categories.items())]),
        ("promoted brands", [f"{k} {_percent(v)}" for k, v in sorted(shop.promote_brands.items())]),
    ):
        _echo(f"  {label}: {', '.join(values) if values else '-'}")
    _warn_unmatched(unmatched)


def _percent(boost: float) -> str:
    """A boost as the percentage it adds, to the digits given: 0.004 is "+0.4%", not "+0%"."""
    return f"{boost * 100:+.6g}%"


@rules.command("set")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_settings
def rules_set(settings: Settings, path: Path) -> None:
    """Check the rules in PATH and make them the store's (a copy is kept with the store)."""
    from edgerec.recommend.engine import shop_rules_path
    from edgerec.recommend.rules import RuleSet
    from edgerec.training.files import write_atomically

    try:
        shop = RuleSet.load(path)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="PATH") from exc
    with settings.open(create=True) as store:  # a shop may set its rules before its first import
        target = shop_rules_path(store)
        unmatched = _unmatched(store, shop)
    if target is None:
        raise click.ClickException("an in-memory store keeps no rules file")
    # Kept as TOML: a TOML file as written (its comments say why an item is banned), JSON
    # written out as the same rules in TOML.
    text = path.read_text(encoding="utf-8") if path.suffix.lower() != ".json" else _rules_toml(shop)
    write_atomically(target, text.encode())
    _echo(f"The shop's rules are now {path} (kept as {target}).")
    _warn_unmatched(unmatched)


@rules.command("clear")
@pass_settings
def rules_clear(settings: Settings) -> None:
    """Remove the store's rules: nothing promoted, nothing banned beyond stock and the cart."""
    from edgerec.recommend.engine import shop_rules_path

    with settings.open() as store:
        path = shop_rules_path(store)
    if path is not None and path.exists():
        path.unlink()
        click.echo(f"Removed {path}.")
    else:
        click.echo("The store had no rules.")


def _unmatched(store: Store, shop: RuleSet) -> list[str]:
    """The names in the rules that nothing in the store's catalogue matches (none while it
    lists nothing: a shop may set its rules before its import)."""
    from edgerec.recommend.engine import store_catalogue

    catalogue = store_catalogue(store)
    return shop.unmatched(catalogue) if len(catalogue) else []


def _warn_unmatched(unmatched: list[str]) -> None:
    """A warning, not a refusal: a typo leaves a banned item on sale, but a rule may name
    what is listed later."""
    if unmatched:
        _echo(
            f"Warning: nothing in the catalogue matches {', '.join(unmatched)} (a typo?); the rules"
            " are kept and apply to such items once they are listed.",
            err=True,
        )


def _rules_toml(shop: RuleSet) -> str:
    def quoted(value: str) -> str:
        # A JSON string is a TOML basic string but for two escapes: TOML has no surrogate pairs
        # (a character beyond the BMP, an emoji, is written as itself) and escapes DEL.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")

    lines = [
        f"exclude_items = [{', '.join(map(quoted, sorted(shop.exclude_items)))}]",
        f"exclude_categories = [{', '.join(map(quoted, sorted(shop.exclude_categories)))}]",
    ]
    for key, table in (
        ("item_id", shop.promote_items),
        ("category", shop.promote_categories),
        ("brand", shop.promote_brands),
    ):
        for name, boost in sorted(table.items()):
            lines += ["", "[[promote]]", f"{key} = {quoted(name)}", f"boost = {boost!r}"]
    return "\n".join(lines) + "\n"


# --- files ---------------------------------------------------------------------------------


@main.command(name="import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format", "format_", type=TEXT, help="Input format (see `edgerec formats`); detected when omitted."
)
@_reading_options
@click.option(
    "--dedupe-window",
    # a day: edgerec.ingest.clean.MAX_DEDUPE_WINDOW_S, not imported (it loads the importer)
    type=_FiniteRange(min=0, max=86_400),
    default=2.0,
    show_default=True,
    help="Seconds within which repeats are double clicks (0: keep them; at most a day;"
    " never applied to edgerec's own exports, which restore a log as it was).",
)
@click.option(
    "--delist-missing",
    is_flag=True,
    help="The file is the shop's whole catalogue: delist every listed item it does not name.",
)
@click.option(
    "--stock-at",
    type=_StockTime(),
    help="When a catalogue file's stock was counted (ISO time, UTC where no offset is given,"
    " or now): purchases since lower it. Default: when the file was last written.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@pass_settings
def import_(
    settings: Settings,
    path: Path,
    format_: str | None,
    mapping: tuple[str, ...],
    actions: tuple[str, ...],
    dedupe_window: float,
    timezone: str,
    encoding: str | None,
    delist_missing: bool,
    stock_at: int | None,
    as_json: bool,
) -> None:
    """Import events or a catalogue from PATH, cleaning and quarantining bad rows."""
    from sqlalchemy.exc import OperationalError

    from edgerec.ingest import import_file

    reading = _how_to_read(format_, mapping, actions, timezone, encoding)
    progress_bar = _progress_bar(f"Importing {path.name}", quiet=as_json)
    with settings.open_to_fill() as store, progress_bar as progress, _chunks_kept(store, "import"):
        _say_rebuild_waits(store)
        chunks_written = 0

        def progressed(done: int, total: int | None) -> None:  # called once a chunk is written
            nonlocal chunks_written
            chunks_written += 1
            progress(done, total)

        try:
            report = import_file(
                store,
                path,
                **reading,
                dedupe_window_s=dedupe_window,
                progress=progressed,
                delist_missing=delist_missing,
                stock_at=stock_at,
                waiting=_once(
                    _saying("Waiting for another import, or a forget-user, on this store to finish...")
                ),
            )
        except (ValueError, OSError) as exc:  # an unknown format, an unreadable file
            raise click.ClickException(str(exc)) from exc
        except OperationalError as exc:  # the server went away (a restart) part way
            raise click.ClickException(
                f"lost the database at {shown_url(settings.url)} ({_why(exc)}). {_IMPORT_KEPT}"
            ) from exc
        except KeyboardInterrupt:  # (a wait for another import's turn, or a rebuild's, too)
            kept = _IMPORT_KEPT if chunks_written else _IMPORT_NOTHING_KEPT
            click.echo(f"\nImport stopped. {kept}", err=True)
            raise click.Abort() from None
    data = report.to_dict()
    if as_json:
        _echo(json.dumps(data, sort_keys=True))
    else:
        for key, value in data.items():
            if key != "notes":  # sentences, said below
                _echo(f"{key:>22}: {value}")
        for note in report.notes:
            _echo(note, err=True)
    if not report.rows_read:  # an export of no events, a day with no sales: said, not refused
        _echo(f"{path} holds no rows: nothing was imported.", err=True)
    if report.quarantined and not as_json:
        _echo(
            f"The quarantined rows, with the reason for each: edgerec quarantine --import {report.import_id}",
            err=True,
        )
    if encoding is None and report.quarantined_by_reason.get("invalid_encoding"):
        click.echo(
            "Some lines are not UTF-8 text. If the file was saved in another encoding, import it "
            "again naming it (--encoding cp1252 for Excel on Western Windows, latin-1, cp1251, ...): "
            "the lines imported already are not added twice.",
            err=True,
        )


def _database_name(url: str) -> str:
    """A server database's name, to name results by (never the URL: it may hold a password)."""
    from sqlalchemy import make_url

    parsed = make_url(url)
    return str(parsed.database or parsed.query.get("dbname") or "store")


def _parse_pairs(pairs: tuple[str, ...], option: str) -> dict[str, Any]:
    from edgerec.ingest.formats import parse_pairs

    try:
        return dict(parse_pairs(pairs))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from exc


@main.command()
def formats() -> None:
    """List the import formats."""
    from edgerec.ingest import FORMATS

    for fmt in FORMATS.values():
        click.echo(f"{fmt.name:<20} {fmt.description}")


@main.command()
@click.argument("given", metavar="PATH", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--format",
    "format_",
    type=click.Choice(["jsonl", "parquet"]),
    help="Default: from the file name (.jsonl, .ndjson or .parquet); JSON lines for - (standard output).",
)
@click.option(
    "--since",
    type=click.IntRange(min=0, max=LARGEST_INT),
    default=0,
    show_default=True,
    help="Only events after this log position.",
)
@click.option(
    "--real-ids",
    is_flag=True,
    help="Keep customer and session ids (a backup); by default they become stable pseudonyms.",
)
@pass_settings
def export(settings: Settings, given: str, format_: str | None, since: int, real_ids: bool) -> None:
    """Export the event log to a JSONL or Parquet file, or - for standard output (customers
    pseudonymous by default)."""
    from edgerec.ingest import export_events
    from edgerec.ingest.export import EXPORT_SUFFIXES, write_events

    ending = folder_ending(given)
    if ending:  # Path() drops the slash (or the dot): `backups/` became a file backups, as --db's did
        example = os.path.join(os.path.normpath(given), f"events.{format_ or 'jsonl'}")
        raise click.BadParameter(
            f"{given!r} ends in '{ending}', which names a folder: give the export file's path "
            f"({example}, say)",
            param_hint="PATH",
        )
    path = Path(given)
    # /dev/stdout, /dev/stderr and /dev/fd/N name a descriptor the shell opened (`3>> backup.jsonl`
    # appends to it): written through, as `-` is, not opened again (which emptied the file) nor
    # a file put in place of the one it resolves to.
    fd = 1 if given == "-" else _descriptor(given)
    to_stdout = fd == 1
    chosen = format_ or ("jsonl" if fd is not None else EXPORT_SUFFIXES.get(path.suffix.lower()))
    if chosen is None:  # out.csv was written as JSON lines
        raise click.BadParameter(
            f"cannot tell the format from the name {path.name!r}: end it in .jsonl or .parquet, "
            "or give --format",
            param_hint="PATH",
        )
    with settings.open() as store:
        _check_since(store, since)
        try:
            if to_stdout:
                count = write_events(store, sys.stdout.buffer, format=chosen, since=since, real_ids=real_ids)
                sys.stdout.flush()
            elif fd is not None:
                if any(_same_file(fd, file) for file in database_files(store.url)):
                    raise ValueError(f"{given} is a file of the database being exported: choose another path")
                with os.fdopen(os.dup(fd), "wb") as out:
                    count = write_events(store, out, format=chosen, since=since, real_ids=real_ids)
            else:
                count = export_events(store, path, format=chosen, since=since, real_ids=real_ids)
        except BrokenPipeError:  # `edgerec export - | head`: the reader has all it wanted
            if not to_stdout:  # a named pipe whose reader stopped: the export is not all there
                raise click.ClickException(f"cannot write {path}: its reader closed it") from None
            _stdout_nowhere()
            return
        except StoreWriteError as exc:  # only the pseudonym secret is written, and only once
            raise click.ClickException(
                "the first pseudonymous export (the default) records the store's pseudonym secret in "
                f"it: {exc} Or export with --real-ids, which writes nothing to the store."
            ) from exc
        except OSError as exc:
            if to_stdout:
                raise  # said as every command's standard output that cannot be written
            raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from exc
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    ids = "real ids" if real_ids else "customers pseudonymous"
    where = "standard output" if to_stdout else path
    # Beside a stream (a named pipe, >(gzip ...)) the line would have gone into its reader's data;
    # so it would into standard error's, were the events written there.
    stream = fd is not None or not path.is_file()
    _echo(f"Exported {count:,} events to {where} ({chosen}, {ids}).", err=stream and not _same_file(fd, 2))


_DESCRIPTOR = re.compile(r"/(?:dev/fd|proc/self/fd|proc/thread-self/fd)/(\d+)")
_STANDARD = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


def _descriptor(given: str) -> int | None:
    """The descriptor that `given` names (/dev/stderr, /dev/fd/3, /proc/self/fd/3), else None;
    one that is not open is refused: the name would be read as a file the store opens later."""
    match = _DESCRIPTOR.fullmatch(given)
    fd = _STANDARD.get(given) if match is None else int(match[1])
    if fd is None or fd == 1:  # standard output closed (>&-) is said as any command's
        return fd
    try:
        os.fstat(fd)
    except (OSError, OverflowError):
        raise click.BadParameter(
            f"{given} names descriptor {fd}, which is not open: open it in the shell ({fd}>> backup.jsonl)",
            param_hint="PATH",
        ) from None
    return fd


def _same_file(fd: int | None, other: int | Path) -> bool:
    """Whether the open descriptor `fd` is the file `other` (a descriptor, or a path)."""
    try:
        return fd is not None and os.path.samestat(os.fstat(fd), os.stat(other))
    except OSError:
        return False


class _progress_bar:
    """A rich progress bar driven by the importer's progress(done, total) callback."""

    def __init__(self, description: str, *, quiet: bool) -> None:
        self.description = description
        self.quiet = quiet or not sys.stderr.isatty()

    def __enter__(self) -> Callable[[int, int | None], None]:
        if self.quiet:
            return lambda done, total: None
        from rich.markup import escape
        from rich.progress import Progress

        self.progress = Progress(transient=True)
        self.progress.start()  # the description names a file: neither escapes nor [markup] in it act
        self.task = self.progress.add_task(escape(printable(self.description)), total=None)

        def update(done: int, total: int | None) -> None:
            self.progress.update(self.task, completed=done, total=total)

        return update

    def __exit__(self, *_exc: object) -> None:
        if not self.quiet:
            self.progress.stop()


if __name__ == "__main__":
    main()
