"""Compressed import files (gzip, bzip2, xz, a zip archive of one file), read as a stream.

Public datasets often ship compressed: Amazon's reviews as `*.json.gz`, Taobao's UserBehavior
as a `.zip` of one CSV. The compression is told by a file's first bytes, not by its name, and
nothing is unpacked to disk. Decisions made on a file's name (its format, the companion files
beside it) go by the name of the data inside (`data_path`): `ratings.csv.gz` is read as a
`ratings.csv`, and a zip archive as the file it holds.

A compressed file that is damaged or cut short (a broken download) is found before anything
is imported (`check_readable` reads it through once); reading it raises FormatError naming the
file, never a bare decompressor error.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO

from edgerec.ingest.errors import FormatError

_MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"), (b"PK\x03\x04", "zip"))
_SUFFIXES = {"gzip": (".gz", ".gzip"), "bzip2": (".bz2",), "xz": (".xz",)}
_OPENERS: dict[str, Any] = {"gzip": gzip.open, "bzip2": bz2.open, "xz": lzma.open}
# What the decompressors raise on damaged or cut-short data (gzip's BadGzipFile is an OSError).
_DAMAGE = (EOFError, OSError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)


def compression(path: str | Path) -> str | None:
    """ "gzip", "bzip2", "xz" or "zip" from the file's first bytes; None for a plain file."""
    with open(path, "rb") as file:
        start = file.read(6)
    return next((kind for magic, kind in _MAGIC if start.startswith(magic)), None)


def open_bytes(path: str | Path) -> BinaryIO:
    """The file's data as a binary stream, decompressed as it is read."""
    kind = compression(path)
    if kind is None:
        return open(path, "rb")
    try:
        if kind == "zip":
            with zipfile.ZipFile(path) as archive:
                # The member keeps the archive's file open after the archive object is closed.
                stream = archive.open(_only_member(path, archive))
        else:
            stream = _OPENERS[kind](path, "rb")
    except _DAMAGE as exc:
        raise _damaged(path, kind, exc) from exc
    return _Checked(stream, path, kind)  # type: ignore[return-value]


class _Checked:
    """A decompressing stream whose damaged data is a FormatError naming the file."""

    __slots__ = ("stream", "path", "kind")

    def __init__(self, stream: Any, path: str | Path, kind: str) -> None:
        self.stream, self.path, self.kind = stream, path, kind

    def read(self, size: int = -1) -> bytes:
        try:
            return self.stream.read(size)  # type: ignore[no-any-return]
        except _DAMAGE as exc:
            raise _damaged(self.path, self.kind, exc) from exc

    def readline(self, size: int = -1) -> bytes:
        try:
            return self.stream.readline(size)  # type: ignore[no-any-return]
        except _DAMAGE as exc:
            raise _damaged(self.path, self.kind, exc) from exc

    def __iter__(self) -> _Checked:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> _Checked:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _damaged(path: str | Path, kind: str, exc: BaseException) -> FormatError:
    return FormatError(
        f"{path}: the {kind} data is damaged or cut short ({exc or type(exc).__name__}); "
        "fetch or copy the file again"
    )


def data_path(path: str | Path) -> Path:
    """The path the data inside would have unpacked beside the file (the file itself when it is
    not compressed): `ratings.csv.gz` -> `ratings.csv`; a zip archive -> the file it holds."""
    path = Path(path)
    kind = compression(path) if path.is_file() else None
    if kind is None:
        return path
    if kind == "zip":
        try:
            with zipfile.ZipFile(path) as archive:
                return path.with_name(Path(_only_member(path, archive).filename).name)
        except _DAMAGE as exc:
            raise _damaged(path, kind, exc) from exc
    return path.with_suffix("") if path.suffix.lower() in _SUFFIXES[kind] else path


def beside(path: str | Path, name: str) -> Path | None:
    """The companion file `name` in the same folder as `path`, plain or compressed (`movies.csv`,
    `movies.csv.gz`, ...); None when there is none, or it is `path` itself."""
    folder = Path(path).parent
    for suffix in ("", ".gz", ".gzip", ".bz2", ".xz", ".zip"):
        candidate = folder / f"{name}{suffix}"
        if candidate.is_file() and candidate != Path(path):
            return candidate
    return None


def _only_member(path: str | Path, archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    members = [
        info
        for info in archive.infolist()
        if not info.is_dir() and not info.filename.startswith("__MACOSX/") and not _hidden(info.filename)
    ]
    if len(members) != 1:
        shown = ", ".join(info.filename for info in members[:6]) + (", ..." if len(members) > 6 else "")
        raise FormatError(
            f"{path}: a zip archive of {len(members)} files ({shown or 'none'}); "
            "unpack it and import the file you want"
        )
    return members[0]


def _hidden(name: str) -> bool:
    return Path(name).name.startswith(".")


def check_readable(path: str | Path) -> None:
    """FormatError for a compressed file that cannot be read as a stream: Parquet (which
    compresses its own columns and is read from its end first)."""
    if (
        Path(path).is_file()
        and compression(path) is not None
        and data_path(path).suffix.lower() == ".parquet"
    ):
        raise FormatError(f"{path}: a compressed Parquet file; unpack it first (Parquet compresses itself)")
