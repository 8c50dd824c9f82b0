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
import re
import tarfile
import zipfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO

from edgerec.ingest.errors import FormatError
from edgerec.ingest.workbook import check_not_legacy, is_workbook, legacy_workbook

_MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"), (b"PK\x03\x04", "zip"))
# Compressions and archives that are not read, each with the command that unpacks it: read as
# text, a .zst was refused as "not utf-8", naming an --encoding that could not help.
_UNREAD = (
    (b"\x28\xb5\x2f\xfd", "zstandard-compressed file", "zstd -d"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive", "7z x"),
    (b"Rar!\x1a\x07", "RAR archive", "unrar x"),
)
_SUFFIXES = {"gzip": (".gz", ".gzip"), "bzip2": (".bz2",), "xz": (".xz",)}
_OPENERS: dict[str, Any] = {"gzip": gzip.open, "bzip2": bz2.open, "xz": lzma.open}
# What the decompressors raise on damaged or cut-short data (gzip's BadGzipFile is an OSError).
DAMAGE = (EOFError, OSError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)
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


_START = 1 << 16  # what the line ends and the byte-order mark are told from
_QUOTED = re.compile(r'"[^"]*"')  # a line break inside a quoted cell is no line end


def open_bytes(path: str | Path) -> BinaryIO:
    """The file's data as a binary stream, decompressed, and UTF-16/32 as UTF-8, as it is read."""
    stream, kind = _open_data(path)
    start = _read_start(stream, path, kind)
    inner = next((name for magic, name in _MAGIC if start.startswith(magic)), None)
    if kind is not None and inner is not None:
        stream.close()
        raise FormatError(
            f"{path}: the data inside this {kind} file is itself {inner}-compressed: unpack it once, "
            "then import what it holds"
        )
    if _tar_header(start):
        stream.close()
        raise FormatError(_tar_archive(path, kind))
    unread = next(((what, command) for magic, what, command in _UNREAD if start.startswith(magic)), None)
    if unread is not None:
        stream.close()
        what, command = unread
        raise FormatError(
            f"{path}: a {what}; unpack it ({command} {Path(path).name}) and import what it holds"
        )
    stream = io.BufferedReader(_Replayed(start, stream), buffer_size=_START)
    wide = _bom_encoding(start)
    newline = None if _carriage_returns_only(start, wide or "latin-1") else "\n"
    if wide is not None:
        stream = _Transcoded(stream, wide, newline=newline)
    elif newline is None:
        # Byte for byte (latin-1 decodes every byte as itself), its line ends made "\n".
        stream = _Transcoded(stream, "latin-1", out="latin-1", newline=None)
    return stream if kind is None else _Checked(stream, path, kind)  # type: ignore[no-any-return]


_TAR_FLAGS = {"gzip": "z", "bzip2": "j", "xz": "J"}


def _tar_header(start: bytes) -> bool:
    """Whether a file starts with a tar header: its magic ("ustar" at byte 257) and its checksum,
    as tarfile reads one. The magic alone may be text ("Organic Dijon Mustard" there in a CSV)."""
    if start[257:262] != b"ustar":
        return False
    try:
        tarfile.TarInfo.frombuf(start[:512], "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return False
    return True


def _tar_archive(path: str | Path, kind: str | None) -> str:
    """The refusal of a tar archive (`.tar.gz`, `.tgz`, `.tar`): read as text, its files were
    joined into one, each read under the first one's header, and its headers' NUL bytes as rows."""
    names: list[str] = []
    try:
        with tarfile.open(path) as archive:
            for member in archive:
                if member.isfile() and not _hidden(member.name):
                    names.append("".join(ch for ch in member.name if ch.isprintable())[:80])
                if len(names) > 6:
                    break
    except (tarfile.TarError, *DAMAGE):
        pass
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
    files = f" ({shown})" if shown else ""
    command = f"tar -x{_TAR_FLAGS.get(kind or '', '')}f {Path(path).name}"
    return f"{path}: a tar archive of files{files}; unpack it ({command}) and import the file you want"


def _carriage_returns_only(start: bytes, encoding: str) -> bool:
    """Whether lines end in "\r" alone, as in Excel for Mac's "CSV (Macintosh)" files (where a
    line break inside a cell is a "\n"), in a file of `encoding` that starts with `start`: outside
    quoted cells, no "\r\n" and more "\r" than "\n"."""
    unquoted = _QUOTED.sub("", start.decode(encoding, "ignore"))
    return "\r\n" not in unquoted and unquoted.count("\r") > unquoted.count("\n")


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
    except DAMAGE as exc:
        raise _damaged(path, kind, exc) from exc


def _read_start(stream: Any, path: str | Path, kind: str | None) -> bytes:
    """The data's first _START bytes (fewer in a shorter file), read in full: one read of a
    zip member, a bzip2 or a multi-member gzip gives only part of them."""
    parts: list[bytes] = []
    size = 0
    try:
        while size < _START and (part := stream.read(_START - size)):
            parts.append(part)
            size += len(part)
    except DAMAGE as exc:
        stream.close()
        if kind is None:
            raise
        raise _damaged(path, kind, exc) from exc
    return b"".join(parts)


def _bom_encoding(start: bytes) -> str | None:
    """ "utf-16" or "utf-32" when the data starts with that byte-order mark, else None."""
    return next((name for bom, name in _BOMS if start.startswith(bom)), None)


class _Replayed(io.RawIOBase):
    """A stream whose first bytes were read already: they are read again, then the rest."""

    def __init__(self, start: bytes, rest: Any) -> None:
        self.start, self.rest = memoryview(start), rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.start:
            size = min(len(buffer), len(self.start))
            buffer[:size] = self.start[:size]
            self.start = self.start[size:]
            return size
        data = self.rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.rest.close()
        super().close()


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
    wide = marked_encoding(path)
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


def marked_encoding(path: str | Path) -> str | None:
    """ "utf-16" or "utf-32" when the file's data starts with that byte-order mark, else None."""
    stream, kind = _open_data(path)
    with stream:
        return _bom_encoding(_read_start(stream, path, kind))


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
        except DAMAGE as exc:
            raise _damaged(self.path, self.kind, exc) from exc

    def readline(self, size: int = -1) -> bytes:
        try:
            return self.stream.readline(size)  # type: ignore[no-any-return]
        except DAMAGE as exc:
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
        except DAMAGE as exc:
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


# The suffixes of a file of JSON lines (a `.json` file may be a JSON array: json_array reads it).
JSON_LINES_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})


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


# What a whole file of these always holds (its layout, its header): one with no data was cut short.
_NEVER_EMPTY = {".parquet": "Parquet file", ".xlsx": "workbook", ".xlsm": "workbook"}


def is_empty(path: str | Path, format_name: str | None = None) -> bool:
    """Whether the file has no bytes: a text file of no rows (an export of no events, a day
    with no sales). FormatError where its name says it is compressed (a compressed file always
    holds its header: one with no bytes was cut short), and as `check_no_data` says."""
    if Path(path).stat().st_size:
        return False
    suffix = Path(path).suffix.lower()
    kind = "zip" if suffix == ".zip" else next((k for k, names in _SUFFIXES.items() if suffix in names), None)
    if kind is not None:
        raise FormatError(
            f"{path}: the {kind} data is damaged or cut short (the file is empty); "
            "fetch or copy the file again"
        )
    check_no_data(path, format_name)
    return True


def holds_no_data(path: str | Path, format_name: str | None = None) -> bool:
    """Whether the file, or the data a compressed one holds, has no bytes: `is_empty`, and
    `check_no_data` for a compressed one, whose data is only opened here, not read through."""
    if is_empty(path, format_name):
        return True
    if compression(path) is None:
        return False
    with open_bytes(path) as stream:
        if stream.read(1):
            return False
    check_no_data(path, format_name)
    return True


def check_no_data(path: str | Path, format_name: str | None = None) -> None:
    """FormatError for a file that holds no data (no bytes, or a compressed file of none) where
    no text is meant: an empty Parquet file or workbook (by the data's name, or a format named
    for it), which a whole one never is, and an old .xls, refused as a whole one is. Text (CSV,
    JSON lines, ...) holds no rows."""
    inside = data_path(path)
    if inside.suffix.lower() == ".xls":
        raise legacy_workbook(path)
    kind = (
        "Parquet file"
        if (format_name or "").lower() == "parquet"
        else _NEVER_EMPTY.get(inside.suffix.lower())
    )
    if kind is not None:
        empty = "the file is empty" if inside == Path(path) else f"the {inside.name} inside is empty"
        raise FormatError(f"{path}: {empty}, which a {kind} never is; write or copy it again")


def check_regular_file(path: str | Path) -> None:
    """FormatError for a path that is there but no file: a device or a pipe (/dev/zero was read
    for ever), or a folder."""
    if Path(path).exists() and not Path(path).is_file():
        raise FormatError(f"{path}: not a file but a device, a pipe or a folder; import a file")


def check_readable(path: str | Path, format_name: str | None = None) -> int | None:
    """FormatError, before anything is imported, for a file that cannot be read: an Excel
    97-2003 workbook; a compressed file that is damaged or cut short (it is read through once);
    compressed Parquet, which compresses its own columns and is read from its end first; a file
    with no data where no text is meant (`is_empty`, `check_no_data`), read as `format_name`.

    Returns the lines of a compressed file, counted on that one pass (0: it holds nothing), 0
    for an empty file, and None for any other plain file, which is not read here."""
    if not Path(path).is_file():
        return None
    if is_empty(path, format_name):
        return 0
    check_not_legacy(path)
    if compression(path) is None:
        return None
    if data_suffix(path) == ".parquet":
        raise FormatError(f"{path}: a compressed Parquet file; unpack it first (Parquet compresses itself)")
    lines = count_lines(path)
    if lines == 0:  # a compressed file of no data: a zip holding an empty book.xlsx, say
        check_no_data(path, format_name)
    return lines


def count_lines(path: str | Path) -> int:
    """Newlines in a file's data (plus one for a last line without one), read in blocks."""
    total = 0
    last = b"\n"
    with open_bytes(path) as file:
        while block := file.read(1 << 22):
            total += block.count(b"\n")
            last = block[-1:]
    return total + (last != b"\n")
