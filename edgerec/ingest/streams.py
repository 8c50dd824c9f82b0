"""Opening import files as streams of UTF-8-compatible bytes: decompressed, and transcoded.

Public datasets often ship compressed: Amazon's reviews as `*.json.gz`, Taobao's UserBehavior
as a `.zip` of one CSV. The compression is told by a file's first bytes, not by its name, and
nothing is unpacked to disk. Decisions made on a file's name (its format, the companion files
beside it) go by the name of the data inside (`data_path`): `ratings.csv.gz` is read as a
`ratings.csv`, and a zip archive as the file it holds. An Excel workbook is a zip file too, but
not an archive of files to unpack: `workbook.py` reads it.

A compressed file that is damaged or cut short (a broken download) is found before anything
is imported (`check_readable` reads it through once); reading it raises FormatError naming the
file, never a bare decompressor error.

A file that starts with a UTF-16 or UTF-32 byte-order mark (Excel's "Unicode text", Windows
PowerShell's files) is transcoded to UTF-8 as it is read, so that the readers, which split
lines at the byte b"\\n", see one encoding of text that keeps each line's bytes together. Other
encodings (cp1252, latin-1, ...) keep "\\n" as that byte: the readers decode them line by line
(`line_encoding`), so that a line that is not valid in them is quarantined on its own.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import zipfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO

from edgerec.ingest.errors import FormatError
from edgerec.ingest.workbook import check_not_legacy, is_workbook

_MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"), (b"PK\x03\x04", "zip"))
_SUFFIXES = {"gzip": (".gz", ".gzip"), "bzip2": (".bz2",), "xz": (".xz",)}
_OPENERS: dict[str, Any] = {"gzip": gzip.open, "bzip2": bz2.open, "xz": lzma.open}
# What the decompressors raise on damaged or cut-short data (gzip's BadGzipFile is an OSError).
_DAMAGE = (EOFError, OSError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16's: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def compression(path: str | Path) -> str | None:
    """ "gzip", "bzip2", "xz" or "zip" from the file's first bytes; None for a plain file."""
    with open(path, "rb") as file:
        start = file.read(6)
    kind = next((kind for magic, kind in _MAGIC if start.startswith(magic)), None)
    return None if kind == "zip" and is_workbook(path) else kind  # a workbook is read as a sheet


def open_bytes(path: str | Path) -> BinaryIO:
    """The file's data as a binary stream, decompressed, and UTF-16/32 as UTF-8, as it is read."""
    stream, kind = _open_data(path)
    wide = _wide_encoding(stream, path, kind)
    newline = None if _carriage_returns_only(stream, wide or "latin-1") else "\n"
    if wide is not None:
        stream = _Transcoded(stream, wide, newline=newline)
    elif newline is None:
        # Byte for byte (latin-1 decodes every byte as itself), its line ends made "\n".
        stream = _Transcoded(stream, "latin-1", out="latin-1", newline=None)
    return stream if kind is None else _Checked(stream, path, kind)  # type: ignore[no-any-return]


def _carriage_returns_only(stream: Any, encoding: str) -> bool:
    """Whether lines end in "\r" alone, as in Excel for Mac's "CSV (Macintosh)" files (where a
    line break inside a cell is a "\n"), in a file of `encoding`."""
    try:
        start = stream.peek(1 << 16)[: 1 << 16].decode(encoding, "ignore")
    except _DAMAGE:
        return False  # said by the first read, with the file's name
    return "\r\n" not in start and start.count("\r") > start.count("\n")


def _open_data(path: str | Path) -> tuple[Any, str | None]:
    """The file's data, decompressed as it is read, and its compression (None: plain)."""
    kind = compression(path)
    if kind is None:
        return open(path, "rb"), None  # noqa: SIM115 - returned open, for the caller to close
    try:
        if kind == "zip":
            with zipfile.ZipFile(path) as archive:
                # The member keeps the archive's file open after the archive object is closed.
                return archive.open(_only_member(path, archive)), kind
        return _OPENERS[kind](path, "rb"), kind
    except _DAMAGE as exc:
        raise _damaged(path, kind, exc) from exc


def _wide_encoding(stream: Any, path: str | Path, kind: str | None) -> str | None:
    """ "utf-16" or "utf-32" when the data starts with that byte-order mark, else None."""
    try:
        start = stream.peek(4)[:4]
    except _DAMAGE as exc:
        if kind is None:
            raise
        raise _damaged(path, kind, exc) from exc
    return next((name for bom, name in _BOMS if start.startswith(bom)), None)


def line_encoding(name: str | None) -> str:
    """The encoding the readers decode a file's lines in, given the one named for it: UTF-8
    unless another is named (UTF-16 and UTF-32 files reach them as UTF-8 already)."""
    if name is None:
        return "utf-8"
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise FormatError(f"unknown encoding {name!r}; for example utf-8, cp1252, latin-1, cp1251") from None
    return "utf-8" if codec.startswith(("utf-8", "utf-16", "utf-32")) else codec


def check_encoding(path: str | Path, name: str | None) -> None:
    """FormatError for an encoding that cannot be named for this file: unknown, UTF-16/32 for
    a file without the byte-order mark that says which byte order it has, or another one for
    a file whose byte-order mark says it is UTF-16/32."""
    line_encoding(name)
    if name is None:
        return
    stream, kind = _open_data(path)
    with stream:
        wide = _wide_encoding(stream, path, kind)
    named_wide = codecs.lookup(name).name.startswith(("utf-16", "utf-32"))
    if named_wide and wide is None:
        raise FormatError(
            f"{path}: no byte-order mark, so not {name} as edgerec reads it; "
            "save it as UTF-8, or with a byte-order mark"
        )
    if wide is not None and not named_wide:
        raise FormatError(
            f"{path}: its byte-order mark says it is {wide.upper()}, not {name}: leave out --encoding"
        )


class _Stream:
    """What the readers use of a binary file (read, readline, iteration by line, `with`), for
    the wrappers below."""

    __slots__ = ()

    def read(self, size: int = -1) -> bytes:
        raise NotImplementedError

    def readline(self, size: int = -1) -> bytes:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __iter__(self) -> _Stream:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def __enter__(self) -> _Stream:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _Transcoded(_Stream):
    """A stream read as text in `encoding` and handed on as bytes in `out`: a UTF-16 or UTF-32
    file as UTF-8, lines ending only at "\\n" as in the file (newline=None: at "\\r" too)."""

    __slots__ = ("text", "out")

    def __init__(self, stream: Any, encoding: str, *, out: str = "utf-8", newline: str | None = "\n") -> None:
        self.text = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline=newline)
        self.out = out

    def read(self, size: int = -1) -> bytes:
        return self.text.read(size).encode(self.out)

    def readline(self, size: int = -1) -> bytes:
        return self.text.readline(size).encode(self.out)

    def close(self) -> None:
        self.text.close()


class _Checked(_Stream):
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

    def close(self) -> None:
        self.stream.close()


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


def data_suffix(path: str | Path) -> str:
    """The data's own suffix, in lower case: ".csv" for `ratings.CSV.gz`."""
    return data_path(path).suffix.lower()


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


def check_readable(path: str | Path) -> int | None:
    """FormatError, before anything is imported, for a file that cannot be read: an Excel
    97-2003 workbook; a compressed file that is damaged or cut short (it is read through once);
    compressed Parquet, which compresses its own columns and is read from its end first.

    Returns the lines of a compressed file, counted on that one pass (None for a plain file,
    which is not read here)."""
    if not Path(path).is_file():
        return None
    if Path(path).stat().st_size == 0:
        raise FormatError(f"{path}: the file is empty")
    check_not_legacy(path)
    if compression(path) is None:
        return None
    if data_suffix(path) == ".parquet":
        raise FormatError(f"{path}: a compressed Parquet file; unpack it first (Parquet compresses itself)")
    return count_lines(path)


def count_lines(path: str | Path) -> int:
    """Newlines in a file's data (plus one for a last line without one), read in blocks."""
    total = 0
    last = b"\n"
    with open_bytes(path) as file:
        while block := file.read(1 << 22):
            total += block.count(b"\n")
            last = block[-1:]
    return total + (last != b"\n")
