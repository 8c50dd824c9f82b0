"""The pandas calls that a refusal or a report's note prints to read a file as it is written:
by its own delimiter and encoding, its sheet or its numbered columns."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from edgerec.ingest.streams import JSON_LINES_SUFFIXES, data_suffix, marked_encoding
from edgerec.ingest.text import head_lines, sniff_delimiter
from edgerec.ingest.workbook import is_workbook, unread_sheets


def pandas_read(
    path: Path, encoding: str, name: str | None = None, delimiter: str | None = None, *, header: bool = True
) -> str:
    """The pandas call that reads the file as given, by its own delimiter (`delimiter`, where the
    import was given one, else sniffed) and in its own encoding (its byte-order mark's, else
    `encoding`, its lines'; pandas reads UTF-8 unless told); or reads `name` (a file of the same
    release, written as this one is). Told none, pandas stopped with a UnicodeDecodeError on a
    cp1252 or UTF-16 file. Without a `header` line (header=false), its columns are numbered from
    0, as the import names them."""
    suffix, named = data_suffix(path), json.dumps(str(path) if name is None else name)
    numbered = "" if header else ", header=None"
    if suffix == ".parquet":
        return f"pd.read_parquet({named})"
    if is_workbook(path):  # the sheet an import reads; another workbook's first
        sheet = "" if name is not None else f", sheet_name={json.dumps(unread_sheets(path)[0])}"
        return f"pd.read_excel({named}{sheet}, dtype=str{numbered})"
    coded = pandas_encoding(path, encoding)
    if suffix in JSON_LINES_SUFFIXES:
        return f"pd.read_json({named}, lines=True{coded})"
    delimiter = text_delimiter(path, encoding, delimiter) or ","
    sep = r"r'\s+'" if delimiter == " " else json.dumps(delimiter)
    return f"pd.read_csv({named}, sep={sep}, dtype=str{numbered}{coded})"


def text_delimiter(path: Path, encoding: str, given: str | None = None) -> str | None:
    """The delimiter of a file of delimited text: `given` (the import's), else its first lines'
    (sniffed); None for a Parquet, JSON lines or workbook file."""
    if data_suffix(path) == ".parquet" or data_suffix(path) in JSON_LINES_SUFFIXES or is_workbook(path):
        return None
    return given or sniff_delimiter(head_lines(path, encoding=encoding))


def pandas_encoding(path: Path, encoding: str) -> str:
    """The `encoding=` argument of a pandas call that reads or writes text as the file is
    written: its byte-order mark's, else `encoding`, its lines'; none for UTF-8, pandas' own."""
    text = marked_encoding(path) or encoding
    return "" if text == "utf-8" else f", encoding={json.dumps(text)}"


def unused_name(path: Path, name: str) -> str:
    """The name of the file that a printed pandas line writes into the current folder and the
    printed `edgerec import` reads: `name` (joined.csv), or where a file of that name is in the
    current folder or beside `path` (a shop's own, or the file refused itself, a views.csv), the
    first of joined_2.csv, joined_3.csv, ... that is in neither. Following the advice overwrote
    the shop's file."""
    stem, suffix = Path(name).stem, Path(name).suffix
    names = (name if n == 1 else f"{stem}_{n}{suffix}" for n in itertools.count(1))
    return next(n for n in names if not any((folder / n).exists() for folder in (Path(), path.parent)))
