"""Reading delimited text files record by record, without ever losing a line.

Every physical line ends up in exactly one record or one rejected record, with its line number
and raw text, so that an import can account for each row it read (accepted + quarantined ==
read). Lines are decoded one at a time: a line that is not valid in the file's encoding, or is
absurdly long, is rejected on its own instead of failing the whole file.
"""

from __future__ import annotations

import csv
import json
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from edgerec.ingest import workbook
from edgerec.ingest.errors import FormatError
from edgerec.ingest.streams import open_bytes

# A line longer than this is rejected unread; no field of any event may be this long anyway.
MAX_LINE_BYTES = 1 << 20
RAW_KEEP = 1_000  # characters of raw text kept for a quarantined row
# The rows of a file's first chunk (import_file's chunk_rows): what a reader judges its
# columns by, and what a refusal's hints are looked for in.
CHUNK_ROWS = 50_000

# A quoted field may hold line breaks, but a record running over more lines than this is a
# quote that was opened and never closed: it would swallow the rest of the file.
MAX_RECORD_LINES = 200
UNCLOSED_QUOTE = (
    "malformed_row",
    'a quote (") opened on this line is never closed; the lines after it are read on their own',
)


def json_loads(text: str | bytes) -> Any:
    """`json.loads`, where JSON nested deeper than the parser recurses is a ValueError, as any
    other text that is no JSON a file can hold is (a line of ten thousand "[" took the import
    down with a RecursionError)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None


@dataclass(slots=True)
class RawChunk:
    """Up to `chunk_rows` records of one file, in file order.

    `records[i]` is None when record i could not be parsed; `problems[i]` then says why.
    """

    lines: list[int] = field(default_factory=list)
    raws: list[str] = field(default_factory=list)
    records: list[list[str] | None] = field(default_factory=list)
    problems: dict[int, tuple[str, str]] = field(default_factory=dict)
    after: bool = False  # another chunk of the file came before it

    def __len__(self) -> int:
        return len(self.lines)

    def add(self, line: int, raw: str, record: list[str] | None, problem: tuple[str, str] | None) -> None:
        if problem is not None:
            self.problems[len(self.lines)] = problem
            record = None
        self.lines.append(line)
        self.raws.append(raw)
        self.records.append(record)


# The way out of a row whose quotes (") do not surround its fields: they are the text's own.
_QUOTES_AS_TEXT = (
    '; if the quotes (") in this file are text, not around fields, read it with --map quote=none'
)


def name_quotes_as_text(chunk: RawChunk) -> None:
    """Names quote=none in each malformed row's problem: a tab-separated file's `"Weird Al"
    Yankovic` is no quoted field, and the csv module's words ('\t' expected after '"') say
    nothing of how to read it."""
    for i, (reason, detail) in chunk.problems.items():
        if reason == "malformed_row" and '"' in detail:  # not a field over csv's size limit
            chunk.problems[i] = (reason, detail + _QUOTES_AS_TEXT)


def unquote_whole_fields(chunk: RawChunk) -> None:
    """With quote=none, a field wholly in quotes with none inside (Last.fm's `"Heroes"`) read
    as the default reading gives it, without them: read once with and once without quote=none,
    the same row is the same event, not one under two items."""
    for record in chunk.records:
        if record is None:
            continue
        for i, value in enumerate(record):
            if len(value) >= 2 and value[0] == value[-1] == '"' and '"' not in value[1:-1]:
                record[i] = value[1:-1]


class _RunawayRecord(Exception):
    """A record ran over MAX_RECORD_LINES lines: an opened quote that never closes."""


class _Lines:
    """Iterates decoded lines for csv.reader, remembering the raw text of the current record.

    The lines of a record found to be a runaway quote can be read again (`reread_after_first`).
    """

    __slots__ = ("file", "encoding", "number", "first", "buffer", "problems", "problem", "again", "ended")

    def __init__(self, file: BinaryIO, encoding: str, number: int = 0) -> None:
        self.file = file
        self.encoding = encoding
        self.number = number
        self.first = number + 1
        self.buffer: list[str] = []
        self.problems: list[tuple[str, str] | None] = []  # of each line in `buffer`
        self.problem: tuple[str, str] | None = None
        self.again: deque[tuple[str, tuple[str, str] | None]] = deque()  # lines to read again
        self.ended = False  # the file ended while a record was read: inside a quoted field

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if len(self.buffer) >= MAX_RECORD_LINES:
            raise _RunawayRecord
        if self.again:
            text, problem = self.again.popleft()
            return self._keep(text, problem)
        raw = self.file.readline(MAX_LINE_BYTES)
        if not raw:
            self.ended = bool(self.buffer)
            raise StopIteration
        if len(raw) >= MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while True:  # skip the rest of the line without holding it
                more = self.file.readline(MAX_LINE_BYTES)
                if not more or more.endswith(b"\n"):
                    break
            text = raw[:RAW_KEEP].decode(self.encoding, "replace")
            self._keep(text, ("line_too_long", f"longer than {MAX_LINE_BYTES} bytes"))
            return "\n"
        problem = None
        try:
            text = raw.decode(self.encoding)
        except UnicodeDecodeError as exc:
            text = raw.decode(self.encoding, "replace")
            problem = ("invalid_encoding", encoding_problem(self.encoding, exc))
        if self.number == 0 and text.startswith("\ufeff"):
            text = text[1:]
        return self._keep(text, problem)

    def _keep(self, text: str, problem: tuple[str, str] | None) -> str:
        self.number += 1
        self.buffer.append(text)
        self.problems.append(problem)
        self.problem = self.problem or problem
        return text

    def runaway(self, record: list[str], width: int | None) -> bool:
        """Whether the record just read, over several lines, is an opened quote that never
        closed: it ran to the end of the file, or it has another number of fields than the
        header (it ran on until some later quote)."""
        if len(self.buffer) < 2:
            return False
        if self.ended:
            return True
        trailing_delimiter = len(record) == (width or 0) + 1 and not record[-1]
        return width is not None and len(record) != width and not trailing_delimiter

    def reread_after_first(self) -> tuple[int, str, tuple[str, str] | None]:
        """The record's first line as a rejected record; its other lines are read again."""
        first, text = self.first, self.buffer[0]
        problem = self.problems[0] or UNCLOSED_QUOTE
        self.again.extendleft(reversed(list(zip(self.buffer[1:], self.problems[1:], strict=True))))
        self.ended = False
        self.number = first
        self.first = first + 1
        self.buffer.clear()
        self.problems.clear()
        self.problem = None
        return first, text.rstrip("\r\n")[:RAW_KEEP], problem

    def take(self) -> tuple[int, str, tuple[str, str] | None]:
        """The first line number, raw text and problem of the record just read; then resets."""
        first, raw, problem = self.first, "".join(self.buffer), self.problem
        self.first = self.number + 1
        self.buffer.clear()
        self.problems.clear()
        self.problem = None
        self.ended = False
        return first, raw.rstrip("\r\n")[:RAW_KEEP], problem


def header_names(fields: list[str]) -> list[str]:
    """A header's column names, trimmed; a trailing delimiter names no column."""
    names = [name.strip() for name in fields]
    while len(names) > 1 and not names[-1]:
        names.pop()
    return names


def refuse_header(path: str | Path, line: int, problem: tuple[str, str]) -> None:
    """FormatError for a header line that cannot be read: taking the next line for the header,
    or reading every row without column names, would be refused with the wrong reason."""
    raise FormatError(f"{path}: the header line (line {line}) cannot be read: {problem[1]}")


def check_header_line(path: str | Path, encoding: str = "utf-8") -> None:
    """refuse_header for a header line (the first line that is not blank) that is not text in
    `encoding`: its names read leniently are mangled, and a column the import needs would be
    reported missing instead of the encoding."""
    if workbook.is_workbook(path):
        return
    with open_bytes(path) as file:
        number = 0
        while raw := file.readline(MAX_LINE_BYTES):
            number += 1
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                refuse_header(path, number, ("invalid_encoding", encoding_problem(encoding, exc)))
            if text.lstrip("\ufeff").strip():
                return


def encoding_problem(encoding: str, exc: UnicodeDecodeError) -> str:
    """Why a line is not text in `encoding`; for UTF-8, how to name the file's own encoding."""
    hint = " (if the file is in another encoding, name it: --encoding cp1252)" if encoding == "utf-8" else ""
    return f"not {encoding}: {exc.reason} at byte {exc.start}{hint}"


def read_records(
    path: str | Path,
    *,
    delimiter: str,
    header: bool,
    chunk_rows: int,
    encoding: str = "utf-8",
    quoting: int = csv.QUOTE_MINIMAL,
    skipinitialspace: bool = False,
) -> Iterator[tuple[list[str] | None, RawChunk]]:
    """Yields (header fields or None, chunk) for each chunk of records of a delimited file.

    Blank lines are skipped and are not records. A delimiter of " " splits on runs of spaces.
    An Excel workbook is read as the CSV of the sheet it reads would be (`workbook.rows`).
    """
    if workbook.is_workbook(path):
        yield from _workbook_records(path, header, chunk_rows)
        return
    if quoting == csv.QUOTE_NONE or not _contains(path, b'"'):
        # Without quotes a record is one line split on the delimiter: no csv machinery needed.
        yield from _unquoted_records(path, delimiter, header, chunk_rows, encoding)
        return
    with open_bytes(path) as file:
        lines = _Lines(file, encoding)

        def new_reader() -> Iterator[list[str]]:
            space = skipinitialspace or delimiter == " "
            # strict: a quote that closes where no field ends (a later field's opening quote,
            # reached by one never closed) is an error, not text
            return csv.reader(
                lines, delimiter=delimiter, quoting=quoting, skipinitialspace=space, strict=True
            )

        reader = new_reader()
        names: list[str] | None = None
        chunk = RawChunk()
        while True:
            try:
                record = next(reader)
            except StopIteration:
                break
            except _RunawayRecord:
                first, raw, problem = lines.reread_after_first()
                if header and names is None:
                    refuse_header(path, first, problem)
                chunk.add(first, raw, None, problem)
                reader = new_reader()  # the old one is inside the quote
            except csv.Error as exc:
                if len(lines.buffer) > 1:  # over several lines: a quote opened and never closed
                    first, raw, problem = lines.reread_after_first()
                    reader = new_reader()
                else:
                    ended, (first, raw, problem) = lines.ended, lines.take()
                    problem = problem or (UNCLOSED_QUOTE if ended else ("malformed_row", str(exc)))
                    if header and names is None and not ended and problem[0] == "malformed_row":
                        names = _lenient_header(raw, delimiter, quoting)
                        if names is not None:
                            continue
                if header and names is None:
                    refuse_header(path, first, problem)
                chunk.add(first, raw, None, problem)
            else:
                if (names is not None or not header) and lines.runaway(record, len(names or ()) or None):
                    first, raw, problem = lines.reread_after_first()
                    chunk.add(first, raw, None, problem)
                    reader = new_reader()
                    if len(chunk) >= chunk_rows:
                        yield names, chunk
                        chunk = RawChunk(after=True)
                    continue
                first, raw, problem = lines.take()
                blank = not record or (len(record) == 1 and not record[0].strip())
                if blank and problem is None:
                    continue  # a blank line is not a record
                if header and names is None:
                    if problem is not None:
                        refuse_header(path, first, problem)
                    names = header_names(record)
                    continue
                chunk.add(first, raw, record, problem)
            if len(chunk) >= chunk_rows:
                yield names, chunk
                chunk = RawChunk(after=True)
        if len(chunk) or names is None or not chunk.after:
            yield names, chunk


def _lenient_header(raw: str, delimiter: str, quoting: int) -> list[str] | None:
    """A header line the strict csv rules refuse, read without them: a space after its last
    quote, say, names no column. None where even that fails."""
    reader = csv.reader([raw], delimiter=delimiter, quoting=quoting, skipinitialspace=True)
    try:
        return header_names(next(reader, []))
    except csv.Error:
        return None


def _workbook_records(
    path: str | Path, header: bool, chunk_rows: int
) -> Iterator[tuple[list[str] | None, RawChunk]]:
    names: list[str] | None = None
    chunk = RawChunk()
    for number, cells in workbook.rows(path):
        if header and names is None:
            names = header_names(cells)
            continue
        chunk.add(number, workbook.as_line(cells)[:RAW_KEEP], cells, None)
        if len(chunk) >= chunk_rows:
            yield names, chunk
            chunk = RawChunk(after=True)
    if len(chunk) or names is None or not chunk.after:
        yield names, chunk


def _contains(path: str | Path, needle: bytes) -> bool:
    with open_bytes(path) as file:
        while block := file.read(1 << 22):
            if needle in block:
                return True
    return False


def _unquoted_records(
    path: str | Path, delimiter: str, header: bool, chunk_rows: int, encoding: str
) -> Iterator[tuple[list[str] | None, RawChunk]]:
    """read_records for a file without quote characters; the same records, line numbers, problems."""
    names: list[str] | None = None
    chunk = RawChunk()
    number = 0
    split_space = delimiter == " "
    with open_bytes(path) as file:
        readline = file.readline
        while raw := readline(MAX_LINE_BYTES):
            number += 1
            problem: tuple[str, str] | None = None
            if len(raw) >= MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while (more := readline(MAX_LINE_BYTES)) and not more.endswith(b"\n"):
                    pass  # skip the rest of the line without holding it
                text = raw[:RAW_KEEP].decode(encoding, "replace")
                problem = ("line_too_long", f"longer than {MAX_LINE_BYTES} bytes")
            else:
                try:
                    text = raw.decode(encoding)
                except UnicodeDecodeError as exc:
                    text = raw.decode(encoding, "replace")
                    problem = ("invalid_encoding", encoding_problem(encoding, exc))
            if number == 1 and text.startswith("\ufeff"):
                text = text[1:]
            text = text.rstrip("\r\n")
            if problem is None and not text.strip():
                continue  # a blank line is not a record
            record = text.split() if split_space else text.split(delimiter)
            if header and names is None:
                if problem is not None:
                    refuse_header(path, number, problem)
                names = header_names(record)
                continue
            chunk.add(number, text[:RAW_KEEP], None if problem else record, problem)
            if len(chunk) >= chunk_rows:
                yield names, chunk
                chunk = RawChunk(after=True)
    if len(chunk) or names is None or not chunk.after:
        yield names, chunk


def head_lines(path: str | Path, count: int = 20, encoding: str = "utf-8") -> list[str]:
    """The first lines of a text file, decoded leniently, for format detection (of a workbook,
    its first rows as CSV lines)."""
    if workbook.is_workbook(path):
        return workbook.head_lines(path, count)
    out: list[str] = []
    with open_bytes(path) as file:
        for _ in range(count):
            raw = file.readline(64 * 1024)
            if not raw:
                break
            out.append(raw.decode(encoding, "replace").lstrip("\ufeff").rstrip("\r\n"))
    return [line for line in out if line.strip()]


def sniff_delimiter(lines: Sequence[str]) -> str:
    """The delimiter of a file's first lines: a tab, semicolon, pipe or comma; spaces (" ", runs
    of them) where the lines have none of those and each splits into as many words (Epinions'
    `user item rating`, Ciao's columns padded with spaces); a comma where it cannot tell."""
    best, score = ",", -1
    for candidate in ("\t", ";", "|", ","):
        counts = [line.count(candidate) for line in lines[:10]]
        if counts and min(counts) > 0 and min(counts) == max(counts) and counts[0] > score:
            best, score = candidate, counts[0]
    if score < 0:
        for candidate in ("\t", ";", "|", ","):
            if lines and lines[0].count(candidate):
                return candidate
        if len({len(line.split()) for line in lines[:10]} - {0}) == 1 and len(lines[0].split()) > 1:
            return " "
    return best
