"""Where the trainer keeps its files, and how it writes them so a crash never leaves half a file."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import re
import shlex
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from platformdirs import user_data_dir
from sqlalchemy import URL, make_url

from edgerec.store.flock import holder_named, lock_when_free, name_holder
from edgerec.store.leftovers import temporary_name

# libpq's options that say which data a URL reaches, where its query gives them.
_WHERE_THE_DATA_IS = frozenset({"host", "hostaddr", "port", "dbname", "options", "service"})


def model_dir(database: str | None) -> Path:
    """Where the trainer's files for a store live, given the store's file path or URL.

    `<database name>.models/` beside a SQLite file; for a database server, a folder of the user
    data directory named after the server and database (never the password), so that two
    databases never share a model, and one database, however its URL is spelled, has one; None
    (an in-memory store) gives the data directory's own. A folder an older edgerec named after
    another spelling of the URL is renamed to this one (`_adopted`).
    """
    directory = _own_folder(database)
    if directory.exists() and not directory.is_dir():
        raise ModelFolderError(
            f"{directory} is not a folder: edgerec keeps this store's model there; move that file away"
        )
    return directory


class ModelFolderError(RuntimeError):
    """Something that is not a folder is where the store's model folder goes."""


def _own_folder(database: str | None) -> Path:
    """The store's model folder (`model_dir`), one an older edgerec named otherwise adopted;
    whatever is there."""
    return _adopted(database, _model_dir(database))


def _model_dir(database: str | None) -> Path:
    if not database:
        return _models_folder()
    if "://" not in database:
        db = Path(database)
        return db.with_name(db.name + ".models")
    url = make_url(database)
    if url.get_backend_name() == "sqlite":
        return _model_dir(url.database if url.database not in ("", ":memory:") else None)
    host = url.host
    if host is not None and not host.startswith("/"):  # a socket's folder is a path, where case counts
        host = host.lower()
    return _models_folder() / _folder_name(url.set(host=host, port=_port(url)))


def _port(url: URL) -> int:
    """The port a server URL reaches: the one it names, else libpq's default ($PGPORT, or 5432)."""
    given = os.environ.get("PGPORT", "")
    return url.port or (int(given) if given.isdigit() else 5432)


# The characters a folder's name replaces with "_": letters of any script are kept, so that
# "café" reads as it is written, where an older edgerec kept ASCII ones only.
_REPLACED = re.compile(r"[^\w.-]")
_REPLACED_BEFORE = re.compile(r"[^A-Za-z0-9._-]")


def _folder_name(url: URL, replaced: re.Pattern[str] = _REPLACED) -> str:
    """The model folder's name for a server URL, spelled as given (`_model_dir` gives it one
    spelling); its driver, user and password are no part of it."""
    where = f"{url.get_backend_name()}-{url.host or 'local'}-{url.port or 'default'}-{url.database or ''}"
    named = sorted(key for key in url.query if key in _WHERE_THE_DATA_IS)
    if named:
        # The host, the database or the schema (search_path) may be in the query instead:
        # two stores that differ only there must not share a folder. (Other options, such as
        # sslmode, leave the folder as it was.)
        query = "&".join(f"{key}={url.query[key]}" for key in named)
        where += "-" + hashlib.sha256(query.encode()).hexdigest()[:12]
    name = replaced.sub("_", where)
    if name != where:
        # Cleaning can make two names one ("shop 1" and "shop_1"): a hash of the name as
        # written keeps them apart. (A name cleaning leaves alone keeps its folder as it was.)
        name += "-" + hashlib.sha256(where.encode()).hexdigest()[:12]
    return name


def _adopted(database: str | None, directory: Path) -> Path:
    """`directory`, the folder of a server store, where an older edgerec named it after the URL
    as written (`:5432` or no port, the host in capitals, a database name of letters other than
    ASCII ones): the newest such folder is renamed to it, so that the trained model and the shop's
    rules are not lost. One a trainer holds now is used where it is, and renamed once it is free."""
    if directory.exists() or not database or "://" not in database:
        return directory
    url = make_url(database)
    if url.get_backend_name() == "sqlite":
        return directory
    for older in _older_folders(url, directory):
        if _held(trainer_lock(older)):
            return older
        with contextlib.suppress(OSError):  # another process renamed it first
            older.rename(directory)
            trainer_lock(older).unlink(missing_ok=True)
        break
    return directory


def _older_folders(url: URL, directory: Path) -> list[Path]:
    """The folders an older edgerec kept for this server store under other spellings of its URL,
    the newest first."""
    folders = directory.parent
    if not folders.is_dir():
        return []
    hosts: set[str | None] = {url.host}
    if url.host is not None:  # the spellings of the host in the folders' names, whatever their case
        start = len(url.get_backend_name()) + 1
        hosts |= {entry.name[start : start + len(url.host)] for entry in folders.iterdir()}
        hosts = {host for host in hosts if host is not None and host.lower() == url.host.lower()}
    ports: set[int | None] = {url.port, _port(url)}
    if _port(url) == _port(url._replace(port=None)):
        ports.add(None)  # written without one
    spelled = {  # (URL.set cannot take the port away: None there leaves it as it is)
        folders / _folder_name(url._replace(host=host, port=port), replaced)
        for host in hosts
        for port in ports
        for replaced in (_REPLACED, _REPLACED_BEFORE)
    }
    found = [folder for folder in spelled - {directory} if folder.is_dir()]
    return sorted(found, key=lambda folder: folder.stat().st_mtime, reverse=True)


def _held(lock: Path) -> bool:
    """Whether a process holds the trainer lock file `lock` now."""
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _models_folder() -> Path:
    """The user's folder of the models of stores kept elsewhere (a server's, one in memory);
    asked for only then, so a store given by its path needs no home folder."""
    return Path(user_data_dir("edgerec", appauthor=False)) / "models"


# The shop's files that edgerec before per-database model folders kept for every database server
# store in one shared folder, `models/` itself: the tuned blend, the rules, the checkpoint and
# the snapshot (the names of recommend.engine, training.checkpoint and training.published).
_SHARED_BEFORE = ("recommender.json", "rules.toml", "trainer.pt", "snapshot.npz")
_MODEL_FILES = ("trainer.pt", "snapshot.npz")


def unmoved_files(database: str | None) -> list[Path]:
    """The files that an older edgerec left in the folder every database server store shared
    (`models/`), where this server store's own folder has none of them; [] otherwise.

    They may be any of the stores of that machine's servers, so they are not moved for it: the
    user is told (`unmoved_said`)."""
    if not database or "://" not in database or make_url(database).get_backend_name() == "sqlite":
        return []
    own = _own_folder(database)
    if any((own / name).exists() for name in _SHARED_BEFORE):
        return []
    return [path for path in (_models_folder() / name for name in _SHARED_BEFORE) if path.is_file()]


def unmoved_said(database: str | None) -> str | None:
    """What `unmoved_files` found, said with the command that moves them; None where none."""
    found = unmoved_files(database)
    if not found:
        return None
    own = _own_folder(database)
    names = ", ".join(path.name for path in found)
    moving = " ".join(shlex.quote(str(path)) for path in found)
    return (
        f"{found[0].parent} holds {names}, kept there by an older edgerec for whichever database "
        f"server store it tuned or trained (before each had a folder of its own); this store's "
        f"folder, {own}, has none, so they are not used. If they are this store's, move them: "
        f"mkdir -p {shlex.quote(str(own))} && mv {moving} {shlex.quote(str(own))}/"
    )


def shared_model_files(database: str | None) -> list[Path]:
    """The checkpoint and snapshot an older edgerec left in the folder every database server
    store shared, for a server store; `forget-user` cannot tell whose customers they hold."""
    if not database or "://" not in database or make_url(database).get_backend_name() == "sqlite":
        return []
    return [path for path in (_models_folder() / name for name in _MODEL_FILES) if path.is_file()]


# Durable files go to disk a chunk at a time, with a pause between chunks: a snapshot of a big
# catalogue is tens of megabytes, and synced in one piece it held up the database's commit
# syncs behind it on the same disk for 20-80 ms.
_CHUNK_BYTES = 1 << 18
_CHUNK_PAUSE_S = 0.001


class FileWriteError(OSError):
    """A file that the disk refused (full, or not writable): the file before it is kept."""


@contextlib.contextmanager
def _refusals_said(path: Path) -> Iterator[None]:
    """An OSError writing `path` becomes a `FileWriteError` that says it in one line."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            why = f"the disk is full ({exc.strerror}). Nothing was replaced; free some space and try again."
        else:
            why = f"{exc.strerror or exc}. Nothing was replaced."
        error = FileWriteError(f"could not write {path}: {why}")
        error.errno = exc.errno
        raise error from exc


def write_atomically(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Writes to a temporary file, syncs it, renames it over `path` and syncs the directory.

    A reader sees the old file or the new one, never a mix; after a power cut, the same. With
    `durable=False` nothing is synced: for a file that is rewritten every second anyway and
    that a reader may find empty after a power cut, the syncs are not worth the disk time they
    take from the database's own commits. A write the disk refuses is a `FileWriteError`
    saying so in one line.
    """
    with _refusals_said(path):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = temporary_name(path, "tmp")
        try:
            _write(temporary, data, durable=durable)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        if not durable:
            return
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def check_room(path: Path, size: int = 1 << 16) -> None:
    """Raises `FileWriteError` where `path` could not be written now (a full disk, a folder
    that is not writable): for a command to say so before its long work, not after it."""
    with _refusals_said(path):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = temporary_name(path, "tmp")
        try:
            _write(temporary, bytes(size), durable=False)
        finally:
            temporary.unlink(missing_ok=True)


def _write(path: Path, data: bytes, *, durable: bool) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            chunk = view[:_CHUNK_BYTES]
            while chunk:
                chunk = chunk[os.write(fd, chunk) :]
            view = view[_CHUNK_BYTES:]
            if durable:
                os.fdatasync(fd)
                if view:
                    time.sleep(_CHUNK_PAUSE_S)
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)


def trainer_lock(directory: Path) -> Path:
    """The file a running trainer of the model in `directory` holds locked."""
    return directory.with_name(directory.name + ".lock")


# What a holder of a store's trainer lock does, written after its process id: a trainer, or
# forget-user retraining the model without the customer it forgets.
TRAINER, FORGET_USER = "trainer", "forget-user"
_WAIT_S = 0.1  # how often a process that waits for the lock tries it again


def lock_holder(directory: Path) -> int | None:
    """The process id the process that took the store's lock wrote into it (`only_trainer`)."""
    try:
        text = trainer_lock(directory).read_text()
    except (OSError, ValueError):
        return None
    pid, _ = _held_by(text)
    return int(pid) if pid.isdigit() else None


def _held_by(text: str) -> tuple[str, str]:
    """The process id and what it does, from the lock file's text (a trainer where it says
    nothing: a lock written before the kind was)."""
    words = text.split()
    return (words[0] if words else "?"), (words[1] if len(words) > 1 else TRAINER)


class TrainerRunning(RuntimeError):
    """Another process is training this store's model: a trainer, or forget-user (`holder`)."""

    def __init__(self, pid: str, holder: str) -> None:
        self.pid, self.holder = pid, holder
        if holder == FORGET_USER:
            said = (
                f"forget-user (process {pid}) is retraining this store's model without the customer it"
                " forgets; wait for it to finish, then try again"
            )
        else:
            said = f"another trainer (process {pid}) is training this store's model; stop it first"
        super().__init__(said)


@contextlib.contextmanager
def only_trainer(
    directory: Path,
    *,
    holder: str = TRAINER,
    waits_for: frozenset[str] = frozenset(),
    on_wait: Callable[[str, str], None] | None = None,
) -> Iterator[None]:
    """Holds the store's trainer lock: two trainers following one store would publish over each
    other's snapshots (one of them behind). The lock goes with the process, however it ends.
    It is a file beside the model folder, not in it: a folder deleted under a running trainer
    took its lock along, and a second trainer was let in. It says who holds it (`holder`): a
    process it finds held waits while the holder does what is in `waits_for`, and otherwise
    gets `TrainerRunning` naming it. `on_wait` hears once, with the holder's process id and what
    it does, that this process waits. A folder or lock file the disk refuses (mounted read-only,
    a folder this user may not write) is a `FileWriteError` saying so in one line."""
    with _refusals_said(directory):
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(trainer_lock(directory), os.O_RDWR | os.O_CREAT, 0o600)
    told = False

    def blocked() -> None:
        nonlocal told
        pid, doing = _held_by(holder_named(fd))
        if doing not in waits_for:
            raise TrainerRunning(pid, doing) from None
        if on_wait is not None and not told:
            on_wait(pid, doing)
            told = True

    try:
        lock_when_free(fd, blocked, _WAIT_S)
        name_holder(fd, holder)
        yield
    finally:
        os.close(fd)
