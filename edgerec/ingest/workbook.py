"""Excel workbooks (.xlsx) read as delimited text: one sheet's rows, one record each.

A shop's catalogue or sales often live in a spreadsheet. Its first sheet shown that holds rows
(not a hidden one, nor a blank one before it) is read row by row in openpyxl's read-only mode,
so memory does not grow with the sheet. Each cell becomes the text a CSV of the sheet would
hold: numbers as written (an id stored as 1234.0 is "1234"), dates and times in ISO 8601 (read
in the import's time zone, as a CSV's are). A date cell is a number that openpyxl reads as a
datetime, midnight where it holds a day alone: one whose number format shows no time of day
becomes the date alone ("2018-09-20"), as its CSV holds it, so that the import knows the day is
all it says (no double click within it); a time written to be shown, 00:00:00, stays a time.
From there on, a workbook is read exactly as a CSV file is, line numbers being row numbers.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import os
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from edgerec.ingest.errors import FormatError

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls), among others
_HEAD_ROWS = 20  # as many as detection reads of a text file
_HOLDS_ROWS_WITHIN = 1_000  # how far down a sheet's first row is looked for


def is_workbook(path: str | Path) -> bool:
    """Whether the file is an Office Open XML workbook (.xlsx, .xlsm), by what it holds."""
    try:
        with open(path, "rb") as file:
            if file.read(4) != b"PK\x03\x04":
                return False
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    return "xl/workbook.xml" in names


def check_not_legacy(path: str | Path) -> None:
    """FormatError for an Excel 97-2003 workbook, which is not read: say how to save it."""
    with open(path, "rb") as file:
        if file.read(8) == _OLE_MAGIC:
            raise legacy_workbook(path)


def legacy_workbook(path: str | Path) -> FormatError:
    return FormatError(f"{path}: an Excel 97-2003 workbook (.xls); save it as .xlsx or CSV")


def rows(path: str | Path) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as text) for each row of the sheet read (`_read_sheet`) that is not blank."""
    from openpyxl import load_workbook  # read only on a workbook: loaded when one is imported

    # Given an open file, openpyxl reads what it holds; given a path, it refuses any name that
    # does not end in .xlsx or .xlsm, and a workbook is known here by its content, not its name.
    with open(path, "rb") as file:
        try:
            book = load_workbook(file, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
            raise FormatError(
                f"{path}: not a workbook that can be read ({type(exc).__name__}: {exc})"
            ) from exc
        try:
            sheet = _read_sheet(book, path)
            # Cells, not values only: a date cell's number format says whether it has a time of
            # day. Making them costs nothing beside parsing the sheet's XML (8.3 s either way for
            # 100,000 rows of 8 cells).
            for number, row in enumerate(sheet.iter_rows(), start=1):
                cells = [_text(cell) for cell in row]
                if any(cells):  # every row is as wide as the sheet: a blank one is all empty cells
                    yield number, cells
        finally:
            book.close()


def unread_sheets(path: str | Path) -> tuple[str, list[str]]:
    """The name of the sheet an import reads (`_read_sheet`), and those of the others that hold
    rows, quoted, a hidden one marked so ("'Lookup' (hidden)"): an
    import reads one sheet only, and a workbook may keep its data over several (UCI's Online
    Retail II, a year a sheet)."""
    from openpyxl import load_workbook

    with open(path, "rb") as file:
        book = load_workbook(file, read_only=True, data_only=True)
        try:
            read = _read_sheet(book, path)
            return read.title, [
                repr(sheet.title) + ("" if sheet.sheet_state == "visible" else " (hidden)")
                for sheet in book.worksheets
                if sheet is not read and _holds_rows(sheet)
            ]
        finally:
            book.close()


def _read_sheet(book: Any, path: str | Path) -> Any:
    """The sheet an import reads: the first one shown that holds rows. A hidden sheet (a lookup
    table kept out of sight) is not what the shop sees on opening the workbook, nor is a blank
    one left before the data (a new workbook's "Sheet1"). FormatError for a workbook of charts
    only, which has no sheet of cells."""
    if not book.worksheets:
        raise FormatError(f"{path}: the workbook has no sheet of cells (only charts): nothing to import")
    shown = [sheet for sheet in book.worksheets if sheet.sheet_state == "visible"] or book.worksheets
    return next((sheet for sheet in shown if _holds_rows(sheet)), shown[0])


def _holds_rows(sheet: Any) -> bool:
    """Whether the sheet holds a row within its first `_HOLDS_ROWS_WITHIN`: a report's table may
    start below a heading and blank rows (its header on row 25). Looked for only in the first
    rows that detection reads, such a sheet was passed over, the next one read in its place, or,
    after the one read, left out of the note naming the sheets not read. Looked for all the way
    down, a blank sheet whose cells are formatted (50,000 rows of them) took seconds a look."""
    rows = sheet.iter_rows(max_row=_HOLDS_ROWS_WITHIN, values_only=True)
    return any(any(cell is not None for cell in row) for row in rows)


def head_lines(path: str | Path, count: int) -> list[str]:
    """The sheet's first rows as CSV lines, for detection. An import asks several times (the
    format, the delimiter), and opening a workbook reads its whole string table: the first rows
    are kept while the file is unchanged."""
    status = os.stat(path)
    return list(_head(str(path), status.st_mtime_ns, status.st_size)[:count])


@functools.lru_cache(maxsize=4)
def _head(path: str, _mtime_ns: int, _size: int) -> tuple[str, ...]:
    return tuple(as_line(cells) for _, cells in itertools.islice(rows(path), _HEAD_ROWS))


def as_line(cells: list[str]) -> str:
    """The row as one CSV line (the raw text of a quarantined row)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def _text(cell: Any) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time() and _shows_day_alone(cell.number_format):
        return value.date().isoformat()
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


@functools.cache
def _shows_day_alone(number_format: str) -> bool:
    """Whether a number format is a date's that shows no time of day: no hours nor seconds in its
    first section (the one for a positive number), quoted text and [$-409] locale tags aside
    ('yyyy-mm-dd', 'mm-dd-yy', '[$-409]d-mmm-yy;@'; not 'm/d/yy h:mm'). An 'm' is a month or
    a minute, but minutes are never shown without hours or seconds. A datetime written as ISO
    text in the sheet (a cell of type 'd') may have the General format, which shows it whole."""
    from openpyxl.styles.numbers import STRIP_RE, is_date_format

    first = STRIP_RE.sub("", number_format.split(";")[0]).lower()
    return is_date_format(number_format) and not any(letter in first for letter in "hs")
