"""Where the trainer keeps its files, and how it writes them so a crash never leaves half a file."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir


def model_dir(database_path: str | None) -> Path:
    """`<database name>.models/` beside a database file; the data directory for a server URL."""
    if database_path:
        db = Path(database_path)
        return db.with_name(db.name + ".models")
    return Path(user_data_dir("edgerec", appauthor=False)) / "models"


def write_atomically(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Writes to a temporary file, syncs it, renames it over `path` and syncs the directory.

    A reader sees the old file or the new one, never a mix; after a power cut, the same. With
    `durable=False` nothing is synced: for a file that is rewritten every second anyway and
    that a reader may find empty after a power cut, the syncs are not worth the disk time they
    take from the database's own commits.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)
    try:
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
