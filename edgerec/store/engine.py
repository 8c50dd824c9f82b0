"""Engine set-up: URLs, file permissions, SQLite PRAGMAs, and write transactions.

This is the only place that knows which database it talks to; everything else is portable
SQLAlchemy Core.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import sqlite3
import stat
import struct
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path

from sqlalchemy import ColumnElement, Connection, Engine, create_engine, event, func, literal_column, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import StaticPool

from edgerec.domain.words import ACCENTS, LIGATURES, STROKED, caseless, folded
from edgerec.store.flock import holder_named, name_holder

# FULL: a commit is on disk when `record` returns, so a power cut loses nothing acknowledged.
# NORMAL would be faster but can lose the last few commits on a power cut (never on a crash).
DEFAULT_SYNCHRONOUS = "FULL"
BUSY_TIMEOUT_MS = 30_000
# The WAL is truncated back to this size after a checkpoint, so a big import does not leave a
# big file behind for good.
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024
# SQLite copies the WAL into the database inside the commit that takes it past this many pages.
# The background checkpointer (below) normally gets there first; this only bounds the WAL when
# it cannot keep up.
WAL_AUTOCHECKPOINT_PAGES = 10_000
# Page cache per connection (SQLite's default is 2 MiB). An import chunk changes more pages than
# that: with the default, SQLite spills them to the WAL mid-transaction and writes many twice.
# 16-128 MiB imported the Taobao slice 9 % faster (scripts/bench_ingest.py); it grows only as used.
CACHE_SIZE_KIB = 32 * 1024
ENV_DB = "EDGEREC_DB"
_SIDE_FILES = ("-wal", "-shm", "-journal")
_WRITER_LOCK = "-writer.lock"
IMPORT_LOCK = "-import.lock"  # held by the one import that runs (store/import_turn.py)
_LOCKS = (_WRITER_LOCK, IMPORT_LOCK)


class StoreWriteError(RuntimeError):
    """A write that the disk refused; nothing of it was written, and it can be retried."""


_NO_HOME = f"set HOME (or XDG_DATA_HOME), or give the store's path with --db or ${ENV_DB}"


def default_database() -> str:
    from platformdirs import user_data_dir

    try:
        return str(Path(user_data_dir("edgerec", appauthor=False)) / "edgerec.db")
    except RuntimeError:  # no HOME, and a user with no home in the password database (a container)
        raise ValueError(f"there is no home folder to keep the default store in: {_NO_HOME}") from None


def database_url(path_or_url: str | os.PathLike[str] | None) -> str:
    """Turns a file path or a SQLAlchemy URL into a URL; None means $EDGEREC_DB or the default.

    ":memory:" is a store in memory, as in SQLite; an empty path is refused, not taken for the
    default store (`open(os.environ.get("SHOP_DB", ""))` must not write into the shop's own),
    and so is an empty $EDGEREC_DB (`EDGEREC_DB=$SHOP_DB` with SHOP_DB unset).
    """
    # A path of bytes (os.fsencode's, a bytes path from os.listdir) is read as the OS does.
    target = os.fsdecode(path_or_url) if path_or_url is not None else None
    if target is not None and not target.strip():
        raise ValueError("no database given: the path is empty (leave it out for the default store)")
    if target is None and os.environ.get(ENV_DB) is not None:
        target = os.environ[ENV_DB]
        if not target.strip():
            raise ValueError(f"no database given: ${ENV_DB} is empty (unset it for the default store)")
    target = target or default_database()
    if target == ":memory:":
        return "sqlite://"
    try:
        target.encode("utf-8")
    except UnicodeEncodeError:  # a name of bytes that are not UTF-8 reaches Python as surrogates
        raise ValueError(
            "the path is not valid text: a byte in its name is not UTF-8, which SQLite cannot "
            "open; rename the file or folder, or give another path"
        ) from None
    for bare in ("postgres://", "postgresql://"):  # as hosting services write them: psycopg's
        if target.startswith(bare):
            target = "postgresql+psycopg://" + target.removeprefix(bare)
            break
    if "://" in target:
        return _readable(target)
    if _MISTYPED_URL.match(target):  # taken for a path, it would make a folder named "sqlite:"
        raise ValueError(
            f"{target!r} is neither a file path nor a URL: a URL has two slashes after the colon "
            "(sqlite:///shop.db, postgresql://user@host/shop)"
        )
    ending = folder_ending(target)
    if ending:  # Path() drops the slash (or the dot): `newdir/` and `newdir/.` became a file newdir
        raise ValueError(
            f"{target!r} ends in '{ending}', which names a folder: give the store file's path "
            f"({os.path.join(os.path.normpath(target), 'edgerec.db')}, say)"
        )
    # Built, not written out: a ? or a % in the file's name would read as the URL's query or
    # an escape, and `till?1.db` and `till?2.db` were both the file `till`.
    try:
        path = Path(target).expanduser()
    except RuntimeError:  # a leading ~ with no home folder to stand for
        user = target[1:].partition("/")[0]
        if user:  # ~name: Python looks the name up among the machine's users
            raise ValueError(
                f"{target!r} starts with ~{user}, but there is no user {user!r} here for it to stand "
                "for: check the name, or give the store's full path"
            ) from None
        raise ValueError(
            f"{target!r} starts with ~, but there is no home folder for it to stand for: set HOME, "
            "or give the store's full path"
        ) from None
    return URL.create("sqlite", database=str(path.resolve())).render_as_string(hide_password=False)


_MISTYPED_URL = re.compile(r"(sqlite|postgres|postgresql)(\+\w+)?:", re.IGNORECASE)
_ENCODE_THE_PASSWORD = "percent-encode special characters there: @ as %40, : as %3A, % as %25"


def _readable(url: str) -> str:
    """`url`, where SQLAlchemy can read it; the refusals quote no part of it, which may hold a
    password (an unescaped '@' and ':' in one put the rest of it where the port goes)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(
            "the URL cannot be read: it starts with a scheme of letters, digits and '+' and then "
            "'://' (sqlite:///shop.db, postgresql://user@host/shop)"
        ) from None
    except ValueError:  # int() of the port
        raise ValueError(
            "the URL's port is not a number: mistyped, or an '@' and a ':' written as they are in "
            f"the password ({_ENCODE_THE_PASSWORD})"
        ) from None
    if parsed.host is not None and "@" in parsed.host:
        raise ValueError(
            f"the URL's host holds an '@': one written as it is in the password ({_ENCODE_THE_PASSWORD})"
        )
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(
            f"edgerec keeps its store in SQLite or PostgreSQL, not {parsed.get_backend_name()!r} "
            "(sqlite:///shop.db, postgresql://user@host/shop)"
        )
    if parsed.get_backend_name() == "sqlite" and _uri_filename(parsed) and sqlite_path(url) is not None:
        # SQLite would read file:shop.db?mode=ro itself, while the store's mode, lock files and
        # -wal checks went to a file named "file:shop.db" beside it.
        raise ValueError(
            "the URL asks SQLite to read its file as a URI (uri=true), which edgerec does not take: "
            "give the store file's path (sqlite:///shop.db, or shop.db)"
        )
    database = parsed.database or ""
    ending = folder_ending(database)
    if parsed.get_backend_name() == "sqlite" and ending:  # as a path's
        file = parsed.set(database=os.path.join(os.path.normpath(database), "edgerec.db"))
        raise ValueError(
            f"the URL's file {database!r} ends in '{ending}', which names a folder: give the store "
            f"file's path ({file.render_as_string(hide_password=False)}, say)"
        )
    return url


def folder_ending(path: str) -> str:
    """How `path` ends where that names a folder ('/', or a last part '.' or '..'), else ''."""
    if path.endswith(("/", os.sep)):
        return "/"
    last = os.path.basename(path)
    return last if last in (".", "..") else ""


def shown_url(url: str) -> str:
    """The store's URL as printed or logged: a password in it (user:pw@, or ?password=) shows
    as ***; the database's name and the query as they read, not %-escaped (`café shop`, where
    SQLAlchemy writes `caf%C3%A9 shop`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not parsed.query:
        return f"sqlite:///{parsed.database}"  # the file's name as written
    server = URL.create(parsed.drivername, parsed.username, parsed.password, parsed.host, parsed.port)
    shown = server.render_as_string(hide_password=True)
    if parsed.database is not None:
        shown += f"/{parsed.database}"
    query = [(key, "***" if key == "password" else value) for key, value in parsed.query.items()]
    pairs = [
        f"{key}={one}" for key, value in query for one in ((value,) if isinstance(value, str) else value)
    ]
    return shown + ("?" + "&".join(pairs) if pairs else "")


def sqlite_path(url: str) -> Path | None:
    """The SQLite store's file; None for a server database or one in memory (:memory:, no
    file, or a URI filename in memory: file::memory:, or mode=memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if _uri_filename(parsed) and (parsed.database == "file::memory:" or parsed.query.get("mode") == "memory"):
        return None
    return Path(parsed.database)


def _uri_filename(parsed: URL) -> bool:
    """Whether the driver hands SQLite the URL's file as a URI (uri=true, as SQLAlchemy reads it)."""
    return str(parsed.query.get("uri", "")).strip().lower() in ("true", "yes", "on", "y", "t", "1")


def database_files(url: str) -> list[Path]:
    """The files of a SQLite store: the database, its journals and its writers' lock (none for
    a server database or one in memory)."""
    path = sqlite_path(url)
    return [] if path is None else _files_of(path)


def _files_of(path: Path) -> list[Path]:
    return [
        path,
        *(path.with_name(path.name + suffix) for suffix in (*_SIDE_FILES, _WRITER_LOCK, IMPORT_LOCK)),
    ]


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)


def not_a_file(path: Path) -> str | None:
    """Why `path` cannot hold a store, where something that is not a regular file is there (a
    folder, a device, a pipe); None where it is a file (a link to one too) or nothing is there.

    Asked before the path is opened or its mode changed: SQLite opened /dev/null, and the store
    set its mode to 0600 and left a -journal beside it; a FIFO blocked the open for ever.
    """
    try:
        mode = path.stat().st_mode
    except OSError:  # not there, or not reachable: SQLite says what is wrong
        return None
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return f"{path} is {kind}, not a file: a store is kept in a regular file; give the path of one"


def _may_be_ours(path: Path) -> bool:
    """False for a file that is certainly not an edgerec store: not SQLite at all, or a SQLite
    database with tables but no schema revision (another application's)."""
    if _open_in_this_process(path):
        return True  # known already, and not to be opened by hand while SQLite has it open
    try:
        with open(path, "rb") as file:
            start = file.read(16)
    except FileNotFoundError:
        return True
    if not start:
        return True  # an empty file: a new store
    if start != b"SQLite format 3\x00":
        return False
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
            names = {
                row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
    except sqlite3.Error:
        return True  # read the usual way, which says what is wrong
    return not names or "alembic_version" in names


def _open_in_this_process(path: Path) -> bool:
    """Whether a store engine of this process has the SQLite file open. Closing any descriptor
    of a file drops every POSIX lock the process holds on it, SQLite's own included: a second
    `edgerec.open` of the same file that read its header would leave the first one's
    connections without their locks, and another process's exit would then delete the -wal
    and -shm they use."""
    try:
        wanted = path.stat()
    except OSError:
        return False
    for file in list(_FILES.values()):
        with suppress(OSError):  # a store whose file was since removed
            held = file.checkpointer.path.stat()
            if (held.st_dev, held.st_ino) == (wanted.st_dev, wanted.st_ino):
                return True
    return False


_JOURNAL_REFUSED = "this user cannot write it: give it to the store's owner (chown)"
_JOURNAL_UNREAD = "this user cannot read it: open the store as the user who owns it"


def on_read_only_mount(path: Path) -> bool:
    """Whether `path` is on a file system mounted read-only (a disk the system remounted so
    after errors): nothing there can be written, whoever owns it."""
    return bool(os.statvfs(path).f_flag & os.ST_RDONLY)


def prepare_private_file(path: Path) -> None:
    """Creates the directory (0700) and the database file (0600) before SQLite opens it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    # Also tighten files that an older version or a crash left readable by others: the
    # database's group and others bits only, so one its owner made read-only (a kept backup)
    # stays so; its side files SQLite must write even to read it (and makes with the database's
    # mode), 0600, so that one made writable again can be written.
    # A file another user owns (a lock file a `sudo edgerec` made, or a store shared read-only)
    # cannot be changed: it is left as it is, so that reading still works, and a write names it.
    # So is every file on a file system mounted read-only (a disk the system remounted so after
    # errors): SQLite reads the store there, its -wal and -shm too, and a write says why it fails.
    mounted_read_only = on_read_only_mount(path)
    owner = path.stat().st_uid == os.geteuid() and not mounted_read_only  # its own user writes
    for file in _files_of(path):
        with suppress(FileNotFoundError):
            mode = stat.S_IMODE(file.stat().st_mode)
            wanted = mode & 0o700 if file == path else 0o600
            if mode != wanted and not mounted_read_only:
                with suppress(PermissionError):
                    os.chmod(file, wanted)
            journal = file != path and not file.name.endswith(_LOCKS)
            if journal and not os.access(file, os.R_OK | os.W_OK if owner else os.R_OK):
                # where SQLite would say only "unable to open database file"
                raise PermissionError(errno.EACCES, _JOURNAL_REFUSED if owner else _JOURNAL_UNREAD, str(file))


_SYNCHRONOUS = frozenset({"OFF", "NORMAL", "FULL", "EXTRA"})


def make_engine(url: str, *, synchronous: str = DEFAULT_SYNCHRONOUS) -> Engine:
    path = sqlite_path(url)
    if path is None and make_url(url).get_backend_name() == "sqlite":
        # In memory: one database, so one connection that every thread shares.
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _fold_every_letter)
        return engine
    if path is None:
        return create_engine(url, pool_pre_ping=True)
    if synchronous.upper() not in _SYNCHRONOUS:
        raise ValueError(f"synchronous must be OFF, NORMAL, FULL or EXTRA, not {synchronous!r}")
    refused = not_a_file(path)
    if refused:
        raise ValueError(refused)
    if not _may_be_ours(path):
        # Left as it is (no WAL, no change of mode): opening the store refuses it, by name.
        return create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    prepare_private_file(path)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    _configure_sqlite(engine, synchronous.upper())
    queue = _WriterQueue(path.with_name(path.name + _WRITER_LOCK))
    file = _FILES[engine] = _SqliteFile(path, queue, _Checkpointer(path, synchronous.upper(), queue))

    @event.listens_for(engine, "do_connect")
    def refuse_a_file_gone(*_args: object) -> None:
        # Connecting would make an empty database at the path of a file deleted while open.
        if file.opened is not None and _identity(path) != file.opened:
            raise sqlite3.OperationalError(f"the database file {path} {GONE}")

    return engine


def close_engine(engine: Engine) -> None:
    """Closes the engine's connections (the writers' one too) and stops its background
    checkpointer.

    The engine stays usable: they come back when they are next needed. Close every store: the
    writers' connection keeps the engine of a store left open alive until the process ends.
    """
    file = _FILES.get(engine)
    if file is not None:
        file.checkpointer.stop()  # first: a checkpoint in the writers' turn opens their lock file
        # This process's writers take turns under the threads lock: holding it, none is in a
        # transaction. Other processes' writers need not be waited for.
        with file.queue.threads:
            file.release_writer()
            file.queue.close()
            file.opened = None  # connections made from now on open the file at the path then
    engine.dispose()


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _folded(value: object) -> object:
    return folded(caseless(value)) if isinstance(value, str) else value


def _fold_every_letter(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # SQLite's own lower() folds ASCII letters only: a search for "ärmel" found no "Ärmel".
    # Python's folds every letter.
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
    dbapi_connection.create_function("edgerec_folded", 1, _folded, deterministic=True)


# Collations under which PostgreSQL's lower() folds every letter, whatever the database's
# locale: ICU's root one (where the server was built with ICU) and the builtin C.UTF-8 one
# (PostgreSQL 17 on). Under "C", the collation of ids and of every column of a database
# created with LOCALE 'C', it folds ASCII letters only.
_FOLDING_COLLATIONS = ("und-x-icu", "pg_c_utf8")
_FOLDING: weakref.WeakKeyDictionary[Engine, tuple[str, bool]] = weakref.WeakKeyDictionary()


def by_code_point(engine: Engine, column: ColumnElement[str]) -> ColumnElement[str]:
    """`column` ordered as SQLite orders text, by code point, on PostgreSQL too (whose default
    collation follows the database's language: "bottoms, éclairs, Éclairs, hats")."""
    return column.collate("C") if engine.dialect.name == "postgresql" else column


def lowered(engine: Engine, column: ColumnElement[str]) -> ColumnElement[str]:
    """`lower(column)` with every letter folded, as Python's str.lower folds them, on each
    database (for a case-insensitive search: compare it with a lowercased LIKE pattern)."""
    if engine.dialect.name != "postgresql":
        return func.lower(column)
    return func.lower(column.collate(_folding(engine)[0]))


def folded_text(engine: Engine, column: ColumnElement[str]) -> ColumnElement[str]:
    """`column` folded as `edgerec.domain.words` folds a search's words (composed, case folded,
    without the accents of Latin, Greek and Cyrillic letters), on each database: compare it
    with a LIKE pattern of words so folded. A PostgreSQL database not in UTF-8 can only lower
    the case (`lowered`): see `folds_accents`."""
    if engine.dialect.name != "postgresql":
        return func.edgerec_folded(column)
    collation, utf8 = _folding(engine)
    if not utf8:
        return lowered(engine, column)
    # lower() is not Python's casefold: the letters that casefold changes and lower() does not
    # (ß, final ς) are mapped by hand, as is ı, and so are the letters NFKD leaves their stroke
    # and the ligatures it leaves joined.
    lower = func.lower(func.normalize(column, literal_column("NFKD")).collate(collation))
    for letter, letters in {"ß": "ss", **LIGATURES}.items():
        lower = func.replace(lower, letter, letters)
    plain = func.translate(lower, "ıς" + "".join(STROKED) + ACCENTS, "iσ" + "".join(STROKED.values()))
    return func.normalize(plain, literal_column("NFC"))


def folds_accents(engine: Engine) -> bool:
    """Whether `folded_text` folds accents: everywhere but in a PostgreSQL database not in
    UTF-8, whose normalize() refuses to run."""
    return engine.dialect.name != "postgresql" or _folding(engine)[1]


def _folding(engine: Engine) -> tuple[str, bool]:
    """The collation under which PostgreSQL's lower() folds every letter, and whether the
    database's text is UTF-8."""
    found = _FOLDING.get(engine)
    if found is None:
        with engine.connect() as connection:
            usable = connection.execute(
                text(
                    "SELECT collname FROM pg_collation WHERE collnamespace = 'pg_catalog'::regnamespace"
                    " AND collencoding IN (-1, pg_char_to_encoding(getdatabaseencoding()))"
                )
            ).scalars()
            known = set(usable) & set(_FOLDING_COLLATIONS)
            utf8 = connection.execute(text("SELECT getdatabaseencoding()")).scalar_one() == "UTF8"
        # Without either, the database's own: it folds every letter unless its locale is C.
        found = _FOLDING[engine] = (
            next((name for name in _FOLDING_COLLATIONS if name in known), "default"),
            utf8,
        )
    return found


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event decide how transactions start (see on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA cache_size=-{CACHE_SIZE_KIB}")
        # Deleted content is overwritten with zeros, so a forgotten customer leaves no trace.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()
        _fold_every_letter(dbapi_connection, _record)

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        # Writers take the write lock up front, so two writers queue on the busy timeout
        # instead of failing with "database is locked" when a read turns into a write.
        # (Straight on the driver's cursor: one record pays for this, and SQLAlchemy's
        # execution machinery costs ten times what the statement does.)
        immediate = connection.get_execution_options().get("edgerec_write", False)
        connection.connection.cursor().execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


class _WriterQueue:
    """Makes writers to one SQLite file wait their turn on a lock file, across processes.

    SQLite's own busy handler polls with sleeps of up to 100 ms, so a writer that commits back
    to back (an import) keeps winning and a console's single event can wait seconds. A blocking
    `flock` wakes the next writer as soon as the lock is free.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.threads = threading.Lock()  # flock does not exclude threads sharing one descriptor
        self.fd: int | None = None
        self.pid = 0
        self.doing = ""  # what this process's writes are, written in the lock file for others to say
        self.waiting: Callable[[str, str], None] | None = None  # hears who holds the turn it waits for

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self.threads:
            if self.fd is None or self.pid != os.getpid():
                # A forked child must not share its parent's descriptor: a shared one shares the lock.
                self.fd = open_lock_file(self.path, "writers'")
                self.pid = os.getpid()
            self._lock(self.fd)
            try:
                if self.doing:
                    name_holder(self.fd, self.doing)
                elif os.fstat(self.fd).st_size:  # a record a killed rebuild left: not the holder's
                    with suppress(OSError):
                        os.ftruncate(self.fd, 0)
                yield
            finally:
                if self.doing:
                    with suppress(OSError):
                        os.ftruncate(self.fd, 0)
                fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Closes the lock file; the next turn opens it again. Hold `threads`."""
        if self.fd is not None and self.pid == os.getpid():
            os.close(self.fd)
        self.fd = None

    def _lock(self, fd: int) -> None:
        """Takes the turn; a turn held by a writer that named what it does (a rebuild, which holds
        it for a minute per million events) is first said to `waiting`. Asked once, before the
        blocking wait: a writer queued behind a short one is not told of a rebuild that comes
        after it."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            holder = _writer(fd)
        if holder is not None and self.waiting is not None:
            self.waiting(*holder)
        fcntl.flock(fd, fcntl.LOCK_EX)


def _writer(fd: int) -> tuple[str, str] | None:
    """The process id and what it does, of the writer that wrote them in the lock file; None where
    none did, or where it is gone (a rebuild killed part way leaves them)."""
    pid, _, doing = holder_named(fd).partition(" ")
    if not (pid.isdigit() and int(pid) > 0 and doing):
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return None
    except OSError:  # another user's process: there
        pass
    return pid, doing


def name_writes(engine: Engine, doing: str) -> None:
    """Has this process's writes to the SQLite store `engine` opens name themselves ("a
    rebuild") to writers of other processes that wait for them (see `on_writer_wait`)."""
    file = _FILES.get(engine)
    if file is not None:
        file.queue.doing = doing


def on_writer_wait(engine: Engine, waiting: Callable[[str, str], None]) -> None:
    """Has a write to the SQLite store `engine` opens that must wait for a writer that named what
    it does (`name_writes`) call `waiting` with its process id and what it does, each time."""
    file = _FILES.get(engine)
    if file is not None:
        file.queue.waiting = waiting


def open_lock_file(path: Path | str, whose: str) -> int:
    """Opens (or makes) one of the store's lock files to take turns on; one another user made
    (a write run under sudo), or one on a file system mounted read-only (a disk the system
    remounted so after errors), is a StoreWriteError that says what to do."""
    try:
        return os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    except PermissionError as exc:
        folder = Path(path).parent
        if not os.path.lexists(path):  # not another user's file: none could be made in the folder
            raise StoreWriteError(
                f"cannot write to the store: its {whose} lock file cannot be made in its folder "
                f"{folder} ({exc.strerror}): make the folder writable by this user (the store's "
                "-wal and -shm files need that too). Nothing of this write was stored."
            ) from exc
        raise StoreWriteError(
            f"cannot write to the store: its {whose} lock file {path} cannot be opened "
            f"({exc.strerror}); if another user made it (a write run with sudo), give it to the "
            "store's owner (chown) or remove it while nothing writes"
        ) from exc
    except OSError as exc:
        if exc.errno != errno.EROFS:
            raise
        raise StoreWriteError(
            f"cannot write to the store: its file system is mounted read-only ({path} cannot be "
            "opened to write). Nothing of this write was stored, and reading still works; mount it "
            "read-write to write (check the disk first where the system remounted it after errors)."
        ) from exc


class _Checkpointer:
    """Copies committed WAL frames into the database file in a thread of its own, so that no
    caller waits for it.

    With SQLite's own automatic checkpoint, the commit that takes the WAL past its threshold
    copies a thousand pages and syncs the database file before it returns: that was most of
    `Store.record`'s p99. Here a checkpoint runs after every `EVERY_COMMITS` commits, or
    `WITHIN_S` after a commit if fewer come (a sync of the database file per commit would slow
    the commits themselves), and once every frame is copied the next writer starts the WAL from
    the beginning. Writers that never pause would always leave a frame behind, and a reader
    that is always reading keeps its snapshot's frames in use, so when the WAL has grown past
    `RESTART_FRAMES` the rest is copied in the writers' turn with a RESTART checkpoint, which
    waits up to `RESTART_WAIT_MS` for the readers of older snapshots to finish, and the next
    writer starts the WAL from the beginning.
    """

    EVERY_COMMITS = 16
    WITHIN_S = 0.05
    RESTART_FRAMES = 1_000
    RESTART_WAIT_MS = 100

    def __init__(self, path: Path, synchronous: str, queue: _WriterQueue) -> None:
        self.path = path
        self.synchronous = synchronous
        self.queue = queue
        self.committed = threading.Event()  # set by every commit
        self.enough = threading.Event()  # set by the EVERY_COMMITS-th commit since a checkpoint
        self.pending = 0
        self.stopping = False
        self.thread: threading.Thread | None = None
        self.pid = 0

    def after_commit(self) -> None:
        if self.thread is None or self.pid != os.getpid():  # a forked child starts its own
            self.stopping = False
            self.pid = os.getpid()
            self.thread = threading.Thread(target=self._run, name="edgerec-checkpointer", daemon=True)
            self.thread.start()
        self.pending += 1
        self.committed.set()
        if self.pending >= self.EVERY_COMMITS:
            self.enough.set()

    def stop(self) -> None:
        if self.thread is not None and self.pid == os.getpid():
            self.stopping = True
            self.committed.set()
            self.enough.set()
            self.thread.join()
        self.thread = None

    def _connect(self) -> sqlite3.Connection | None:
        """The checkpoints' own connection, or None where the file is gone. mode=rw: a file
        deleted since the commit that started this thread is not made again, empty, at its path
        (the writers refuse to write there: _SqliteFile.check_same_file)."""
        uri = f"{Path(os.path.abspath(self.path)).as_uri()}?mode=rw"
        connection = None
        try:
            connection = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            connection.execute(f"PRAGMA synchronous={self.synchronous}")
            connection.execute(f"PRAGMA busy_timeout={self.RESTART_WAIT_MS}")
        except sqlite3.Error:  # deleted before the connect, or between it and these
            if connection is not None:
                connection.close()
            return None
        return connection

    def _run(self) -> None:
        connection = self._connect()
        if connection is None:
            return  # none to checkpoint
        try:
            while True:
                self.committed.wait()
                self.enough.wait(self.WITHIN_S)
                if self.stopping:
                    return
                self.committed.clear()
                self.enough.clear()
                self.pending = 0
                try:
                    if self._checkpoint(connection, "PASSIVE") >= self.RESTART_FRAMES:
                        with self.queue.turn():
                            self._checkpoint(connection, "RESTART")
                except sqlite3.Error:
                    pass  # the next commit asks again; SQLite's own checkpoint bounds the WAL
        finally:
            connection.close()

    @staticmethod
    def _checkpoint(connection: sqlite3.Connection, mode: str) -> int:
        """PASSIVE copies what no reader still needs, without waiting; RESTART waits for the
        readers (busy_timeout) to copy it all. Returns the WAL's frame count."""
        _busy, frames, _copied = connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        return int(frames)


class _SqliteFile:
    """What the engines of one SQLite file share in this process: the writers' turn, the
    checkpointer woken after their commits, the writers' connection, and which file they
    opened.

    Writers take turns, so one connection serves them all, kept between transactions: checking
    a connection out of the pool and back in for every `Store.record` cost about 50
    microseconds, several times the BEGIN and COMMIT themselves.
    """

    __slots__ = ("path", "queue", "checkpointer", "writer", "writer_pid", "opened")

    def __init__(self, path: Path, queue: _WriterQueue, checkpointer: _Checkpointer) -> None:
        self.path = path
        self.queue = queue
        self.checkpointer = checkpointer
        self.writer: Connection | None = None
        self.writer_pid = 0
        self.opened: tuple[int, int] | None = _identity(path)  # (st_dev, st_ino) of the file opened

    @contextmanager
    def transaction(self, engine: Engine) -> Iterator[Connection]:
        """A write transaction on the writers' connection; call it in the writers' turn."""
        connection = self.writer
        if connection is None or self.writer_pid != os.getpid() or connection.invalidated:
            self.check_same_file()  # first: connecting would make an empty database at the path
            # A forked child must not use its parent's connection: it opens its own.
            connection = self.writer = engine.connect().execution_options(edgerec_write=True)
            self.writer_pid = os.getpid()
            if self.opened is None:
                self.opened = _identity(self.path)
        try:
            with connection.begin():
                yield connection
                self.check_same_file()  # before the commit, which would go where no one reads it
        except BaseException:
            # Rolled back; a fresh connection serves the next writer, whatever state this one is in.
            self.release_writer()
            raise

    def release_writer(self) -> None:
        if self.writer is not None and self.writer_pid == os.getpid():
            self.writer.close()
        self.writer = None

    def check_same_file(self) -> None:
        """Refuses a write once the store's file was deleted or replaced (a clean-up, a restore
        moved into its place) while open: SQLite goes on writing to the file it opened, where
        nothing will read it, and `Store.record` returned a position for an event that is lost.
        One stat per transaction, not per row: a few microseconds."""
        if self.opened is not None and _identity(self.path) != self.opened:
            raise StoreWriteError(
                f"could not write to the store: the database file {self.path} {GONE}. Nothing of "
                "this write was stored."
            )


GONE = (
    "was deleted or replaced while open; restore the file if it was deleted, then open the store"
    " again (quit and start again)"
)


def _identity(path: Path) -> tuple[int, int] | None:
    """The file at `path` as the system knows it, (st_dev, st_ino); None where there is none."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


_FILES: weakref.WeakKeyDictionary[Engine, _SqliteFile] = weakref.WeakKeyDictionary()


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One atomic write: the log append and every projection it feeds commit together."""
    file = _FILES.get(engine)
    try:
        if file is None:
            with engine.connect().execution_options(edgerec_write=True) as connection, connection.begin():
                if connection.dialect.name == "postgresql":
                    # Positions are handed out under this lock, so they commit in order.
                    connection.exec_driver_sql("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")
                yield connection
        else:
            with file.queue.turn(), file.transaction(engine) as connection:
                yield connection
    except (DBAPIError, sqlite3.OperationalError) as exc:  # BEGIN IMMEDIATE raises the driver's own
        explained = _explained(engine, exc)
        if explained is None:
            raise
        raise explained from exc
    if file is not None:
        file.checkpointer.after_commit()


def damage_said(
    error: BaseException,
    path: str | os.PathLike[str] | None,
    *,
    wal_was_there: bool = True,
    wal_read: bool = False,
) -> str | None:
    """What to say of an error that is SQLite finding the store file damaged (its pages
    malformed, or not a database at all), and what to do; None for any other error. The
    error may be wrapped (SQLAlchemy's, then pandas' reading a frame): its causes are looked at.

    A damaged file is most often a backup restored over a crashed store while the crashed
    store's -wal stayed beside it: SQLite reads that log into the restored file. The -wal is
    named only where one is there and `wal_was_there` (before the caller opened the store: one
    its own connection made is no other copy's); where one lay there before the caller opened
    the store and is gone or another file now (`wal_read`), SQLite has read it into the file
    already, and the way out is to restore the file again with no -wal beside it.
    """
    driver = _damage(error)
    if driver is None:
        return None
    if path is None:
        return f"the store's file is damaged ({driver}): restore it from a backup"
    said = f"the store file {os.fspath(path)} is damaged ({driver}): restore it from a backup"
    wal = Path(f"{os.fspath(path)}-wal")
    if wal_read:
        said += (
            " (if this file was copied or restored over another, that other's -wal, which lay "
            "beside it, has been read into it: move the -wal and -shm files away before you "
            "restore it again)"
        )
    elif wal_was_there and wal.exists():
        said += (
            f"; if this file was copied or restored over another, the -wal beside it ({wal}) "
            "may be that other's: move it away (keep it) and try again first"
        )
    return said


_SQLITE_HEADER = 100  # bytes: a file shorter than it holds no database
_WAL_MAGIC = (0x377F0682, 0x377F0683)


def foreign_wal(path: Path) -> str | None:
    """Why the -wal beside the store file `path` is certainly not its own, where it is; None
    otherwise (a -wal a crash left is read into its store as SQLite does).

    Asked before SQLite opens the file, which reads any -wal beside a database into it: a backup
    restored over a store whose -wal stayed was changed for good by the first command, even a
    read. A -wal's header names the page size of its database, which one in WAL mode never
    changes; a -wal holding frames of another size is another database's.
    """
    wal = path.with_name(path.name + "-wal")
    try:
        with open(path, "rb") as file:
            header = file.read(_SQLITE_HEADER)
        with open(wal, "rb") as file:
            wal_header, frame = file.read(32), file.read(24)
    except OSError:  # not there, or not readable: SQLite says what is wrong
        return None
    if len(header) < _SQLITE_HEADER or not header.startswith(b"SQLite format 3\x00"):
        return None
    if len(wal_header) < 32 or len(frame) < 24 or frame[8:16] != wal_header[16:24]:
        return None  # no frame of this -wal's (its salt): SQLite reads nothing from it
    magic, _version, wal_page = struct.unpack(">III", wal_header[:12])
    page = int.from_bytes(header[16:18], "big")
    page = 65536 if page == 1 else page
    if magic not in _WAL_MAGIC or wal_page == page:
        return None
    return (
        f"the -wal beside the store file ({wal}) is another database's: its pages are of "
        f"{wal_page} bytes, the store's of {page} (a file restored over another store whose -wal "
        "stayed?); opened, SQLite would read it into the store: move the -wal and the -shm beside "
        "it away (keep them) and try again"
    )


def _damage(error: BaseException) -> sqlite3.DatabaseError | None:
    """SQLite's error of a damaged file, where `error` is one or a library's error raised from
    one (pandas' reading a frame); edgerec's own errors say what they mean (a SchemaError that
    a file is no database at all) and are not looked through."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        driver = cause.orig if isinstance(cause, DBAPIError) else cause
        name = getattr(driver, "sqlite_errorname", "")
        if isinstance(driver, sqlite3.DatabaseError) and name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            return driver
        if type(cause).__module__.partition(".")[0] == "edgerec":
            return None
        cause = cause.__cause__ or cause.__context__
    return None


def _explained(engine: Engine, exc: DBAPIError | sqlite3.OperationalError) -> StoreWriteError | None:
    driver_error = getattr(exc, "orig", exc)
    name = getattr(driver_error, "sqlite_errorname", "")
    url = engine.url.render_as_string(hide_password=False)
    where = sqlite_path(url) or shown_url(url)
    sqlstate = getattr(driver_error, "sqlstate", None)  # a server's (psycopg's) error code
    if sqlstate is not None:
        said = getattr(getattr(driver_error, "diag", None), "message_primary", None) or sqlstate
        if sqlstate == "42501":  # insufficient_privilege: a login granted SELECT only
            return StoreWriteError(
                f"could not write to {where}: the database login may read but not write ({said}). "
                "Nothing of this write was stored; use a login that may write to it."
            )
        if sqlstate == "53100":  # disk_full
            return StoreWriteError(
                f"could not write to {where}: the server's disk is full ({said}). Nothing of this "
                "write was stored; free some space on the server and try again."
            )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreWriteError(
            f"could not write to {where}: another program held its write lock for over "
            f"{BUSY_TIMEOUT_MS // 1000} s ({name}). Nothing of this write was stored; try again once "
            "it lets go (a backup, or a sqlite3 shell with a transaction open)."
        )
    if name == "SQLITE_FULL" or name.startswith("SQLITE_IOERR"):
        return StoreWriteError(
            f"could not write to {where}: the disk is full or the file is too large ({name}). "
            "Nothing of this write was stored; free some space and try again."
        )
    if name.startswith("SQLITE_READONLY"):
        return StoreWriteError(
            f"could not write to {where}: it is read-only ({name}). Nothing of this write was "
            "stored; make the file writable (chmod u+w) to record into it."
        )
    return None
